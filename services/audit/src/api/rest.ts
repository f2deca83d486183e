import type { FastifyInstance } from 'fastify';
import { idSchema, inputInvalid, notFound, operation, requireRole } from '@govmesh/backbone';
import type { Checkpointer, ServedCheckpoint } from '../ledger/checkpointer.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { AuditQueries } from '../ledger/queries.ts';
import type { WitnessService } from '../ledger/witnessing.ts';

/**
 * REST API of the audit ledger (OpenAPI at /docs): the same operations as the gRPC AuditService.
 * Hashes and leaves are base64, as in C2SP checkpoints. Checkpoints and proofs are open to every
 * department of the platform; entries, lifecycles and completeness need the auditor role (REC-02:
 * the competent authority inspects records). The tlog-witness endpoint is outside /v1: a child
 * platform's log authenticates itself by its checkpoint signature, not with a department token.
 */
const tags = ['ledger'];
const b64 = (h: Buffer) => h.toString('base64');
const size = { type: 'integer', minimum: 0 } as const;
const int = { type: 'integer', minimum: 0 } as const;
const str = { type: 'string' } as const;
const b64s = { type: 'array', items: { type: 'string', contentEncoding: 'base64' } } as const;
const obj = (properties: Record<string, unknown>, optional: string[] = []) => ({ type: 'object', required: Object.keys(properties).filter((k) => !optional.includes(k)), properties }) as const;

