import type {
  DisputeOutcome, DisputeStage, MisuseKind, MissingMaterial, RefusalReason, RequestEvent, ScopeChange, ServiceChangeKind, ShareAttribute, ShareMethod,
  ShareRequestContent, SuppliedMaterial, TerminationCause, UseEndReason,
} from '@govmesh/contracts/avro';
import { assertNever, legacyDeadline, type CommandContext, type Deadline, type Decider, type DecisionDeps, type Role } from '@govmesh/backbone';
import { endOfDay, type CatalogSnapshot } from './content.ts';
import { DELIVERY_WORKING_DAYS, deliveryClock, rectificationClock, termsOf } from './share-request-rules.ts';
import { draftRequest, reviseRequest, approveInternally, submitRequest, withdrawRequest } from './share-request-drafting.ts';
import { notifyMissingMaterials, resubmitRequest, requestReplyExtension, decideReplyExtension, replyToRequest } from './share-request-reply.ts';
import { openDispute, escalateDispute, resolveDispute } from './share-request-dispute.ts';
import { startDelivery, recordExchangeDelivery, requestScopeChange, decideScopeChange, suspendShare, reportRectification, resumeShare, terminateShare, proposeServiceChange, recordServiceChangeNegotiation, recordServiceChangeFiling, recordUsage, endUse, confirmDisposal } from './share-request-use.ts';
import { checkDeadlines } from './share-request-deadlines.ts';

/**
 * ShareRequest: one department's request for another's data and, once granted, the share itself
 * (docs/requirements.md#share-request-lifecycle): draft -> the requester's office head consents ->
 * submitted (reply clock) -> approved or refused (-> dispute ladder) -> active once delivery starts
 * -> suspended, changed, terminated, or ended -> data disposed of.
 *
 * Reply clock (APR-02): it starts when the request reaches the provider (submission); 1 working
 * day for unconditional data, 10 for conditional. A missing-materials notice stops it and the
 * resubmission restarts it in full: S1 Art. 21 does not say whether the clock pauses or restarts,
 * and a full restart is the reading under which the provider always has the whole statutory period
 * to review a complete request (docs/requirements.md#deadlines marks the point as uncertain). A
 * notice sent after the deadline is late and restarts nothing: the reply stays due at the missed
 * deadline. The one extension (APR-03) is counted from the deadline it extends and may be asked for
 * once per request.
 * Approvals, refusals and notices record the deadline in force and whether they met it. At each
 * submission the request is judged against the entry's current published version (CAT-04, CAT-05).
 *
 * Delivery (DLV-01): an approved share becomes ACTIVE when delivery starts: normally when the
 * exchange service's first delivery of it is reported on `<platform>.exchange.events`
 * (RecordExchangeDelivery); for data delivered outside the platform, StartDelivery comes from the
 * provider or a platform operator, by API or as a DeliveryStarted event on `<platform>.request.ingest`.
 */
export type ShareStatus =
  | 'NONE' | 'DRAFT' | 'INTERNAL_APPROVED' | 'SUBMITTED' | 'MATERIALS_REQUESTED' | 'APPROVED' | 'REFUSED' | 'IN_DISPUTE'
  | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED' | 'USE_ENDED' | 'DISPOSED' | 'WITHDRAWN';

export interface Actor {
  departmentId: string;
  roles: readonly Role[];
  platform: string;
}

export interface ReplyClock {
  receivedAt: string;
  /** The working days the deadline in force counts from `countedFrom` (an extension adds to them). */
  workingDays: number;
  countedFrom: string;
  dueAt: string;
  /** The deadline counts a day of a year without official holiday schedule (ADR 0008). */
  provisional: boolean;
  /** The deadline already flagged overdue (a new deadline after an extension can be flagged again). */
  overdueFlaggedFor: string | null;
}

/** The delivery deadline (DLV-01) and what it is counted from, so that it can be counted again. */
export interface DeliveryClock {
  deliveryDueAt: string;
  deliveryProvisional: boolean;
  deliveryCountedFrom: string;
  deliveryWorkingDays: number;
}

