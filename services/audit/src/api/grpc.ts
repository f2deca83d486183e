import type grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/audit/v1';
import { inputInvalid, notFound, requireRole, grpcEdge, type GrpcEdgeDeps } from '@govmesh/backbone';
import type { Checkpointer, ServedCheckpoint } from '../ledger/checkpointer.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { AuditQueries } from '../ledger/queries.ts';

/** gRPC AuditService: the same operations as the REST API, mapped from proto messages. */
const checkpointOut = (c: ServedCheckpoint): pb.Checkpoint => ({ origin: c.origin, size: String(c.size), rootHash: c.rootHash, note: c.note, issuedAt: c.issuedAt });

const int = (v: string, field: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw inputInvalid([{ field, description: 'a non-negative integer' }]);
  return n;
};

export const auditGrpcService = (deps: { ledger: Ledger; checkpointer: Checkpointer; queries: AuditQueries; edge: GrpcEdgeDeps }): { definition: typeof pb.AuditServiceService; implementation: grpc.UntypedServiceImplementation } => {
  const { ledger, checkpointer, queries } = deps;
  const u = grpcEdge(deps.edge, pb.AuditServiceService);
  const latestSize = () => {
    if (checkpointer.latestSize === 0) throw notFound('checkpoint', 'latest');
    return checkpointer.latestSize;
  };
  const impl: pb.AuditServiceServer = {
    getCheckpoint: u('GetCheckpoint', async () => {
      const c = await checkpointer.latest();
      if (c === undefined) throw notFound('checkpoint', 'latest');
      return { checkpoint: checkpointOut(c) };
    }),
    getInclusionProof: u('GetInclusionProof', async (r: pb.GetInclusionProofRequest) => {
      let index = int(r.index, 'index');
      if (r.ceId !== '') {
        const found = await ledger.store.entryByCeId(r.ceId);
        if (found === undefined) throw notFound('entry with ce_id', r.ceId);
        index = found;
      }
      const treeSize = r.treeSize === '0' ? latestSize() : int(r.treeSize, 'tree_size');
      const proof = await ledger.inclusionProof(index, treeSize);
      const c = await checkpointer.at(treeSize);
      return { index: String(index), treeSize: String(treeSize), leafHash: proof.leafHash, hashes: proof.hashes, checkpoint: c === undefined ? undefined : checkpointOut(c) };
    }),
    getConsistencyProof: u('GetConsistencyProof', async (r: pb.GetConsistencyProofRequest) => {
      const to = r.toSize === '0' ? latestSize() : int(r.toSize, 'to_size');
      const from = int(r.fromSize, 'from_size');
      return { fromSize: String(from), toSize: String(to), hashes: await ledger.consistencyProof(from, to) };
    }),
    listEntries: u('ListEntries', async (r: pb.ListEntriesRequest, p) => {
      requireRole(p, 'auditor', 'REC-02');
      const start = int(r.start, 'start');
      const end = int(r.end, 'end');
      if (end < start) throw inputInvalid([{ field: 'end', description: 'must not be below start' }]);
      const entries = await queries.entries(start, end);
      return {
        entries: entries.map((e) => ({
          index: String(e.index),
          leaf: Buffer.from(e.leaf, 'base64'),
          leafHash: Buffer.from(e.leafHash, 'base64'),
          topic: e.topic,
          partition: e.partition,
          offset: e.offset,
          ceId: e.ceId,
          ceType: e.ceType,
          ceSubject: e.ceSubject,
          ceCorrelationid: e.ceCorrelationid,
          ceTime: e.ceTime,
          problem: e.problem ?? '',
          dataJson: e.data === null ? '' : JSON.stringify(e.data),
        })),
      };
    }),
    getLifecycle: u('GetLifecycle', async (r: pb.GetLifecycleRequest, p) => {
      requireRole(p, 'auditor', 'REC-02');
      if (r.correlationId.trim() === '') throw inputInvalid([{ field: 'correlation_id', description: 'required' }]);
      const l = await queries.lifecycle(r.correlationId, r.withProofs);
      return {
        correlationId: l.id,
        linked: l.linked,
        timeline: l.timeline.map((t) => ({
          index: String(t.index),
          time: t.time,
          type: t.type,
          source: t.source,
          subject: t.subject,
          service: t.service,
          ceId: t.ceId,
          sequence: t.sequence ?? '',
          topic: t.topic,
          partition: t.partition,
          offset: t.offset,
          keyFieldsJson: JSON.stringify(t.keyFields),
          status: t.status ?? '',
          problem: t.problem ?? '',
          inclusionProof: (l.proofs[t.index] ?? []).map((h) => Buffer.from(h, 'base64')),
        })),
        finalState: l.finalState.map((s) => ({ service: s.service, status: s.status ?? '', lastType: s.lastType, lastTime: s.lastTime, lastIndex: String(s.lastIndex), flags: s.flags })),
        checkpoint: l.checkpoint === undefined ? undefined : checkpointOut(l.checkpoint),
      };
    }),
    addCosignature: u('AddCosignature', async (r: pb.AddCosignatureRequest, p) => {
      requireRole(p, 'operator');
      const got = await checkpointer.addCosignatures(r.cosignedNote);
      return { checkpoint: checkpointOut(got.checkpoint), accepted: got.accepted };
    }),
  };
  return { definition: pb.AuditServiceService, implementation: impl as unknown as grpc.UntypedServiceImplementation };
};
