import { inputInvalid, type FieldViolation } from '@govmesh/backbone';
import type { ItemSpec } from './entry.ts';

/**
 * One row of a dataset load, checked against the entry's current version's data items (DLV-04:
 * provided data meets the sharing standard the catalog declares). Strict: a JSON value must have
 * the declared type itself (no "12" for an integer); a CSV cell, which is text by nature, must
 * spell a value of the declared type exactly. Every data item is present in every row (null: no
 * value), the key item with a value; a field the entry does not declare is refused.
 *
 * A row may instead delete a record: `{"_op": "delete", "<key item>": "..."}` in NDJSON, or an
 * `_op` column holding `delete` in CSV (empty or `upsert`: an upsert).
 */
export type ValueKind = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime';

/** The declared type names the exchange understands, case-insensitive; `string(18)` bounds the length. */
const KINDS: Record<string, ValueKind> = {
  string: 'string', text: 'string', varchar: 'string', char: 'string', nvarchar: 'string',
  integer: 'integer', int: 'integer', long: 'integer', bigint: 'integer', smallint: 'integer',
  number: 'number', decimal: 'number', numeric: 'number', double: 'number', float: 'number',
  boolean: 'boolean', bool: 'boolean',
  date: 'date',
  datetime: 'datetime', timestamp: 'datetime', 'date-time': 'datetime',
};

/** The longest string value of a field unless the declared type bounds it tighter. */
export const MAX_VALUE_CHARS = 4096;
/** The longest record key. */
export const MAX_KEY_CHARS = 200;
export const OP_FIELD = '_op';

export interface FieldSpec {
  name: string;
  kind: ValueKind;
  maxLength: number;
}

/** The field specs of an entry version's items; an item whose type cannot be checked is named. */
export const fieldSpecs = (items: readonly ItemSpec[]): FieldSpec[] => {
  const bad: FieldViolation[] = [];
  const specs = items.map((item) => {
    const m = /^\s*([A-Za-z-]+)\s*(?:\(\s*(\d+)\s*(?:,\s*\d+\s*)?\))?\s*$/.exec(item.type);
    const kind = m === null ? undefined : KINDS[m[1]!.toLowerCase()];
    if (kind === undefined) {
      bad.push({ field: `dataItems.${item.name}.type`, description: `the exchange cannot check values of type ${JSON.stringify(item.type)}: one of ${Object.keys(KINDS).join(', ')} (string(n) bounds the length)` });
      return { name: item.name, kind: 'string' as const, maxLength: MAX_VALUE_CHARS };
    }
    const n = m![2] === undefined ? MAX_VALUE_CHARS : Math.min(Number(m![2]), MAX_VALUE_CHARS);
    return { name: item.name, kind, maxLength: kind === 'string' ? n : MAX_VALUE_CHARS };
  });
  if (bad.length > 0) throw inputInvalid(bad, 'DLV-04');
  return specs;
};