/** The rectification deadline (SUS-01) and what it is counted from. */
export interface RectificationClock {
  rectificationDueAt: string;
  rectificationProvisional: boolean;
  rectificationCountedFrom: string;
  rectificationWorkingDays: number;
}

export interface UseTerms {
  dataItems: string[];
  useScenario: string;
  useScope: string;
  periodUntil: string;
  thirdParties: string[];
}

export interface ShareRequestState {
  shareId: string;
  platform: string;
  requester: string;
  provider: string;
  status: ShareStatus;
  content: ShareRequestContent | null;
  entryName: string;
  shareAttribute: ShareAttribute | null;
  internalApprover: string | null;
  reply: ReplyClock | null;
  /** The one missing-materials notice (REQ-05), null until sent. */
  missingMaterials: MissingMaterial[] | null;
  /** The notice came after the reply deadline: the resubmission gets no fresh reply period (REQ-05, APR-02). */
  missingMaterialsLate: boolean;
  supplied: SuppliedMaterial[];
  extension: 'NONE' | 'REQUESTED' | 'GRANTED' | 'REFUSED';
  extensionDays: number;
  refusal: { refusedBy: string; headApprover: string; reasons: RefusalReason[] } | null;
  approval: ({ approvedBy: string; headApprover: string | null; automatic: boolean; conditions: string; disposalRequirement: string; deliveryOverdue: boolean; delivered: boolean } & DeliveryClock) | null;
  /** authority: the competent department that coordinates and records the government's decision (DSP-01); null when none is known. */
  dispute: { stage: DisputeStage; crossLevel: boolean; authority: string | null; grounds: string; outcome: DisputeOutcome | null } | null;
  /** What the requester may do with the data: the request's terms, changed only with the provider's consent (USE-01). */
  terms: UseTerms | null;
  pendingScopeChange: { change: ScopeChange; reason: string } | null;
  suspension: ({ suspendedBy: string; misuse: MisuseKind; findings: string; rectificationReported: boolean } & RectificationClock) | null;
  serviceChange: { kind: ServiceChangeKind; reason: string; description: string; negotiated: boolean } | null;
  termination: { terminatedBy: string; cause: TerminationCause; reason: string } | null;
  useEnd: { reason: UseEndReason; note: string; disposalRequirement: string } | null;
  disposal: { method: string; reference: string; disposedAt: string } | null;
  usageRecords: number;
}

export type ShareCommand =
  | { kind: 'DraftRequest'; by: Actor; shareId: string; content: ShareRequestContent; entry: CatalogSnapshot | null }
  | { kind: 'ReviseRequest'; by: Actor; content: ShareRequestContent; entry: CatalogSnapshot | null }
  | { kind: 'ApproveInternally'; by: Actor; approver: string }
  | { kind: 'SubmitRequest'; by: Actor; autoGrantUnconditional: boolean; entry: CatalogSnapshot | null }
  | { kind: 'NotifyMissingMaterials'; by: Actor; items: MissingMaterial[] }
  | { kind: 'ResubmitRequest'; by: Actor; supplied: SuppliedMaterial[]; autoGrantUnconditional: boolean; entry: CatalogSnapshot | null }
  | { kind: 'RequestReplyExtension'; by: Actor; workingDays: number; reason: string }
  | { kind: 'DecideReplyExtension'; by: Actor; grant: boolean; reason: string }
  | { kind: 'ReplyToRequest'; by: Actor; decision: 'APPROVE' | 'REFUSE'; headApprover: string; reasons: RefusalReason[]; conditions: string; disposalRequirement: string }
  | { kind: 'WithdrawRequest'; by: Actor; reason: string }
  | { kind: 'OpenDispute'; by: Actor; grounds: string; crossLevel: boolean; authority: string | null }
  | { kind: 'EscalateDispute'; by: Actor; reason: string }
  | { kind: 'ResolveDispute'; by: Actor; outcome: DisputeOutcome; decision: string; reference: string }
  | { kind: 'StartDelivery'; by: Actor; shareMethod: ShareMethod | null }
  /** The exchange's first delivery of the share (its ShareDeliveryStarted), the normal way a share becomes active. */
  | { kind: 'RecordExchangeDelivery'; shareMethod: ShareMethod; startedAt: string }
  | { kind: 'RequestScopeChange'; by: Actor; change: ScopeChange; reason: string; entry: CatalogSnapshot | null }
  | { kind: 'DecideScopeChange'; by: Actor; approve: boolean; headApprover: string; reason: string }
  | { kind: 'SuspendShare'; by: Actor; misuse: MisuseKind; findings: string; rectificationWorkingDays: number }
  | { kind: 'ReportRectification'; by: Actor; description: string }
  | { kind: 'ResumeShare'; by: Actor; note: string }
  | { kind: 'TerminateShare'; by: Actor; reason: string }
  | { kind: 'ProposeServiceChange'; by: Actor; change: ServiceChangeKind; reason: string; description: string }
  | { kind: 'RecordServiceChangeNegotiation'; by: Actor; requesterAgrees: boolean; notes: string }
  | { kind: 'RecordServiceChangeFiling'; by: Actor; reference: string }
  | { kind: 'RecordUsage'; by: Actor; process: string; outcomes: string; storage: string }
  | { kind: 'EndUse'; by: Actor; reason: Exclude<UseEndReason, 'PERIOD_EXPIRED'>; note: string }
  | { kind: 'ConfirmDisposal'; by: Actor; method: string; reference: string; disposedAt?: Date }
  | { kind: 'CheckDeadlines' };

