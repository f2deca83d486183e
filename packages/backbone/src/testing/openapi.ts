import type { FastifyInstance } from 'fastify';
import { Directory } from '../identity/platform.ts';
import { Authenticator } from '../identity/principal.ts';
import { generateTokenKeys, TokenVerifier } from '../identity/token.ts';
import { PROBLEM_MEDIA_TYPE } from '../server/openapi.ts';
import type { Database } from '../store/database.ts';
import { createLogger } from '../telemetry/logging.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { systemClock } from '../time/clock.ts';
import { createHttpServer } from '../server/http.ts';

export interface OpenApiOperation {
  operationId?: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  'x-govmesh-roles'?: string[];
  'x-govmesh-errors'?: string[];
}

/** An OpenAPI document as @fastify/swagger publishes it at /docs/json (the parts the checks need). */
export interface OpenApiDoc {
  info?: { description?: string };
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type: string; scheme?: string; description?: string }> };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/**
 * A service's OpenAPI document as its REST server publishes it, built without the stack: the
 * routes are registered on the backbone's server with stand-ins for what only their handlers use
 * (no handler runs).
 */
export const serviceOpenApi = async (service: string, routes: (app: FastifyInstance) => Promise<void>): Promise<OpenApiDoc> => {
  const keys = generateTokenKeys();
  const app = await createHttpServer({
    service,
    version: '1.0.0',
    description: `${service} (document under test)`,
    logger: createLogger(`${service}-openapi`, 'silent'),
    metrics: createMetrics(`${service}_openapi`),
    authenticator: new Authenticator(new TokenVerifier(keys.publicKeyPem, 'p'), new Directory([]), systemClock),
    readiness: async () => ({ checks: {}, warnings: {} }),
    commands: { db: {} as Database, schema: 'unused' },
  });
  try {
    await app.register(routes);
    await app.ready();
    return (await app.inject({ url: '/docs/json' })).json() as OpenApiDoc;
  } finally {
    await app.close();
  }
};

const isProblem = (r: { content?: Record<string, { schema?: unknown }> } | undefined): boolean => r?.content?.[PROBLEM_MEDIA_TYPE]?.schema !== undefined;

/**
 * What an OpenAPI document leaves out that a client or a fuzzer needs (issue 13): per operation an
 * operationId (unique), a 2xx answer with a schema, the problem+json answers every operation can
 * give (400, 500, 503; 401 where a token is needed; 413 and 415 on commands), the roles
 * (x-govmesh-roles and the sentence), and a bearer scheme telling how to obtain a token. Empty
 * when the document is complete.
 */
export const openApiDefects = (doc: OpenApiDoc): string[] => {
  const out: string[] = [];
  const bearer = Object.values(doc.components?.securitySchemes ?? {}).find((s) => s.type === 'http' && s.scheme === 'bearer');
  if (bearer === undefined || !/scripts\/token\.ts/.test(bearer.description ?? '')) out.push('no bearer security scheme saying how to obtain a token (scripts/token.ts)');
  if (!/scripts\/token\.ts/.test(doc.info?.description ?? '')) out.push('info.description does not say how to obtain a token');
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const at = `${method.toUpperCase()} ${path}`;
      if (op.operationId === undefined || op.operationId === '') out.push(`${at}: no operationId`);
      else if (ids.has(op.operationId)) out.push(`${at}: operationId ${op.operationId} used twice`);
      else ids.add(op.operationId);
      const responses = op.responses ?? {};
      const ok = Object.entries(responses).filter(([s]) => /^2/.test(s));
      if (ok.length === 0 || !ok.every(([, r]) => Object.values(r.content ?? {}).length > 0 && Object.values(r.content ?? {}).every((c) => c.schema !== undefined))) out.push(`${at}: no 2xx response schema`);
      const secured = op.security === undefined || op.security.length > 0;
      const command = method !== 'get' && method !== 'head';
      const needed = ['400', '500', '503', ...(secured && path.startsWith('/v1/') ? ['401'] : []), ...(command ? ['413', '415'] : []), ...(path.includes('{') ? ['414'] : [])];
      for (const status of needed) if (!isProblem(responses[status])) out.push(`${at}: ${status} not documented as ${PROBLEM_MEDIA_TYPE}`);
      // A protocol's own error answers (e.g. C2SP tlog-witness text) may be other media types, but each has a schema.
      for (const [status, r] of Object.entries(responses)) if (/^[45]/.test(status) && (Object.keys(r.content ?? {}).length === 0 || Object.values(r.content ?? {}).some((c) => c.schema === undefined))) out.push(`${at}: ${status} without a schema`);
      if (!Array.isArray(op['x-govmesh-roles'])) out.push(`${at}: no x-govmesh-roles`);
      if (!/(Roles: |No department token: )/.test(op.description ?? '')) out.push(`${at}: the description does not name the roles`);
    }
  }
  return out;
};

/**
 * Every request string without maxLength, array without maxItems and number without both bounds
 * in an OpenAPI document: what a fuzzer would use to send a body the service cannot hold
 * (issue 13, defect 1). Empty when every field is bounded.
 */
export const unboundedFields = (doc: OpenApiDoc): string[] => {
  const out: string[] = [];
  const walk = (s: unknown, at: string): void => {
    if (s === null || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    const types = ([] as unknown[]).concat(o['type'] ?? []);
    if (types.includes('string') && o['enum'] === undefined && o['const'] === undefined && o['maxLength'] === undefined) out.push(`${at}: string without maxLength`);
    if (types.includes('array') && o['maxItems'] === undefined) out.push(`${at}: array without maxItems`);
    if ((types.includes('integer') || types.includes('number')) && (o['maximum'] === undefined || o['minimum'] === undefined)) out.push(`${at}: number without bounds`);
    for (const [k, v] of Object.entries(o)) if (typeof v === 'object') walk(v, `${at}.${k}`);
  };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const p of op.parameters ?? []) walk(p.schema, `${method} ${path} ${p.name}`);
      for (const c of Object.values(op.requestBody?.content ?? {})) walk(c.schema, `${method} ${path} body`);
    }
  }
  return out;
};
