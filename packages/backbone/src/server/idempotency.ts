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
 *
 * The gRPC edge honours the same two as metadata (grpc.ts), on the same table.
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

/** Where a service keeps its idempotency keys: the table `<schema>.idempotency`. */
export interface IdempotencyStore {
  db: Database;
  schema: string;
}

/** A stored answer to replay: status (HTTP) or 0 (gRPC OK), body as text (JSON, or base64 of a gRPC message). */
export interface StoredAnswer {
  status: number;
  body: string;
  contentType: string;
}

/** Runs a command (or the rest of a request) with the preconditions the edge read. */
export const withPreconditions = <T>(pre: CommandPreconditions, run: () => T): T => preconditions.run(pre, run);

/** Reads `If-Match` (HTTP header or gRPC metadata) into the expected revision. */
export const expectRevision = (pre: CommandPreconditions, value: string | undefined, field: string): void => {
  if (value === undefined) return;
  const m = IF_MATCH.exec(value.trim());
  if (m === null) throw inputInvalid([{ field, description: 'the revision to act on, quoted: "3"' }]);
  pre.expectedRevision = Number(m[1]);
};

/**
 * Looks an Idempotency-Key up for a department: a new key is left in `pre` to be claimed in the
 * command's transaction (undefined is returned); a known one with the same fingerprint returns its
 * stored answer; with another fingerprint, or not answered yet, it is refused (see above).
 */
export const recallAnswer = async (store: IdempotencyStore, pre: CommandPreconditions, req: { principal: string; key: string | undefined; fingerprint: () => string; field: string }): Promise<StoredAnswer | undefined> => {
  const { principal, key, field } = req;
  if (key === undefined) return undefined;
  if (!KEY.test(key)) throw inputInvalid([{ field, description: '1 to 255 visible ASCII characters, e.g. a UUID' }]);
  const fingerprint = req.fingerprint();
  const table = `${store.schema}.idempotency`;
  await store.db.query(`delete from ${table} where principal = $1 and key = $2 and created_at < now() - interval '${IDEMPOTENCY_RETENTION_HOURS} hours'`, [principal, key]);
  const [row] = await store.db.query<{ fingerprint: string; status: number | null; body: string | null; content_type: string | null }>(
    `select fingerprint, status, body, content_type from ${table} where principal = $1 and key = $2`,
    [principal, key],
  );
  if (row === undefined) {
    pre.idempotency = { principal, key, fingerprint };
    return undefined;
  }
  if (row.fingerprint !== fingerprint) {
    throw new GovError('GOV_ERR_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was used for another request; use a new key for a new request`, { violations: [{ field, description: 'already used with another method, path or body' }] });
  }
  if (row.status === null || row.body === null) {
    throw new GovError('GOV_ERR_IDEMPOTENCY_IN_PROGRESS', `the request with Idempotency-Key ${key} was accepted and its answer is not stored yet (in progress, or lost in a crash after the commit): retry, or read the resource`);
  }
  return { status: row.status, body: row.body, contentType: row.content_type ?? 'application/json' };
};

/** Stores the answer of a command whose key was claimed, for its retries. */
export const storeAnswer = async (store: IdempotencyStore, pre: CommandPreconditions | undefined, answer: StoredAnswer): Promise<void> => {
  const claimed = pre?.claimed;
  if (claimed === undefined) return;
  await store.db.query(`update ${store.schema}.idempotency set status = $3, body = $4, content_type = $5 where principal = $1 and key = $2 and status is null`, [
    claimed.principal,
    claimed.key,
    answer.status,
    answer.body,
    answer.contentType,
  ]);
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
export const registerIdempotency = (app: FastifyInstance, store: IdempotencyStore): void => {
  const saved = new WeakMap<FastifyRequest, CommandPreconditions>();

  app.addHook('onRequest', (req, _reply, done) => {
    if (!isCommand(req)) {
      done();
      return;
    }
    const pre: CommandPreconditions = {};
    saved.set(req, pre);
    withPreconditions(pre, done);
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const pre = saved.get(req);
    if (pre === undefined) return;
    expectRevision(pre, header(req, 'if-match'), 'headers.if-match');
    const key = header(req, 'idempotency-key');
    if (key === undefined) return;
    const answer = await recallAnswer(store, pre, { principal: req.principal().department.id, key, fingerprint: () => fingerprintOf(req), field: 'headers.idempotency-key' });
    if (answer !== undefined) return reply.status(answer.status).header('idempotent-replayed', 'true').type(answer.contentType).send(answer.body);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const pre = saved.get(req);
    if (pre?.claimed === undefined || reply.statusCode >= 300) return payload;
    // Command answers are JSON text; anything else (a stream) is not replayable and stays "in progress".
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    if (body === null) return payload;
    await storeAnswer(store, pre, { status: reply.statusCode, body, contentType: String(reply.getHeader('content-type') ?? 'application/json') });
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
