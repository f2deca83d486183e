import type avro from 'avsc';

/**
 * JSON Schema for the REST edge, derived from an Avro type so the HTTP body and the event
 * contract cannot drift. Fields with an Avro default are optional; records allow no extra keys.
 */
export type JsonSchema = Record<string, unknown>;

const convert = (schema: unknown, named: Map<string, unknown>, optional: ReadonlySet<string>): JsonSchema => {
  if (typeof schema === 'string') {
    switch (schema) {
      case 'string': return { type: 'string' };
      case 'boolean': return { type: 'boolean' };
      // Avro's ranges: an int is 32-bit; a long is bounded by what a JS number holds exactly.
      case 'int': return { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
      case 'long': return { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
      case 'float': case 'double': return { type: 'number' };
      case 'null': return { type: 'null' };
      default: {
        const ref = named.get(schema) ?? named.get(schema.split('.').pop()!);
        if (ref === undefined) throw new Error(`unknown Avro type ${schema}`);
        return convert(ref, named, optional);
      }
    }
  }
  if (Array.isArray(schema)) return { anyOf: schema.map((s) => convert(s, named, optional)) };
  const s = schema as { type: string; name?: string; namespace?: string; symbols?: string[]; items?: unknown; fields?: { name: string; type: unknown; default?: unknown; doc?: string }[]; doc?: string };
  switch (s.type) {
    case 'enum':
      named.set(s.name!, s);
      return { type: 'string', enum: s.symbols };
    case 'array':
      return { type: 'array', items: convert(s.items, named, optional) };
    case 'record': {
      named.set(s.name!, s);
      const fields = s.fields ?? [];
      return {
        type: 'object',
        additionalProperties: false,
        ...(s.doc ? { description: s.doc } : {}),
        required: fields.filter((f) => f.default === undefined && !optional.has(f.name)).map((f) => f.name),
        properties: Object.fromEntries(fields.map((f) => [f.name, { ...convert(f.type, named, optional), ...(f.doc ? { description: f.doc } : {}) }])),
      };
    }
    default:
      return convert(s.type, named, optional);
  }
};

export const avroToJsonSchema = (type: avro.Type, optionalFields: string[] = []): JsonSchema => convert(type.schema({ exportAttrs: true }), new Map(), new Set(optionalFields));
