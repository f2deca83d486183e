import { schemaEntry, type SchemaEntry } from '@govmesh/backbone';
import type { CopySpec } from './delivered-copy.ts';
import type { ItemSpec } from './entry.ts';
import { effectiveRule, type MaskingRule } from './masking.ts';
import { fieldSpecs, type ValueKind } from './records.ts';

/**
 * The per-share projected schema of a batch push (DLV-02): an Avro record with one field per
 * approved data item, typed as the delivered copy holds it (delivered-copy.ts), not as the
 * provider loaded it: an item in clear keeps its declared type, a partly masked or pseudonymised
 * one is text, a withheld one is always null. Every field is nullable (a record may hold no
 * value). The recipient decodes each pushed record with it; its CRC-64-AVRO fingerprint is in
 * every record (single-object encoding), so a record written with an older projection (the
 * entry's definitions changed) is told apart.
 *
 * Avro names are [A-Za-z_][A-Za-z0-9_]*; an item named otherwise (e.g. 姓名) becomes item_<n>
 * (its place among the approved items), its own name kept in the field's `govmesh.item`.
 */
export const PUSH_SCHEMA_NAMESPACE = 'govmesh.delivery.v1';

export interface PushField {
  /** The data item's name in the catalog. */
  item: string;
  /** Its Avro field name. */
  field: string;
  rule: MaskingRule;
}

export interface PushSchema {
  /** The schema as served (with docs and item names). */
  json: Record<string, unknown>;
  entry: SchemaEntry;
  fields: PushField[];
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const AVRO_OF: Record<ValueKind, string> = { string: 'string', integer: 'long', number: 'double', boolean: 'boolean', date: 'string', datetime: 'string' };

/** The Avro type of an item's delivered values under its rule. */
const deliveredType = (rule: MaskingRule, kind: ValueKind): unknown => {
  if (rule === 'REDACT') return 'null';
  return ['null', rule === 'NONE' ? AVRO_OF[kind] : 'string'];
};

/** The Avro field names of the approved items, in their order; unique. */
export const fieldNames = (items: readonly string[]): string[] => {
  const taken = new Set(items.filter((n) => AVRO_NAME.test(n)));
  return items.map((name, i) => {
    if (AVRO_NAME.test(name)) return name;
    let field = `item_${i + 1}`;
    while (taken.has(field)) field = `_${field}`;
    taken.add(field);
    return field;
  });
};

/** The record name of a share's schema: its id as an Avro name. */
export const pushRecordName = (shareId: string): string => `Share_${shareId.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * The projected schema of a share: `spec` (the approved items, masked as delivered) and `defined`
 * (the entry's current items, for their declared types; an item it no longer defines is withheld).
 */
export const pushSchema = (shareId: string, spec: Pick<CopySpec, 'items' | 'lifted'>, defined: readonly ItemSpec[]): PushSchema => {
  const kinds = new Map(fieldSpecs(defined).map((f) => [f.name, f.kind]));
  const names = fieldNames(spec.items.map((i) => i.name));
  const fields = spec.items.map((item, i) => ({ item: item.name, field: names[i]!, rule: kinds.has(item.name) ? effectiveRule(item, spec.lifted) : ('REDACT' as const) }));
  const json = {
    type: 'record',
    name: pushRecordName(shareId),
    namespace: PUSH_SCHEMA_NAMESPACE,
    doc: `The records of share ${shareId} as pushed to its requesting department: the approved data items only, masked by grade (SEC-16).`,
    fields: fields.map((f) => ({
      name: f.field,
      type: deliveredType(f.rule, kinds.get(f.item) ?? 'string'),
      default: null,
      doc: `${f.item}: ${f.rule === 'NONE' ? 'in clear' : f.rule === 'REDACT' ? 'withheld (always null)' : `masked (${f.rule})`}`,
      'govmesh.item': f.item,
      'govmesh.masking': f.rule,
    })),
  };
  return { json, entry: schemaEntry(json, 1, `push schema of ${shareId}`), fields };
};

/** A delivered copy (keyed by item name) as a value of the share's schema (keyed by field). */
export const pushValue = (schema: Pick<PushSchema, 'fields'>, copy: Record<string, unknown>): Record<string, unknown> => {
  const value: Record<string, unknown> = {};
  for (const f of schema.fields) value[f.field] = copy[f.item] ?? null;
  return value;
};
