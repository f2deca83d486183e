import { ERROR_TABLE, type ErrorCode } from '../errors/errors.ts';
import type { Role } from '../identity/platform.ts';
import { commandHeadersSchema } from './idempotency.ts';

/**
 * The parts of every service's OpenAPI document written once (issue 13: the documents are
 * complete): the problem+json schema, the problem answers each operation can give (from the one
 * table of typed errors: what the route declares, and what the edge answers for a route of its
 * shape), the roles an operation needs, and how to obtain a token. A service states per route
 * only what is its own: operationId, roles, the errors its rules raise, its 2xx schema.
 */

/** The component every problem answer refers to (errors/problem.ts's Problem). */
export const PROBLEM_SCHEMA_ID = 'Problem';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export const problemSchema = {
  $id: PROBLEM_SCHEMA_ID,
  type: 'object',
  description: 'RFC 9457 problem details: every error of every service, mapped once from the typed error table.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'urn:govmesh:error:<code>' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_TABLE), description: 'The stable error code (the same on gRPC in x-error-code and on dead letters)' },
    rule: { type: 'string', description: 'The requirement the error enforces (docs/requirements.md), e.g. CAT-07' },
    violations: {
      type: 'array',
      items: { type: 'object', required: ['field', 'description'], properties: { field: { type: 'string' }, description: { type: 'string' } } },
    },
    instance: { type: 'string' },
    requestId: { type: 'string', description: 'The x-request-id of the request: quote it when reporting a problem' },
  },
  examples: [
    {
      type: 'urn:govmesh:error:GOV_ERR_INPUT_INVALID',
      title: ERROR_TABLE.GOV_ERR_INPUT_INVALID.title,
      status: 400,
      detail: 'body.content.grade: must be equal to one of the allowed values',
      code: 'GOV_ERR_INPUT_INVALID',
      violations: [{ field: 'body.content.grade', description: 'must be equal to one of the allowed values' }],
      instance: '/v1/entries',
      requestId: '0b1c6f1e-4a55-4f0e-9a9e-2f4b7c1d9e10',
    },
  ],
} as const;

/** How a caller gets a token: the security scheme's text, and what every document's description says. */
export const TOKEN_HOWTO =
  'Every /v1 operation needs a department token: a JWT signed by the platform (EdDSA, Ed25519), sent as `Authorization: Bearer <token>`, ' +
  'living at most TOKEN_MAX_LIFETIME_S (12 h by default). The platform operator issues it; on a development platform: ' +
  '`node_modules/.bin/node scripts/token.ts <department-id>` (see README "Quick start" and docs/operations.md "Token keys"). ' +
  "The caller's roles come from the platform directory, not from the token; each operation names the roles it needs (`x-govmesh-roles`).";

/** What a service says about one operation beyond its request and 2xx schemas. */
export interface OperationSpec {
  operationId: string;
  summary: string;
  /** Directory roles of which the caller needs one; empty: any department of the platform. */
  roles: readonly Role[];
  /** Which holder of the roles, when it is narrower (e.g. "the share's requesting department"). */
  who?: string;
  /** The typed errors the operation's rules raise; the edge's own (input, token, limits, outages) are added by the server. */
  errors?: readonly ErrorCode[];
  /** Not authenticated by a department token (e.g. a protocol that signs its own requests): why. */
  unauthenticated?: string;
}

/** What a command on one aggregate can raise on the command path (AggregateCommands, the event store, raiseEvent). */
export const COMMAND_ERRORS: readonly ErrorCode[] = ['GOV_ERR_AUTH_FORBIDDEN', 'GOV_ERR_NOT_FOUND', 'GOV_ERR_RULE_VIOLATED', 'GOV_ERR_CONCURRENCY_CONFLICT', 'GOV_ERR_EVENT_TOO_LARGE'];
/** What reading one resource can raise: it is not there, or not for this caller. */
export const READ_ERRORS: readonly ErrorCode[] = ['GOV_ERR_AUTH_FORBIDDEN', 'GOV_ERR_NOT_FOUND'];

