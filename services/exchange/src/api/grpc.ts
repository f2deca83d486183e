import type grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/exchange/v1';
import { forbidden, inputInvalid, notFound, grpcEdge, serverStream, type GrpcEdgeDeps } from '@govmesh/backbone';
import { MAX_PULL_LIMIT, type RecordPull } from '../commands/record-pull.ts';
import type { DatasetQueries } from '../projections/dataset-queries.ts';
import type { Shares } from '../projections/share-view.ts';

/** gRPC ExchangeService: the reads of the REST API and the pull as a server stream (uploads are REST streams). */
const id = (field: string, v: string): string => {
  if (v.trim() === '') throw inputInvalid([{ field, description: 'required' }]);
  return v;
};

export const exchangeGrpcService = (deps: { datasets: DatasetQueries; shares: Shares; pull: RecordPull; edge: GrpcEdgeDeps }): { definition: typeof pb.ExchangeServiceService; implementation: grpc.UntypedServiceImplementation } => {
  const { datasets, shares } = deps;
  const u = grpcEdge(deps.edge, pb.ExchangeServiceService);
  const impl: pb.ExchangeServiceServer = {
    getDataset: u('GetDataset', async (r: pb.GetDatasetRequest, p) => {
      const d = await datasets.dataset(p, id('entry_id', r.entryId));
      return {
        entryId: d.entryId,
        provider: d.provider,
        currentVersion: d.currentVersion,
        keyItem: d.keyItem,
        recordCount: String(d.recordCount),
        history: d.history.map((h) => ({ ...h, rows: String(h.rows), upserted: String(h.upserted), deleted: String(h.deleted), recordCount: String(h.recordCount), bytes: String(h.bytes) })),
      };
    }),
    getShare: u('GetShare', async (r: pb.GetShareRequest, p) => {
      const s = await shares.get(id('share_id', r.shareId));
      if (s === null) throw notFound('share', r.shareId);
      const oversight = p.department.roles.includes('competent') || p.department.roles.includes('auditor');
      if (p.department.id !== s.requester && p.department.id !== s.provider && !oversight) throw forbidden(`share ${s.shareId} is read by its parties`, 'SEC-14');
      return {
        shareId: s.shareId,
        requester: s.requester,
        provider: s.provider,
        entryId: s.entryId,
        state: s.state,
        shareMethod: s.shareMethod ?? '',
        approvedItems: s.approvedItems,
        periodFrom: s.periodFrom,
        periodUntil: s.periodUntil,
      };
    }),
    pullRecords: serverStream('PullRecords', deps.edge, async (r: pb.PullRecordsRequest, p, send: (m: pb.PulledRecord) => Promise<void>) => {
      // proto3 has no absent ints: 0 means "not given"; a negative one is refused, not coerced.
      if (r.changedSince < 0) throw inputInvalid([{ field: 'changed_since', description: 'a dataset version, 0 or more' }]);
      if (r.limit < 0 || r.limit > MAX_PULL_LIMIT) throw inputInvalid([{ field: 'limit', description: `0 (the default) to ${MAX_PULL_LIMIT}` }]);
      const opened = await deps.pull.open(p, { shareId: id('share_id', r.shareId), cursor: r.cursor, changedSince: r.changedSince === 0 ? null : r.changedSince, limit: r.limit === 0 ? undefined : r.limit, cursorField: 'cursor' });
      for await (const lines of opened.pages) {
        let bytes = 0;
        for (const l of lines) {
          const m = { cursor: l.cursor, recordJson: l.record === undefined ? '' : JSON.stringify(l.record), deletedJson: l.deleted === undefined ? '' : JSON.stringify(l.deleted), datasetVersion: opened.datasetVersion };
          bytes += m.recordJson.length + m.deletedJson.length;
          await send(m);
        }
        opened.wrote(bytes);
      }
    }),
  };
  return { definition: pb.ExchangeServiceService, implementation: impl as unknown as grpc.UntypedServiceImplementation };
};