/** The answers, as checkpointJson and AuditQueries give them. */
const checkpoint = {
  ...obj({ origin: str, size: int, rootHash: { type: 'string', contentEncoding: 'base64' }, note: { type: 'string', description: 'the C2SP signed note with every stored cosignature' }, issuedAt: { type: 'string', format: 'date-time' }, vkey: str }),
  examples: [{ origin: 'govmesh.gov.cn/national/ledger', size: 42, rootHash: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=', note: 'govmesh.gov.cn/national/ledger\n42\nn4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=\n\n— govmesh.gov.cn/national/ledger Az3g...\n', issuedAt: '2026-09-21T01:00:00.000Z', vkey: 'govmesh.gov.cn/national/ledger+b1d3c0a2+AT...' }],
};
const entry = obj({
  index: int, leaf: { type: 'string', contentEncoding: 'base64' }, leafHash: { type: 'string', contentEncoding: 'base64' }, topic: str, partition: int, offset: str, ceId: str, ceType: str, ceSubject: str, ceCorrelationid: str, ceTime: str,
  problem: { type: ['string', 'null'] }, late: { type: 'boolean' }, ledgeredAt: { type: 'string', format: 'date-time' }, data: { type: ['object', 'null'], description: 'the decoded event, null when undecodable' },
});
const lifecycle = obj({
  id: str,
  root: { type: ['string', 'null'] },
  excluded: { type: 'array', items: obj({ service: str, events: int }) },
  linked: { type: 'array', items: str },
  events: int,
  timeline: { type: 'array', items: { type: 'object', required: ['index', 'time', 'type', 'service', 'ceId'], properties: { index: int, time: str, type: str, fullType: str, source: str, subject: str, service: str, ceId: str, sequence: str, topic: str, partition: int } } },
  finalState: { type: 'array', items: obj({ service: str, status: str, lastType: str, lastTime: str, lastIndex: int, subjects: { type: 'array', items: str }, flags: { type: 'array', items: str } }, ['status']) },
  checkpoint: { anyOf: [checkpoint, { type: 'null' }] },
  proofs: { type: 'object', additionalProperties: b64s, description: 'inclusion proof of each timeline entry (by index) against checkpoint' },
});
const completeness = obj({
  size: int, checkpointSize: int, entries: int, seenAgain: int, undecodable: int, late: int,
  gaps: { type: 'array', items: obj({ topic: str, partition: int, from: str, to: str, idx: int }), description: 'offsets missing before an entry, seen at ingest' },
  partitions: { type: 'array', items: obj({ topic: str, partition: int, logStart: str, nextOffset: str }) },
});
const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
const AUDITOR = { roles: ['auditor'], who: 'REC-02: the competent authority inspects records' } as const;


/**
 * A lifecycle is named by its correlation id: an aggregate id, or the origin of a child platform's
 * ledger (`govmesh.gov.cn/<platform>/ledger`), whose witnessed checkpoints form a lifecycle of
 * their own (PLT-01). The same characters as an id, with `/` between segments.
 */
const lifecycleIdSchema = { ...idSchema, pattern: '^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$' } as const;
export const checkpointJson = (c: ServedCheckpoint, vkey: string) => ({ origin: c.origin, size: c.size, rootHash: b64(c.rootHash), note: c.note, issuedAt: c.issuedAt, vkey });

export const auditRoutes = (deps: { ledger: Ledger; checkpointer: Checkpointer; queries: AuditQueries; witness: WitnessService | undefined }) =>
  async (app: FastifyInstance): Promise<void> => {
    const { ledger, checkpointer, queries, witness } = deps;
    const latestSize = () => {
      const s = checkpointer.latestSize;
      if (s === 0) throw notFound('checkpoint', 'latest');
      return s;
    };

    app.get('/v1/ledger/checkpoint', { schema: operation({ operationId: 'getCheckpoint', summary: 'The latest signed checkpoint (C2SP signed note) with witness cosignatures, and the log vkey', roles: [], errors: ['GOV_ERR_NOT_FOUND'] }, { tags, response: { 200: checkpoint } }) }, async (req) => {
      req.principal();
      const c = await checkpointer.latest();
      if (c === undefined) throw notFound('checkpoint', 'latest');
      return checkpointJson(c, checkpointer.vkey);
    });

    app.get<{ Params: { size: number } }>(
      '/v1/ledger/checkpoints/:size',
      { schema: operation({ operationId: 'getCheckpointAt', summary: 'The checkpoint signed at one tree size', roles: [], errors: ['GOV_ERR_NOT_FOUND'] }, { tags, params: { type: 'object', required: ['size'], properties: { size } }, response: { 200: checkpoint } }) },
      async (req) => {
        req.principal();
        const c = await checkpointer.at(req.params.size);
        if (c === undefined) throw notFound('checkpoint of size', String(req.params.size));
        return checkpointJson(c, checkpointer.vkey);
      },
    );

    app.get<{ Querystring: { index?: number; ceId?: string; size?: number } }>(
      '/v1/ledger/proofs/inclusion',
      {
        schema: operation(
          { operationId: 'getInclusionProof', summary: 'Inclusion proof (RFC 9162 §2.1.3) of one entry, by index or ce_id, in the tree of a given size (default: the latest checkpoint)', roles: [], errors: ['GOV_ERR_NOT_FOUND'] },
          {
            tags,
            querystring: { type: 'object', additionalProperties: false, properties: { index: size, ceId: { type: 'string', minLength: 1 }, size: { type: 'integer', minimum: 1 } } },
            response: { 200: obj({ index: int, treeSize: int, leafHash: { type: 'string', contentEncoding: 'base64' }, hashes: b64s, checkpoint: { anyOf: [checkpoint, { type: 'null' }] } }) },
          },
        ),
      },
      async (req) => {
        req.principal();
        const { ceId } = req.query;
        let index = req.query.index;
        if (ceId !== undefined) {
          index = await ledger.store.entryByCeId(ceId);
          if (index === undefined) throw notFound('entry with ce_id', ceId);
        }
        if (index === undefined) throw inputInvalid([{ field: 'querystring.index', description: 'index or ceId is required' }]);
        const treeSize = req.query.size ?? latestSize();
        const proof = await ledger.inclusionProof(index, treeSize);
        const c = await checkpointer.at(treeSize);
        return { index, treeSize, leafHash: b64(proof.leafHash), hashes: proof.hashes.map(b64), checkpoint: c === undefined ? null : checkpointJson(c, checkpointer.vkey) };
      },
    );

    app.get<{ Querystring: { from: number; to?: number } }>(
      '/v1/ledger/proofs/consistency',
      {
        schema: operation(
          { operationId: 'getConsistencyProof', summary: 'Consistency proof (RFC 9162 §2.1.4) from one tree size to another (default: the latest checkpoint)', roles: [], errors: ['GOV_ERR_NOT_FOUND'] },
          { tags, querystring: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: size, to: size } }, response: { 200: obj({ from: int, to: int, hashes: b64s }) } },
        ),
      },
      async (req) => {
        req.principal();
        const to = req.query.to ?? latestSize();
        return { from: req.query.from, to, hashes: (await ledger.consistencyProof(req.query.from, to)).map(b64) };
      },
    );

    app.get<{ Querystring: { start: number; end: number } }>(
      '/v1/ledger/entries',
      {
        schema: operation(
          { operationId: 'listEntries', summary: 'Ledger entries [start, end) with their leaf bytes and decoded events (at most 1000; page on from the answer\'s end)', ...AUDITOR, errors: ['GOV_ERR_AUTH_FORBIDDEN'] },
          { tags, querystring: { type: 'object', required: ['start', 'end'], additionalProperties: false, properties: { start: size, end: size } }, response: { 200: obj({ start: int, end: int, entries: { type: 'array', items: entry } }) } },
        ),
      },
      async (req) => {
        requireRole(req.principal(), 'auditor', 'REC-02');
        const { start, end } = req.query;
        if (end < start) throw inputInvalid([{ field: 'querystring.end', description: 'must not be below start' }]);
        // Pages are capped (queries.entries returns at most 1000): `end` says where this page
        // stops, so a client pages on from it without skipping entries.
        const entries = await queries.entries(start, end);
        return { start, end: start + entries.length, entries };
      },
    );

    app.get<{ Params: { correlationId: string }; Querystring: { proofs?: boolean; service?: string } }>(
      '/v1/lifecycles/:correlationId',
      {
        schema: operation(
          { operationId: 'getLifecycle', summary: 'Every event of one share (its correlation id) across services, as a timeline and final state, with inclusion proofs', ...AUDITOR, errors: ['GOV_ERR_AUTH_FORBIDDEN', 'GOV_ERR_NOT_FOUND'] },
          {
            tags,
            params: { type: 'object', required: ['correlationId'], properties: { correlationId: lifecycleIdSchema } },
            // `service`: whose aggregate the id names, when two services' aggregates carry it (ids chosen before ids were typed).
            querystring: { type: 'object', additionalProperties: false, properties: { proofs: { type: 'boolean' }, service: { type: 'string', pattern: '^[a-z][a-z_-]{0,39}$' } } },
            response: { 200: lifecycle },
          },
        ),
      },
      async (req) => {
        requireRole(req.principal(), 'auditor', 'REC-02');
        const l = await queries.lifecycle(req.params.correlationId, req.query.proofs ?? true, req.query.service);
        return { ...l, checkpoint: l.checkpoint === undefined ? null : checkpointJson(l.checkpoint, checkpointer.vkey) };
      },
    );

    app.get('/v1/ledger/completeness', { schema: operation({ operationId: 'getCompleteness', summary: 'Per-partition watermarks, gaps seen at ingest, duplicates, late and undecodable entries', roles: ['auditor'], errors: ['GOV_ERR_AUTH_FORBIDDEN'] }, { tags, response: { 200: completeness } }) }, async (req) => {
      requireRole(req.principal(), 'auditor', 'VER-09');
      return queries.completeness();
    });

    app.post<{ Body: { note: string } }>(
      '/v1/ledger/cosignatures',
      {
        schema: operation(
          { operationId: 'addCosignature', summary: 'Store a witness cosignature: one of our checkpoints carrying cosignature lines by a configured witness', roles: ['operator'], errors: ['GOV_ERR_AUTH_FORBIDDEN', 'GOV_ERR_NOT_FOUND'] },
          { tags, body: { type: 'object', required: ['note'], additionalProperties: false, properties: { note: { type: 'string', minLength: 1 } } }, response: { 200: obj({ accepted: int, checkpoint }) } },
        ),
      },
      async (req) => {
        requireRole(req.principal(), 'operator');
        const r = await checkpointer.addCosignatures(req.body.note);
        return { accepted: r.accepted, checkpoint: checkpointJson(r.checkpoint, checkpointer.vkey) };
      },
    );

    if (witness !== undefined) {
      app.post<{ Body: string }>(
        '/tlog-witness/add-checkpoint',
        {
          schema: operation(
            { operationId: 'addCheckpoint', summary: 'C2SP tlog-witness add-checkpoint: cosign a child platform ledger checkpoint', roles: [], unauthenticated: "a child platform's log authenticates itself by its checkpoint signature" },
            {
              tags: ['witness'],
              consumes: ['text/plain'],
              // The protocol's own answers (C2SP tlog-witness) are text; the edge's are problem+json.
              response: {
                200: text('the cosignature line'),
                400: text('a malformed request or checkpoint'),
                403: text('the checkpoint is not signed by the log key'),
                404: text('an unknown log'),
                409: { description: "the witness's latest size for the log, which the request's old size must be", content: { 'text/x.tlog.size': { schema: { type: 'string' } } } },
                422: text('a forked log or a failing consistency proof'),
                503: text('concurrent add-checkpoint requests; retry'),
              },
            },
          ),
        },
        async (req, reply) => {
          const r = await witness.addCheckpoint(typeof req.body === 'string' ? req.body : '');
          return reply.status(r.status).type(r.contentType).send(r.body);
        },
      );
      app.get('/tlog-witness/vkey', { schema: operation({ operationId: 'getWitnessVkey', summary: 'The witness cosigner vkey', roles: [], unauthenticated: 'public key material' }, { tags: ['witness'], response: { 200: text('the vkey') } }) }, async (_req, reply) => reply.type('text/plain').send(`${witness.vkey}\n`));
    }
  };
