import { DisputeOutcomeValues, MisuseKindValues, RefusalGroundValues, ServiceChangeKindValues } from '@govmesh/contracts/avro';
import type grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/request/v1';
import { inputInvalid, notFound, type Principal, fromProtoEnum, toProtoEnum, grpcEdge, type GrpcEdgeDeps } from '@govmesh/backbone';
import type { CommandAck, RequestCommands, ShareCommandInput } from '../commands/request-commands.ts';
import type { CatalogView } from '../projections/catalog-view.ts';
import type { RequestQueries, ShareSummary } from '../projections/request-queries.ts';
import { SHARE_METHODS, contentFromProto, contentToProto, scopeChangeFromProto, shareMethodFromProto } from './content-mapping.ts';

// A caller states why use ended; PERIOD_EXPIRED is recorded only by the deadline watcher.
const CALLER_USE_END_REASONS = ['PURPOSE_ACHIEVED', 'PURPOSE_IMPOSSIBLE', 'NO_LONGER_NEEDED'] as const;

/** gRPC RequestService: the same operations as the REST API, mapped from proto messages. */
const id = (shareId: string): string => {
  if (shareId.trim() === '') throw inputInvalid([{ field: 'share_id', description: 'required' }]);
  return shareId;
};

const view = (s: ShareSummary): pb.ShareView => ({
  shareId: s.shareId,
  status: s.status,
  revision: s.revision,
  platform: s.platform,
  requester: s.requester,
  provider: s.provider,
  entryName: s.entryName,
  shareAttribute: s.shareAttribute,
  content: s.content === null ? undefined : contentToProto(s.content),
  replyDueAt: s.replyDueAt ?? '',
  replyOverdue: s.replyOverdue,
  deliveryDueAt: s.deliveryDueAt ?? '',
  deliveryOverdue: s.deliveryOverdue,
  extension: s.extension,
  disputeStage: s.disputeStage ?? '',
  stateJson: JSON.stringify(s.state),
  provisionalDeadlines: s.provisionalDeadlines,
});

const ackOut = (a: CommandAck): pb.ShareResponse => a;

const REFUSAL_GROUNDS = RefusalGroundValues;

const time = (field: string, s: string): Date | undefined => {
  if (s === '') return undefined;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw inputInvalid([{ field, description: 'RFC 3339 timestamp expected' }]);
  return d;
};