export { DELIVERY_WORKING_DAYS, MAX_EXTENSION_WORKING_DAYS, MAX_RECTIFICATION_WORKING_DAYS, REPLY_WORKING_DAYS } from './share-request-rules.ts';

export const initialState = (): ShareRequestState => ({
  shareId: '',
  platform: '',
  requester: '',
  provider: '',
  status: 'NONE',
  content: null,
  entryName: '',
  shareAttribute: null,
  internalApprover: null,
  reply: null,
  missingMaterials: null,
  missingMaterialsLate: false,
  supplied: [],
  extension: 'NONE',
  extensionDays: 0,
  refusal: null,
  approval: null,
  dispute: null,
  terms: null,
  pendingScopeChange: null,
  suspension: null,
  serviceChange: null,
  termination: null,
  useEnd: null,
  disposal: null,
  usageRecords: 0,
});

/** Each command is decided by its phase's function: share-request-{drafting,reply,dispute,use,deadlines}.ts. */
export const decide = (cmd: ShareCommand, s: ShareRequestState, ctx: CommandContext, deps: DecisionDeps): RequestEvent[] => {
  switch (cmd.kind) {
    case 'DraftRequest': return draftRequest(cmd, s, ctx, deps);
    case 'ReviseRequest': return reviseRequest(cmd, s, ctx, deps);
    case 'ApproveInternally': return approveInternally(cmd, s, ctx, deps);
    case 'SubmitRequest': return submitRequest(cmd, s, ctx, deps);
    case 'NotifyMissingMaterials': return notifyMissingMaterials(cmd, s, ctx, deps);
    case 'ResubmitRequest': return resubmitRequest(cmd, s, ctx, deps);
    case 'RequestReplyExtension': return requestReplyExtension(cmd, s, ctx, deps);
    case 'DecideReplyExtension': return decideReplyExtension(cmd, s, ctx, deps);
    case 'ReplyToRequest': return replyToRequest(cmd, s, ctx, deps);
    case 'WithdrawRequest': return withdrawRequest(cmd, s, ctx, deps);
    case 'OpenDispute': return openDispute(cmd, s, ctx, deps);
    case 'EscalateDispute': return escalateDispute(cmd, s, ctx, deps);
    case 'ResolveDispute': return resolveDispute(cmd, s, ctx, deps);
    case 'StartDelivery': return startDelivery(cmd, s, ctx, deps);
    case 'RecordExchangeDelivery': return recordExchangeDelivery(cmd, s, ctx, deps);
    case 'RequestScopeChange': return requestScopeChange(cmd, s, ctx, deps);
    case 'DecideScopeChange': return decideScopeChange(cmd, s, ctx, deps);
    case 'SuspendShare': return suspendShare(cmd, s, ctx, deps);
    case 'ReportRectification': return reportRectification(cmd, s, ctx, deps);
    case 'ResumeShare': return resumeShare(cmd, s, ctx, deps);
    case 'TerminateShare': return terminateShare(cmd, s, ctx, deps);
    case 'ProposeServiceChange': return proposeServiceChange(cmd, s, ctx, deps);
    case 'RecordServiceChangeNegotiation': return recordServiceChangeNegotiation(cmd, s, ctx, deps);
    case 'RecordServiceChangeFiling': return recordServiceChangeFiling(cmd, s, ctx, deps);
    case 'RecordUsage': return recordUsage(cmd, s, ctx, deps);
    case 'EndUse': return endUse(cmd, s, ctx, deps);
    case 'ConfirmDisposal': return confirmDisposal(cmd, s, ctx, deps);
    case 'CheckDeadlines': return checkDeadlines(cmd, s, ctx, deps);
    default:
      return assertNever(cmd, 'share command');
  }
};

