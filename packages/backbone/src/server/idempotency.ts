import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GovError, inputInvalid } from '../errors/errors.ts';
import { canonicalJson } from '../json/canonical-json.ts';
import type { Database, Tx } from '../store/database.ts';

/**
 * Safe retries of commands (issue 13, defect 7), once for every service.
 *
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): a client names a command; the
 * key is claimed in the command's own transaction, so a command is executed at most once per
 * department and key, however often it is retried and whatever replica answers. A retry with the
 * same body gets the first answer again (`idempotent-replayed: true`); the same key with another
 * body is 409 GOV_ERR_IDEMPOTENCY_KEY_REUSED; a retry that races the first request, or whose first
 * answer was lost in a crash after the commit, is 409 GOV_ERR_IDEMPOTENCY_IN_PROGRESS (retryable:
 * the resource itself says what happened). Keys are kept IDEMPOTENCY_RETENTION_HOURS.
 *
 * `If-Match: "<revision>"`: an optimistic client's command applies only if the aggregate is still
 * at that revision (the `revision` every view and acknowledgement reports), else 412.
 */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
const KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';
const IF_MATCH_PATTERN = '^(?:W/)?"(\\d{1,9})"$';
const KEY = new RegExp(KEY_PATTERN);
const IF_MATCH = new RegExp(IF_MATCH_PATTERN);

/** The two headers as the OpenAPI documents them on every command (openapi.ts). */
export const commandHeadersSchema = {
  type: 'object',
  properties: {
    'idempotency-key': { type: 'string', pattern: KEY_PATTERN, maxLength: 255, description: `Names the command so a retry runs it at most once (kept ${IDEMPOTENCY_RETENTION_HOURS} h): 1-255 visible ASCII characters, e.g. a UUID`, examples: ['5f0c2a4e-8f3b-4b1a-9d7e-2a6c1e9b3f40'] },
    'if-match': { type: 'string', pattern: IF_MATCH_PATTERN, maxLength: 20, description: 'Apply the command only if the resource is still at this revision (412 otherwise)', examples: ['"3"'] },
  },
} as const;

/** What the HTTP edge asks of the command that a request runs (read by the event store in its transaction). */
export interface CommandPreconditions {
  idempotency?: { principal: string; key: string; fingerprint: string };
  expectedRevision?: number;
  /** Set once the key is claimed in the command's transaction: the answer is stored against it. */
  claimed?: { principal: string; key: string; fingerprint: string };
}

const preconditions = new AsyncLocalStorage<CommandPreconditions>();

/** The current request's preconditions, if the command runs for an HTTP request. */
export const currentPreconditions = (): CommandPreconditions | undefined => preconditions.getStore();

/** Called by the event store inside the command's transaction, after loading the aggregate at `version`. */
export const claimPreconditions = async (tx: Tx, schema: string, aggregateId: string, version: number): Promise<void> => {
  const pre = preconditions.getStore();
  if (pre === undefined) return;
  if (pre.expectedRevision !== undefined && pre.expectedRevision !== version) {
    throw new GovError('GOV_ERR_PRECONDITION_FAILED', `${aggregateId} is at revision ${version}, not ${pre.expectedRevision} (If-Match): reload it and decide again`, {
      violations: [{ field: 'headers.if-match', description: `the current revision is ${version}` }],
    });
  }
  const i = pre.idempotency;
  if (i === undefined) return;
  // A unique violation here (a racing request with the same key committed first) rolls the command back.
  await tx.query(`insert into ${schema}.idempotency (principal, key, fingerprint) values ($1, $2, $3)`, [i.principal, i.key, i.fingerprint]);
  // One command per request: a second command in the same request claims nothing more.
  delete pre.idempotency;
  pre.claimed = i;
};

