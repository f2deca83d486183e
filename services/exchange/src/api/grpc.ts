import type grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/exchange/v1';
import { forbidden, inputInvalid, notFound, grpcEdge, type GrpcEdgeDeps } from '@govmesh/backbone';
import type { DatasetQueries } from '../projections/dataset-queries.ts';
import type { Shares } from '../projections/share-view.ts';

/** gRPC ExchangeService: the reads of the REST API (uploads and pulls are REST streams for now). */
const id = (field: string, v: string): string => {
  if (v.trim() === '') throw inputInvalid([{ field, description: 'required' }]);
  return v;
};

export const exchangeGrpcService = (deps: { datasets: DatasetQueries; shares: Shares; edge: GrpcEdgeDeps }): { definition: typeof pb.ExchangeServiceService; implementation: grpc.UntypedServiceImplementation } => {
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
  };
  return { definition: pb.ExchangeServiceService, implementation: impl as unknown as grpc.UntypedServiceImplementation };
};