export type Row = { op: 'upsert'; key: string; record: Record<string, unknown> } | { op: 'delete'; key: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const INTEGER = /^-?(0|[1-9]\d*)$/;
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

const realDate = (y: string, m: string, d: string): boolean => {
  const t = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return t.getUTCFullYear() === Number(y) && t.getUTCMonth() === Number(m) - 1 && t.getUTCDate() === Number(d);
};
const isDate = (s: string): boolean => {
  const m = DATE.exec(s);
  return m !== null && realDate(m[1]!, m[2]!, m[3]!);
};
const isDateTime = (s: string): boolean => {
  const m = DATETIME.exec(s);
  return m !== null && realDate(m[1]!, m[2]!, m[3]!) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60;
};

/** Text PostgreSQL and Avro can hold: no NUL, no lone surrogate. */
const textProblem = (s: string): string | undefined =>
  s.includes('\u0000') ? 'contains a NUL character (U+0000)' : !s.isWellFormed() ? 'contains a lone UTF-16 surrogate' : undefined;

const describe = (kind: ValueKind): string =>
  ({ string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', date: 'a date YYYY-MM-DD', datetime: 'an RFC 3339 date-time' })[kind];

/** A JSON value against its field; the problem, or undefined when it fits. */
const jsonProblem = (v: unknown, f: FieldSpec): string | undefined => {
  if (v === null) return undefined;
  switch (f.kind) {
    case 'string':
    case 'date':
    case 'datetime': {
      if (typeof v !== 'string') return `expected ${describe(f.kind)}, got ${Array.isArray(v) ? 'an array' : typeof v}`;
      const t = textProblem(v);
      if (t !== undefined) return t;
      if (f.kind === 'date' && !isDate(v)) return `expected ${describe(f.kind)}`;
      if (f.kind === 'datetime' && !isDateTime(v)) return `expected ${describe(f.kind)}`;
      if (Array.from(v).length > f.maxLength) return `longer than ${f.maxLength} characters`;
      return undefined;
    }
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? undefined : `expected ${describe(f.kind)} (a JSON number with no fraction, at most 2^53-1)`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `expected ${describe(f.kind)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected ${describe(f.kind)}`;
  }
};

/** A CSV cell as the value of its field: an empty cell is null, anything else must spell a value exactly. */
export const csvValue = (cell: string, f: FieldSpec): { value: unknown } | { problem: string } => {
  if (cell === '') return { value: null };
  switch (f.kind) {
    case 'string':
    case 'date':
    case 'datetime': {
      const p = jsonProblem(cell, f);
      return p === undefined ? { value: cell } : { problem: p };
    }
    case 'integer': {
      const n = Number(cell);
      return INTEGER.test(cell) && Number.isSafeInteger(n) ? { value: n } : { problem: `expected ${describe(f.kind)}` };
    }
    case 'number': {
      const n = Number(cell);
      return DECIMAL.test(cell) && Number.isFinite(n) ? { value: n } : { problem: `expected ${describe(f.kind)}` };
    }
    case 'boolean':
      return cell === 'true' ? { value: true } : cell === 'false' ? { value: false } : { problem: 'expected true or false' };
  }
};

const keyOf = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
};

/**
 * One parsed row (an NDJSON object, or a CSV row already turned into values) checked against the
 * fields; `at` names the row (e.g. `line[12]`). Returns the row or its violations, each naming
 * the line and the field.
 */
export const checkRow = (value: unknown, fields: readonly FieldSpec[], keyItem: string, at: string): { row: Row } | { violations: FieldViolation[] } => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { violations: [{ field: at, description: 'expected a JSON object, one record per line' }] };
  const obj = value as Record<string, unknown>;
  const v: FieldViolation[] = [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const op = obj[OP_FIELD] ?? 'upsert';
  if (op !== 'upsert' && op !== 'delete') v.push({ field: `${at}.${OP_FIELD}`, description: 'upsert or delete' });
  for (const name of Object.keys(obj)) {
    if (name !== OP_FIELD && !byName.has(name)) v.push({ field: `${at}.${name}`, description: 'not a data item of the entry' });
  }
  // The key: a value of its declared type, and a non-empty string or an integer.
  const keyField = byName.get(keyItem)!;
  const keyProblem = jsonProblem(obj[keyItem] ?? null, keyField);
  const key = keyOf(obj[keyItem]);
  if (keyProblem !== undefined) v.push({ field: `${at}.${keyItem}`, description: keyProblem });
  else if (key === undefined) v.push({ field: `${at}.${keyItem}`, description: 'the record key is required: a non-empty string or an integer' });
  else if (Array.from(key).length > MAX_KEY_CHARS) v.push({ field: `${at}.${keyItem}`, description: `a record key is at most ${MAX_KEY_CHARS} characters` });
  if (op === 'delete') {
    for (const name of Object.keys(obj)) if (name !== OP_FIELD && name !== keyItem && byName.has(name)) v.push({ field: `${at}.${name}`, description: 'a deletion names the record key only' });
    return v.length > 0 ? { violations: v } : { row: { op: 'delete', key: key! } };
  }
  for (const f of fields) {
    if (f.name === keyItem) continue;
    if (!Object.hasOwn(obj, f.name)) {
      v.push({ field: `${at}.${f.name}`, description: 'required: every data item of the entry is in every record (null for no value)' });
      continue;
    }
    const p = jsonProblem(obj[f.name], f);
    if (p !== undefined) v.push({ field: `${at}.${f.name}`, description: p });
  }
  if (v.length > 0) return { violations: v };
  const record: Record<string, unknown> = {};
  for (const f of fields) record[f.name] = obj[f.name];
  return { row: { op: 'upsert', key: key!, record } };
};

/** Turns a CSV row (header names -> cells) into the values checkRow takes; bad cells are named. */
export const csvRow = (header: readonly string[], cells: readonly string[], fields: readonly FieldSpec[], at: string): { value: Record<string, unknown> } | { violations: FieldViolation[] } => {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  const v: FieldViolation[] = [];
  header.forEach((name, i) => {
    const cell = cells[i] ?? '';
    if (name === OP_FIELD) {
      if (cell !== '') out[OP_FIELD] = cell;
      return;
    }
    const f = byName.get(name);
    if (f === undefined) return; // the header was checked once (csvHeaderViolations)
    const r = csvValue(cell, f);
    if ('problem' in r) v.push({ field: `${at}.${name}`, description: r.problem });
    else out[name] = r.value;
  });
  if (out[OP_FIELD] === 'delete') for (const name of Object.keys(out)) if (name !== OP_FIELD && out[name] === null) delete out[name];
  return v.length > 0 ? { violations: v } : { value: out };
};

/** A CSV header: every data item once, nothing else but an optional _op column. */
export const csvHeaderViolations = (header: readonly string[], fields: readonly FieldSpec[]): FieldViolation[] => {
  const v: FieldViolation[] = [];
  const names = new Set(fields.map((f) => f.name));
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (seen.has(h)) v.push({ field: `line[1].${h}`, description: `column ${i + 1} repeats ${h}` });
    seen.add(h);
    if (h !== OP_FIELD && !names.has(h)) v.push({ field: `line[1].${h}`, description: 'not a data item of the entry' });
  });
  for (const f of fields) if (!seen.has(f.name)) v.push({ field: `line[1].${f.name}`, description: 'required: the header names every data item of the entry' });
  return v;
};