export const requestGrpcService = (deps: { commands: RequestCommands; queries: RequestQueries; catalog: CatalogView; edge: GrpcEdgeDeps }): { definition: typeof pb.RequestServiceService; implementation: grpc.UntypedServiceImplementation } => {
  const { commands, queries } = deps;
  const u = grpcEdge(deps.edge, pb.RequestServiceService);
  /** A command RPC: the request carries share_id, the rest maps to the command input. */
  const c = <Req extends { shareId: string }>(name: string, toInput: (r: Req) => ShareCommandInput) =>
    u<Req, pb.ShareResponse>(name, async (r: Req, p: Principal) => ackOut(await commands.execute(p, id(r.shareId), toInput(r))));
  const impl: pb.RequestServiceServer = {
    draftRequest: u('DraftRequest', async (r: pb.DraftRequestRequest, p) => ackOut(await commands.draft(p, r.shareId, contentFromProto(r.content)))),
    reviseRequest: c('ReviseRequest', (r: pb.ReviseRequestRequest) => ({ kind: 'ReviseRequest', content: contentFromProto(r.content) })),
    approveInternally: c('ApproveInternally', (r: pb.ApproveInternallyRequest) => ({ kind: 'ApproveInternally', approver: r.approver })),
    submitRequest: c('SubmitRequest', () => ({ kind: 'SubmitRequest' })),
    notifyMissingMaterials: c('NotifyMissingMaterials', (r: pb.NotifyMissingMaterialsRequest) => ({ kind: 'NotifyMissingMaterials', items: r.items.map((i) => ({ name: i.name, description: i.description })) })),
    resubmitRequest: c('ResubmitRequest', (r: pb.ResubmitRequestRequest) => ({ kind: 'ResubmitRequest', supplied: r.supplied.map((i) => ({ name: i.name, reference: i.reference })) })),
    requestReplyExtension: c('RequestReplyExtension', (r: pb.RequestReplyExtensionRequest) => ({ kind: 'RequestReplyExtension', workingDays: r.workingDays, reason: r.reason })),
    decideReplyExtension: c('DecideReplyExtension', (r: pb.DecideReplyExtensionRequest) => ({ kind: 'DecideReplyExtension', grant: r.grant, reason: r.reason })),
    replyToRequest: c('ReplyToRequest', (r: pb.ReplyToRequestRequest) => ({
      kind: 'ReplyToRequest',
      decision: fromProtoEnum('decision', pb.replyDecisionToJSON(r.decision), 'REPLY_DECISION_', ['APPROVE', 'REFUSE'] as const),
      headApprover: r.headApprover,
      reasons: r.reasons.map((x, n) => ({ ground: fromProtoEnum(`reasons[${n}].ground`, pb.refusalGroundToJSON(x.ground), 'REFUSAL_GROUND_', REFUSAL_GROUNDS), detail: x.detail })),
      conditions: r.conditions,
      disposalRequirement: r.disposalRequirement,
    })),
    withdrawRequest: c('WithdrawRequest', (r: pb.WithdrawRequestRequest) => ({ kind: 'WithdrawRequest', reason: r.reason })),
    openDispute: c('OpenDispute', (r: pb.OpenDisputeRequest) => ({ kind: 'OpenDispute', grounds: r.grounds })),
    escalateDispute: c('EscalateDispute', (r: pb.EscalateDisputeRequest) => ({ kind: 'EscalateDispute', reason: r.reason })),
    resolveDispute: c('ResolveDispute', (r: pb.ResolveDisputeRequest) => ({
      kind: 'ResolveDispute',
      outcome: fromProtoEnum('outcome', pb.disputeOutcomeToJSON(r.outcome), 'DISPUTE_OUTCOME_', DisputeOutcomeValues),
      decision: r.decision,
      reference: r.reference,
    })),
    startDelivery: c('StartDelivery', (r: pb.StartDeliveryRequest) => ({ kind: 'StartDelivery', shareMethod: r.shareMethod === pb.ShareMethod.SHARE_METHOD_UNSPECIFIED ? null : shareMethodFromProto('share_method', r.shareMethod) })),
    requestScopeChange: c('RequestScopeChange', (r: pb.RequestScopeChangeRequest) => ({ kind: 'RequestScopeChange', change: scopeChangeFromProto(r.change), reason: r.reason })),
    decideScopeChange: c('DecideScopeChange', (r: pb.DecideScopeChangeRequest) => ({ kind: 'DecideScopeChange', approve: r.approve, headApprover: r.headApprover, reason: r.reason })),
    suspendShare: c('SuspendShare', (r: pb.SuspendShareRequest) => ({
      kind: 'SuspendShare',
      misuse: fromProtoEnum('misuse', pb.misuseKindToJSON(r.misuse), 'MISUSE_KIND_', MisuseKindValues),
      findings: r.findings,
      rectificationWorkingDays: r.rectificationWorkingDays,
    })),
    reportRectification: c('ReportRectification', (r: pb.ReportRectificationRequest) => ({ kind: 'ReportRectification', description: r.description })),
    resumeShare: c('ResumeShare', (r: pb.ResumeShareRequest) => ({ kind: 'ResumeShare', note: r.note })),
    terminateShare: c('TerminateShare', (r: pb.TerminateShareRequest) => ({ kind: 'TerminateShare', reason: r.reason })),
    proposeServiceChange: c('ProposeServiceChange', (r: pb.ProposeServiceChangeRequest) => ({
      kind: 'ProposeServiceChange',
      change: fromProtoEnum('kind', pb.serviceChangeKindToJSON(r.kind), 'SERVICE_CHANGE_KIND_', ServiceChangeKindValues),
      reason: r.reason,
      description: r.description,
    })),
    recordServiceChangeNegotiation: c('RecordServiceChangeNegotiation', (r: pb.RecordServiceChangeNegotiationRequest) => ({ kind: 'RecordServiceChangeNegotiation', requesterAgrees: r.requesterAgrees, notes: r.notes })),
    recordServiceChangeFiling: c('RecordServiceChangeFiling', (r: pb.RecordServiceChangeFilingRequest) => ({ kind: 'RecordServiceChangeFiling', reference: r.reference })),
    recordUsage: c('RecordUsage', (r: pb.RecordUsageRequest) => ({ kind: 'RecordUsage', process: r.process, outcomes: r.outcomes, storage: r.storage })),
    endUse: c('EndUse', (r: pb.EndUseRequest) => ({
      kind: 'EndUse',
      reason: fromProtoEnum('reason', pb.useEndReasonToJSON(r.reason), 'USE_END_REASON_', CALLER_USE_END_REASONS),
      note: r.note,
    })),
    confirmDisposal: c('ConfirmDisposal', (r: pb.ConfirmDisposalRequest) => {
      const disposedAt = time('disposed_at', r.disposedAt);
      return { kind: 'ConfirmDisposal', method: r.method, reference: r.reference, ...(disposedAt === undefined ? {} : { disposedAt }) };
    }),
    getShare: u('GetShare', async (r: pb.GetShareRequest, p) => {
      const got = await queries.get(p, id(r.shareId));
      return { share: view(got.share), history: got.history.map((h) => ({ revision: h.revision, type: h.type, time: h.time, eventId: h.eventId, dataJson: JSON.stringify(h.data) })) };
    }),
    searchShares: u('SearchShares', async (r: pb.SearchSharesRequest, p) => {
      const res = await queries.search(p, { requester: r.requester, provider: r.provider, status: r.status, overdueOnly: r.overdueOnly, limit: r.limit, offset: r.offset });
      return { shares: res.shares.map(view), total: res.total };
    }),
    getRequestableEntry: u('GetRequestableEntry', async (r: pb.GetRequestableEntryRequest, p) => {
      if (r.entryId.trim() === '') throw inputInvalid([{ field: 'entry_id', description: 'required' }]);
      const e = await deps.catalog.snapshotFor(p, r.entryId);
      if (e === null) throw notFound('catalog entry', r.entryId);
      return {
        entryId: e.entryId,
        status: e.status,
        provider: e.provider,
        name: e.name,
        latestVersion: e.latestVersion,
        shareAttribute: e.version?.shareAttribute ?? '',
        dataItems: e.version?.dataItems ?? [],
        shareMethods: (e.version?.shareMethods ?? []).filter((m) => (SHARE_METHODS as readonly string[]).includes(m)).map((m) => toProtoEnum(m, 'SHARE_METHOD_', pb.shareMethodFromJSON)),
      };
    }),
  };
  return { definition: pb.RequestServiceService, implementation: impl as unknown as grpc.UntypedServiceImplementation };
};
