import type { FastifyInstance } from 'fastify';
import { idSchema, inputInvalid, notFound, requireRole } from '@govmesh/backbone';
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

    app.get('/v1/ledger/checkpoint', { schema: { tags, summary: 'The latest signed checkpoint (C2SP signed note) with witness cosignatures, and the log vkey' } }, async (req) => {
      req.principal();
      const c = await checkpointer.latest();
      if (c === undefined) throw notFound('checkpoint', 'latest');
      return checkpointJson(c, checkpointer.vkey);
    });

    app.get<{ Params: { size: number } }>(
      '/v1/ledger/checkpoints/:size',
      { schema: { tags, summary: 'The checkpoint signed at one tree size', params: { type: 'object', required: ['size'], properties: { size } } } },
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
        schema: {
          tags,
          summary: 'Inclusion proof (RFC 9162 §2.1.3) of one entry, by index or ce_id, in the tree of a given size (default: the latest checkpoint)',
          querystring: { type: 'object', additionalProperties: false, properties: { index: size, ceId: { type: 'string', minLength: 1 }, size: { type: 'integer', minimum: 1 } } },
        },
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
        schema: {
          tags,
          summary: 'Consistency proof (RFC 9162 §2.1.4) from one tree size to another (default: the latest checkpoint)',
          querystring: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: size, to: size } },
        },
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
        schema: {
          tags,
          summary: 'Ledger entries [start, end) with their leaf bytes and decoded events (at most 1000; auditor role)',
          querystring: { type: 'object', required: ['start', 'end'], additionalProperties: false, properties: { start: size, end: size } },
        },
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
        schema: {
          tags,
          summary: 'Every event of one share (its correlation id) across services, as a timeline and final state, with inclusion proofs (auditor role)',
          params: { type: 'object', required: ['correlationId'], properties: { correlationId: lifecycleIdSchema } },
          // `service`: whose aggregate the id names, when two services' aggregates carry it (ids chosen before ids were typed).
          querystring: { type: 'object', additionalProperties: false, properties: { proofs: { type: 'boolean' }, service: { type: 'string', pattern: '^[a-z][a-z_-]{0,39}$' } } },
        },
      },
      async (req) => {
        requireRole(req.principal(), 'auditor', 'REC-02');
        const l = await queries.lifecycle(req.params.correlationId, req.query.proofs ?? true, req.query.service);
        return { ...l, checkpoint: l.checkpoint === undefined ? null : checkpointJson(l.checkpoint, checkpointer.vkey) };
      },
    );

    app.get('/v1/ledger/completeness', { schema: { tags, summary: 'Per-partition watermarks, gaps seen at ingest, duplicates, late and undecodable entries (auditor role)' } }, async (req) => {
      requireRole(req.principal(), 'auditor', 'VER-09');
      return queries.completeness();
    });

    app.post<{ Body: { note: string } }>(
      '/v1/ledger/cosignatures',
      {
        schema: {
          tags,
          summary: 'Store a witness cosignature: one of our checkpoints carrying cosignature lines by a configured witness (operator role)',
          body: { type: 'object', required: ['note'], additionalProperties: false, properties: { note: { type: 'string', minLength: 1 } } },
        },
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
        { schema: { tags: ['witness'], summary: 'C2SP tlog-witness add-checkpoint: cosign a child platform ledger checkpoint', consumes: ['text/plain'] } },
        async (req, reply) => {
          const r = await witness.addCheckpoint(typeof req.body === 'string' ? req.body : '');
          return reply.status(r.status).type(r.contentType).send(r.body);
        },
      );
      app.get('/tlog-witness/vkey', { schema: { tags: ['witness'], summary: 'The witness cosigner vkey' } }, async (_req, reply) => reply.type('text/plain').send(`${witness.vkey}\n`));
    }
  };
