import { randomBytes, randomUUID } from 'node:crypto';
import { isSpanContextValid, type Span } from '@opentelemetry/api';
import { inputInvalid } from '../errors/errors.ts';

export { textViolations } from '../avro/text.ts';

/**
 * The REST edge's limits and hygiene, written once for every service (issue 13): what a fuzzer or
 * a careless client sends is refused here, naming the field, before it can reach a rule, the
 * event store or a projection.
 *
 * - Ids: a strict pattern of URL-unreserved characters and at most ID_MAX_LENGTH, which is also
 *   the router's longest path parameter, so every id the schema accepts is reachable by its
 *   `/{id}` route (a longer segment is 414).
 * - Bounds: every string of a route's body, query, params and headers gets a maxLength, every
 *   array a maxItems and every number a safe range, unless the route states tighter ones; the
 *   bounds are written into the route schema, so the published OpenAPI shows them.
 * - Text: no NUL (PostgreSQL text cannot hold it; projections would dead-letter) and no lone
 *   UTF-16 surrogate (it would be written into Avro as invalid UTF-8), in any key or value.
 * - Query strings and path parameters are strings by nature: a parameter declared integer,
 *   number or boolean is parsed strictly (decimal digits, `true`/`false`); nothing is coerced
 *   anywhere else (a JSON 0 is never the string "0").
 * - date-time: RFC 3339 with a real calendar date and no leap second (23:59:60 has no JS Date).
 */
export const ID_MAX_LENGTH = 100;
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._~-]*$';
/** The JSON Schema of an aggregate id in a body, a path or a query. */
export const idSchema = { type: 'string', minLength: 1, maxLength: ID_MAX_LENGTH, pattern: ID_PATTERN } as const;

const ID = new RegExp(ID_PATTERN);

/**
 * A client-chosen id of a new aggregate, whichever edge it came through (REST validates it by
 * idSchema already; gRPC and ingest records do not): an id no /{id} route could reach is refused.
 */
export const assertId = (field: string, id: string): void => {
  if (id.length > ID_MAX_LENGTH || !ID.test(id)) {
    throw inputInvalid([{ field, description: `an id is 1 to ${ID_MAX_LENGTH} characters: letters, digits and . _ ~ - (a letter or digit first)` }]);
  }
};

/**
 * Ids are typed by the kind of aggregate they name (issue 13, defect 2): a client-chosen id of a
 * new catalog entry starts with `ce-`, of a new share request with `sr-`, so no id names two
 * aggregates of different services and a lifecycle can never merge them. (Aggregates created
 * before keep their ids; the audit service keeps such a collision apart, see its lifecycle.)
 */
export const ID_PREFIXES = { catalogEntry: 'ce-', shareRequest: 'sr-' } as const;
export type IdKind = keyof typeof ID_PREFIXES;

/** The JSON Schema of a client-chosen id of a new aggregate of one kind. */
export const typedIdSchema = (kind: IdKind) => ({ ...idSchema, pattern: `^${ID_PREFIXES[kind]}[A-Za-z0-9._~-]+$` }) as const;

/** assertId, and the kind's prefix (for ids that come through gRPC or an ingest record). */
export const assertTypedId = (field: string, id: string, kind: IdKind): void => {
  assertId(field, id);
  if (!id.startsWith(ID_PREFIXES[kind]) || id.length === ID_PREFIXES[kind].length) {
    throw inputInvalid([{ field, description: `the id of a new ${kind === 'catalogEntry' ? 'catalog entry' : 'share request'} starts with ${ID_PREFIXES[kind]} (ids are typed, so no id names two aggregates)` }]);
  }
};

/** Bounds given to a schema that states none (a route may always state tighter ones). */
export const DEFAULT_MAX_STRING = 4096;
export const DEFAULT_MAX_ITEMS = 1000;

/** A client-chosen x-request-id is echoed only when it looks like one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Schema = Record<string, unknown>;

const typesOf = (s: Schema): unknown[] => ([] as unknown[]).concat(s['type'] ?? []);

/** A copy of `schema` with the default bounds wherever it states none. */
export const boundSchema = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(boundSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const s = Object.fromEntries(Object.entries(schema as Schema).map(([k, v]) => [k, k === 'enum' || k === 'const' || k === 'default' || k === 'examples' || k === 'required' ? v : boundSchema(v)])) as Schema;
  // `properties` maps names to schemas: bounding its values is what the line above did.
  const types = typesOf(s);
  if (types.includes('string') && s['enum'] === undefined && s['const'] === undefined && s['maxLength'] === undefined) s['maxLength'] = DEFAULT_MAX_STRING;
  if (types.includes('array') && s['maxItems'] === undefined) s['maxItems'] = DEFAULT_MAX_ITEMS;
  if (types.includes('integer') || types.includes('number')) {
    if (s['maximum'] === undefined && s['exclusiveMaximum'] === undefined) s['maximum'] = Number.MAX_SAFE_INTEGER;
    if (s['minimum'] === undefined && s['exclusiveMinimum'] === undefined) s['minimum'] = -Number.MAX_SAFE_INTEGER;
  }
  return s;
};

/**
 * The request parts of a route schema bounded; responses are left as they are. Path parameters
 * a route declares no schema for are strings of at most ID_MAX_LENGTH (what the router allows).
 */
export const boundRouteSchema = (schema: Schema | undefined, url: string): Schema => {
  const out: Schema = { ...schema };
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  if (out['params'] === undefined && names.length > 0) {
    out['params'] = { type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'string', minLength: 1, maxLength: ID_MAX_LENGTH }])) };
  }
  for (const part of ['body', 'querystring', 'query', 'params', 'headers']) if (out[part] !== undefined) out[part] = boundSchema(out[part]);
  return out;
};

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

const parseParam = (v: unknown, s: Schema | undefined): unknown => {
  if (s === undefined) return v;
  const types = typesOf(s);
  if (Array.isArray(v)) return types.includes('array') ? v.map((x) => parseParam(x, s['items'] as Schema | undefined)) : v;
  if (typeof v !== 'string') return v;
  if (types.includes('array')) return [parseParam(v, s['items'] as Schema | undefined)];
  if (types.includes('integer') && INTEGER.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (types.includes('number') && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  if (types.includes('boolean') && (v === 'true' || v === 'false')) return v === 'true';
  return v;
};

/**
 * Query-string and path parameters declared integer, number or boolean, parsed strictly in place;
 * anything else is left as the string it is, for the schema to refuse ("must be integer").
 */
export const parseParams = (data: unknown, schema: unknown): void => {
  if (data === null || typeof data !== 'object' || schema === null || typeof schema !== 'object') return;
  const props = (schema as Schema)['properties'] as Record<string, Schema> | undefined;
  if (props === undefined) return;
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d)) if (Object.hasOwn(props, k)) d[k] = parseParam(d[k], props[k]);
};

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** RFC 3339 date-time that is a real instant: a calendar date, hours 0-23, no leap second. */
export const isStrictDateTime = (s: string): boolean => {
  const m = DATE_TIME.exec(s);
  if (m === null) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59) return false;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return Number.isFinite(Date.parse(s));
};

/** The request id: the client's x-request-id when well-formed, else a new UUID. */
export const requestIdOf = (header: string | string[] | undefined): string => (typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID());

/** The W3C traceparent of a span, or a fresh one when tracing is off (so every answer has one to quote). */
export const traceparentOf = (span: Span | undefined): string => {
  const sc = span?.spanContext();
  if (sc !== undefined && isSpanContextValid(sc)) return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1) === 1 ? '01' : '00'}`;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
};
