import { isUtf8 } from 'node:buffer';
import avro from 'avsc';
import type { FieldViolation } from '../errors/errors.ts';

/**
 * Text that every store and reader can hold (issue 13, defect 3). PostgreSQL text cannot hold a
 * NUL; a lone UTF-16 surrogate has no UTF-8 encoding (avsc would write it as the invalid bytes
 * ED A0 80); and avsc reads invalid UTF-8 leniently, replacing it with U+FFFD, so a corrupted or
 * forged string would pass for text. Strings are checked on the way in (textViolations) and read
 * strictly on the way out (strictStringsHook).
 */
const textProblem = (s: string): string | undefined => {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which is not allowed in text';
  if (!s.isWellFormed()) return 'contains a lone UTF-16 surrogate: not well-formed Unicode';
  return undefined;
};

/**
 * Every string key and value under `value` that holds a NUL or a lone surrogate, named by its
 * path from `at` (e.g. body.content.dataItems.2.name). Iterative: a deeply nested body cannot
 * overflow the stack. At most `max` violations are reported.
 */
export const textViolations = (value: unknown, at: string, max = 20): FieldViolation[] => {
  const out: FieldViolation[] = [];
  const stack: [unknown, string][] = [[value, at]];
  while (stack.length > 0 && out.length < max) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p !== undefined) out.push({ field: path, description: p });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [k, x] = entries[i]!;
        const p = textProblem(k);
        if (p !== undefined) out.push({ field: `${path}.${JSON.stringify(k)}`, description: `key ${p}` });
        stack.push([x, `${path}.${k}`]);
      }
    }
  }
  return out;
};



interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
}

/**
 * An Avro string that refuses invalid UTF-8 (overlong forms, encoded surrogates, stray bytes)
 * instead of reading it as U+FFFD. Its schema, canonical form and fingerprint are a plain
 * "string"'s. avsc's types are frozen, so it is a subclass given through typeHook, not a patch:
 * nothing else in the process changes.
 */
class StrictStringType extends avro.types.StringType {
  _read(tap: Tap): string | undefined {
    const len = tap.readLong();
    if (len < 0) {
      tap.pos = tap.buf.length + 1; // avsc's "invalid" marker: fromBuffer then fails as truncated
      return '';
    }
    const start = tap.pos;
    tap.pos += len;
    if (tap.pos > tap.buf.length) return undefined;
    const bytes = tap.buf.subarray(start, tap.pos);
    if (!isUtf8(bytes)) throw new Error(`the string at byte ${start} is not valid UTF-8`);
    return bytes.toString('utf8');
  }
}

/**
 * The typeHook for avro.Type.forSchema that makes every string of a schema strict: record
 * fields, array items, union branches, and so resolved older versions too. (Maps are not used by
 * govmesh's schemas; their keys would be read by avsc itself.)
 */
export const strictStringsHook = (schema: unknown): avro.Type | undefined =>
  schema === 'string' || (typeof schema === 'object' && schema !== null && (schema as { type?: unknown; logicalType?: unknown }).type === 'string' && (schema as { logicalType?: unknown }).logicalType === undefined)
    ? (new StrictStringType() as unknown as avro.Type)
    : undefined;