type RouteSchema = Record<string, unknown>;

/** A route schema annotated with an operation's id, summary, roles (x-govmesh-roles and a sentence) and errors. */
export const operation = (spec: OperationSpec, schema: RouteSchema = {}): RouteSchema => {
  const roles =
    spec.unauthenticated !== undefined
      ? `No department token: ${spec.unauthenticated}.`
      : spec.roles.length === 0
        ? `Roles: any department of the platform${spec.who === undefined ? '' : ` (${spec.who})`}.`
        : `Roles: ${spec.roles.join(' or ')}${spec.who === undefined ? '' : ` (${spec.who})`}.`;
  return {
    ...schema,
    operationId: spec.operationId,
    summary: spec.summary,
    description: `${spec.summary}. ${roles}`,
    'x-govmesh-roles': [...spec.roles],
    'x-govmesh-errors': [...(spec.errors ?? [])],
    ...(spec.unauthenticated === undefined ? {} : { security: [] }),
  };
};

const COMMAND_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The typed errors the edge itself answers for a route of this method and URL (http.ts, idempotency.ts). */
export const edgeErrors = (method: string, url: string, opts: { idempotency: boolean; jsonBody: boolean }): ErrorCode[] => {
  const out: ErrorCode[] = ['GOV_ERR_INPUT_INVALID', 'GOV_ERR_HEADERS_TOO_LARGE', 'GOV_ERR_INTERNAL', 'GOV_ERR_UNAVAILABLE'];
  if (url.startsWith('/v1/')) out.push('GOV_ERR_AUTH_MISSING');
  if (url.includes(':')) out.push('GOV_ERR_URI_TOO_LONG');
  if (COMMAND_METHODS.has(method)) {
    out.push('GOV_ERR_BODY_TOO_LARGE', 'GOV_ERR_MEDIA_TYPE_UNSUPPORTED');
    if (opts.idempotency && opts.jsonBody && url.startsWith('/v1/')) out.push('GOV_ERR_IDEMPOTENCY_KEY_REUSED', 'GOV_ERR_IDEMPOTENCY_IN_PROGRESS', 'GOV_ERR_PRECONDITION_FAILED');
  }
  return out;
};

const problemContent = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `${PROBLEM_SCHEMA_ID}#` } } };

/**
 * A route schema with every problem answer documented: one response per status, naming each
 * typed error behind it; a status the route documents already (e.g. a protocol's own text
 * answer) gets the problem+json content beside its own. Command routes that take JSON also
 * document Idempotency-Key and If-Match.
 */
export const documentRoute = (schema: RouteSchema, method: string, url: string, opts: { idempotency: boolean }): RouteSchema => {
  const consumes = schema['consumes'] as string[] | undefined;
  const jsonBody = consumes === undefined || consumes.includes('application/json');
  const declared = (schema['x-govmesh-errors'] as ErrorCode[] | undefined) ?? [];
  const codes = [...new Set([...declared, ...edgeErrors(method, url, { ...opts, jsonBody })])].sort();
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_TABLE[c].httpStatus, [...(byStatus.get(ERROR_TABLE[c].httpStatus) ?? []), c]);
  const response = { ...(schema['response'] as Record<string, Record<string, unknown>> | undefined) };
  for (const [status, cs] of byStatus) {
    const description = `Problem: ${cs.map((c) => `${c} (${ERROR_TABLE[c].title})`).join('; ')}${status === 503 || status === 429 ? '. Retry after the Retry-After header' : ''}`;
    const own = response[String(status)];
    if (own === undefined) response[String(status)] = { description, content: problemContent };
    else response[String(status)] = { ...own, description: `${String(own['description'] ?? '')}; ${description}`, content: { ...(own['content'] as object), ...problemContent } };
  }
  const out: RouteSchema = { ...schema, response, 'x-govmesh-errors': codes };
  if (codes.includes('GOV_ERR_PRECONDITION_FAILED') && out['headers'] === undefined) out['headers'] = commandHeadersSchema;
  return out;
};