/** Method, route, parameters and body (keys sorted, so a retried body matches whatever its key order). */
const fingerprintOf = (req: FastifyRequest): string => {
  // Only parsed JSON is fingerprinted: a streamed body (an upload) is not a replayable command.
  const body: unknown = req.body;
  if (body !== null && typeof body === 'object' && (typeof (body as { pipe?: unknown }).pipe === 'function' || Buffer.isBuffer(body))) {
    throw inputInvalid([{ field: 'headers.idempotency-key', description: 'honoured on JSON commands only, not on streamed bodies' }]);
  }
  return createHash('sha256').update(`${req.method} ${req.routeOptions.url ?? req.url}\n${canonicalJson(req.params)}\n${canonicalJson(body ?? null)}`).digest('hex');
};

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

const isCommand = (req: FastifyRequest): boolean => req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && req.routeOptions.url?.startsWith('/v1/') === true;

/** Registers the hooks on a service's REST server; the table lives in the service's own schema. */
export const registerIdempotency = (app: FastifyInstance, store: { db: Database; schema: string }): void => {
  const table = `${store.schema}.idempotency`;
  const saved = new WeakMap<FastifyRequest, CommandPreconditions>();

  app.addHook('onRequest', (req, _reply, done) => {
    if (!isCommand(req)) {
      done();
      return;
    }
    const pre: CommandPreconditions = {};
    saved.set(req, pre);
    preconditions.run(pre, done);
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const pre = saved.get(req);
    if (pre === undefined) return;
    const ifMatch = header(req, 'if-match');
    if (ifMatch !== undefined) {
      const m = IF_MATCH.exec(ifMatch.trim());
      if (m === null) throw inputInvalid([{ field: 'headers.if-match', description: 'the revision to act on, quoted: "3"' }]);
      pre.expectedRevision = Number(m[1]);
    }
    const key = header(req, 'idempotency-key');
    if (key === undefined) return;
    if (!KEY.test(key)) throw inputInvalid([{ field: 'headers.idempotency-key', description: '1 to 255 visible ASCII characters, e.g. a UUID' }]);
    const principal = req.principal().department.id;
    const fingerprint = fingerprintOf(req);
    await store.db.query(`delete from ${table} where principal = $1 and key = $2 and created_at < now() - interval '${IDEMPOTENCY_RETENTION_HOURS} hours'`, [principal, key]);
    const [row] = await store.db.query<{ fingerprint: string; status: number | null; body: string | null; content_type: string | null }>(
      `select fingerprint, status, body, content_type from ${table} where principal = $1 and key = $2`,
      [principal, key],
    );
    if (row === undefined) {
      pre.idempotency = { principal, key, fingerprint };
      return;
    }
    if (row.fingerprint !== fingerprint) {
      throw new GovError('GOV_ERR_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was used for another request; use a new key for a new request`, { violations: [{ field: 'headers.idempotency-key', description: 'already used with another method, path or body' }] });
    }
    if (row.status === null || row.body === null) {
      throw new GovError('GOV_ERR_IDEMPOTENCY_IN_PROGRESS', `the request with Idempotency-Key ${key} was accepted and its answer is not stored yet (in progress, or lost in a crash after the commit): retry, or read the resource`);
    }
    return reply.status(row.status).header('idempotent-replayed', 'true').type(row.content_type ?? 'application/json').send(row.body);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const claimed = saved.get(req)?.claimed;
    if (claimed === undefined || reply.statusCode >= 300) return payload;
    // Command answers are JSON text; anything else (a stream) is not replayable and stays "in progress".
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    if (body === null) return payload;
    await store.db.query(`update ${table} set status = $3, body = $4, content_type = $5 where principal = $1 and key = $2 and status is null`, [
      claimed.principal,
      claimed.key,
      reply.statusCode,
      body,
      String(reply.getHeader('content-type') ?? 'application/json'),
    ]);
    return payload;
  });
};

/** The table, in every service's schema (backboneMigrations). */
export const idempotencyTableSql = (schema: string): string => `
      create table ${schema}.idempotency (
        principal text not null,
        key text not null,
        fingerprint text not null,
        status integer,
        body text,
        content_type text,
        created_at timestamptz not null default now(),
        primary key (principal, key)
      );`;