export const evolve = (s: ShareRequestState, e: RequestEvent): ShareRequestState => {
  switch (e.type) {
    case 'ShareRequestDrafted':
      return { ...s, shareId: e.data.shareId, platform: e.data.platform, requester: e.data.requester, provider: e.data.content.provider, status: 'DRAFT', content: e.data.content, entryName: e.data.entryName, shareAttribute: e.data.shareAttribute };
    case 'ShareRequestRevised':
      return { ...s, status: 'DRAFT', provider: e.data.content.provider, content: e.data.content, entryName: e.data.entryName, shareAttribute: e.data.shareAttribute, internalApprover: null };
    case 'ShareRequestInternallyApproved':
      return { ...s, status: 'INTERNAL_APPROVED', internalApprover: e.data.approver };
    case 'ShareRequestSubmitted': {
      const d = legacyDeadline(e.data.replyDueAt, e.data.replyDueAtProvisional, { from: e.data.receivedAt, workingDays: e.data.replyWorkingDays });
      return { ...s, status: 'SUBMITTED', reply: { receivedAt: e.data.receivedAt, workingDays: d.workingDays, countedFrom: d.from, dueAt: d.dueAt, provisional: d.provisional, overdueFlaggedFor: null } };
    }
    case 'MissingMaterialsNotified':
      return { ...s, status: 'MATERIALS_REQUESTED', missingMaterials: e.data.items, missingMaterialsLate: e.data.late === true };
    case 'ShareRequestResubmitted': {
      // After a late notice the deadline stays the missed one: a flag already raised for it stands.
      // After a late notice the deadline stays the missed one, counted as before.
      if (s.reply !== null && s.reply.dueAt === e.data.replyDueAt) return { ...s, status: 'SUBMITTED', supplied: e.data.supplied, reply: { ...s.reply, receivedAt: e.data.receivedAt } };
      const d = legacyDeadline(e.data.replyDueAt, e.data.replyDueAtProvisional, { from: e.data.receivedAt, workingDays: e.data.replyWorkingDays });
      return { ...s, status: 'SUBMITTED', supplied: e.data.supplied, reply: { receivedAt: e.data.receivedAt, workingDays: d.workingDays, countedFrom: d.from, dueAt: d.dueAt, provisional: d.provisional, overdueFlaggedFor: null } };
    }
    case 'ReplyExtensionRequested':
      return { ...s, extension: 'REQUESTED', extensionDays: e.data.workingDays };
    case 'ReplyDeadlineExtended':
      // The extension counts on from the deadline it extends.
      if (s.reply === null) return { ...s, extension: 'GRANTED' };
      {
        const d = legacyDeadline(e.data.replyDueAt, e.data.replyDueAtProvisional, { from: s.reply.countedFrom ?? s.reply.dueAt, workingDays: (s.reply.countedFrom === undefined ? 0 : s.reply.workingDays) + e.data.workingDays });
        return { ...s, extension: 'GRANTED', reply: { ...s.reply, dueAt: d.dueAt, provisional: d.provisional, countedFrom: d.from, workingDays: d.workingDays } };
      }
    case 'ReplyExtensionRefused':
      return { ...s, extension: 'REFUSED' };
    case 'ShareRequestApproved':
      return {
        ...s,
        status: 'APPROVED',
        approval: {
          approvedBy: e.data.approvedBy, headApprover: e.data.headApprover, automatic: e.data.automatic, conditions: e.data.conditions, disposalRequirement: e.data.disposalRequirement, deliveryOverdue: false, delivered: false,
          ...deliveryClock(legacyDeadline(e.data.deliveryDueAt, e.data.deliveryDueAtProvisional, e.data.approvedAt === null ? null : { from: e.data.approvedAt, workingDays: DELIVERY_WORKING_DAYS })),
        },
        terms: s.content === null ? null : { ...termsOf(s.content), dataItems: [...e.data.dataItems] },
      };
    case 'ShareRequestRefused':
      return { ...s, status: 'REFUSED', refusal: { refusedBy: e.data.refusedBy, headApprover: e.data.headApprover, reasons: e.data.reasons } };
    case 'ShareRequestWithdrawn':
      return { ...s, status: 'WITHDRAWN' };
    case 'ReplyOverdue':
      return s.reply === null ? s : { ...s, reply: { ...s.reply, overdueFlaggedFor: e.data.dueAt } };
    case 'DeliveryOverdue':
      return s.approval === null ? s : { ...s, approval: { ...s.approval, deliveryOverdue: true } };
    case 'DisputeOpened':
      return { ...s, status: 'IN_DISPUTE', dispute: { stage: 'NEGOTIATION', crossLevel: e.data.crossLevel, authority: e.data.authority, grounds: e.data.grounds, outcome: null } };
    case 'DisputeEscalated':
      return s.dispute === null ? s : { ...s, dispute: { ...s.dispute, stage: e.data.toStage, authority: e.data.authority ?? s.dispute.authority } };
    case 'DisputeResolved': {
      const dispute = s.dispute === null ? null : { ...s.dispute, outcome: e.data.outcome };
      if (e.data.outcome === 'REFUSAL_UPHELD' || e.data.deliveryDueAt === null) return { ...s, status: 'REFUSED', dispute };
      return {
        ...s,
        status: 'APPROVED',
        dispute,
        approval: {
          approvedBy: e.data.resolvedBy, headApprover: null, automatic: false, conditions: '', disposalRequirement: '', deliveryOverdue: false, delivered: false,
          ...deliveryClock(legacyDeadline(e.data.deliveryDueAt, e.data.deliveryDueAtProvisional, e.data.resolvedAt === null ? null : { from: e.data.resolvedAt, workingDays: DELIVERY_WORKING_DAYS })),
        },
        terms: s.content === null ? null : termsOf(s.content),
      };
    }
    case 'ShareActivated':
      return { ...s, status: 'ACTIVE', approval: s.approval === null ? null : { ...s.approval, delivered: true } };
    case 'ScopeChangeRequested':
      return { ...s, pendingScopeChange: { change: e.data.change, reason: e.data.reason } };
    case 'ScopeChangeApproved':
      return { ...s, pendingScopeChange: null, terms: { ...e.data.change, dataItems: [...e.data.change.dataItems], thirdParties: [...e.data.change.thirdParties] } };
    case 'ScopeChangeRefused':
      return { ...s, pendingScopeChange: null };
    case 'ShareSuspended':
      return {
        ...s, status: 'SUSPENDED',
        suspension: {
          suspendedBy: e.data.suspendedBy, misuse: e.data.misuse, findings: e.data.findings, rectificationReported: false,
          ...rectificationClock(legacyDeadline(e.data.rectificationDueAt, e.data.rectificationDueAtProvisional, e.data.suspendedAt === null ? null : { from: e.data.suspendedAt, workingDays: e.data.rectificationWorkingDays })),
        },
      };
    case 'RectificationReported':
      return s.suspension === null ? s : { ...s, suspension: { ...s.suspension, rectificationReported: true } };
    case 'ShareResumed':
      return { ...s, status: 'ACTIVE', suspension: null };
    case 'ShareTerminated':
      return { ...s, status: 'TERMINATED', serviceChange: null, pendingScopeChange: null, termination: { terminatedBy: e.data.terminatedBy, cause: e.data.cause, reason: e.data.reason } };
    case 'ServiceChangeProposed':
      return { ...s, serviceChange: { kind: e.data.kind, reason: e.data.reason, description: e.data.description, negotiated: false } };
    case 'ServiceChangeNegotiated':
      return s.serviceChange === null ? s : { ...s, serviceChange: { ...s.serviceChange, negotiated: true } };
    case 'ServiceChangeFiled':
      return { ...s, serviceChange: null };
    case 'UsageRecorded':
      return { ...s, usageRecords: s.usageRecords + 1 };
    case 'ShareUseEnded':
      return { ...s, status: 'USE_ENDED', pendingScopeChange: null, serviceChange: null, useEnd: { reason: e.data.reason, note: e.data.note, disposalRequirement: e.data.disposalRequirement } };
    case 'ShareDeadlineRecomputed': {
      const d: Deadline = { dueAt: e.data.dueAt, provisional: e.data.provisional, from: e.data.countedFrom, workingDays: e.data.workingDays };
      switch (e.data.deadline) {
        case 'REPLY':
          return s.reply === null ? s : { ...s, reply: { ...s.reply, dueAt: d.dueAt, provisional: d.provisional, countedFrom: d.from, workingDays: d.workingDays } };
        case 'DELIVERY':
          return s.approval === null ? s : { ...s, approval: { ...s.approval, ...deliveryClock(d) } };
        case 'RECTIFICATION':
          return s.suspension === null ? s : { ...s, suspension: { ...s.suspension, ...rectificationClock(d) } };
        default:
          return assertNever(e.data.deadline, 'share deadline');
      }
    }
    case 'DataDisposalConfirmed':
      return { ...s, status: 'DISPOSED', disposal: { method: e.data.method, reference: e.data.reference, disposedAt: e.data.disposedAt } };
    default:
      return assertNever(e, 'request event');
  }
};

/** The reply deadline in force, or null when no reply is awaited. */
export const replyDueAt = (s: ShareRequestState): string | null => (s.status === 'SUBMITTED' && s.reply !== null ? s.reply.dueAt : null);
/** A reply is awaited and its deadline has been flagged as missed. */
export const replyOverdue = (s: ShareRequestState): boolean => s.status === 'SUBMITTED' && s.reply !== null && s.reply.overdueFlaggedFor === s.reply.dueAt;
/** The live deadlines that are provisional (ADR 0008), by the view's field names. */
export const provisionalDeadlines = (s: ShareRequestState): string[] => [
  ...(replyDueAt(s) !== null && s.reply!.provisional ? ['replyDueAt'] : []),
  ...(deliveryDueAt(s) !== null && s.approval!.deliveryProvisional ? ['deliveryDueAt'] : []),
  ...(s.status === 'SUSPENDED' && s.suspension?.rectificationProvisional === true ? ['rectificationDueAt'] : []),
];
export const deliveryDueAt = (s: ShareRequestState): string | null => (s.status === 'APPROVED' && s.approval !== null ? s.approval.deliveryDueAt : null);
/** Delivery is awaited and its deadline has been flagged as missed. */
export const deliveryOverdue = (s: ShareRequestState): boolean => s.status === 'APPROVED' && s.approval !== null && s.approval.deliveryOverdue;
/** When the period of use lapses, while the share can still be used. */
export const useEndsAt = (s: ShareRequestState): string | null =>
  ['APPROVED', 'ACTIVE', 'SUSPENDED'].includes(s.status) && s.terms !== null ? endOfDay(s.terms.periodUntil).toISOString() : null;

export const shareRequestDecider: Decider<ShareCommand, RequestEvent, ShareRequestState> = { initialState, decide, evolve };
