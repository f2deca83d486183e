import type {
  DisputeOutcome, DisputeStage, MisuseKind, MissingMaterial, RefusalReason, RequestEvent, ScopeChange, ServiceChangeKind, ShareAttribute, ShareMethod,
  ShareRequestContent, SuppliedMaterial, TerminationCause, UseEndReason,
} from '@govmesh/contracts/avro';
import { GovError, assertNever, forbidden, inputInvalid, notFound, ruleViolated, type CommandContext, type Decider, type DecisionDeps, type Role } from '@govmesh/backbone';
import { assertPeriodUntil, endOfDay, itemViolations, resolveRequest, type CatalogSnapshot } from './content.ts';

/**
 * ShareRequest: one department's request for another's data and, once granted, the share itself
 * (regulation.md 5.2): draft -> the requester's office head consents -> submitted (reply clock) ->
 * approved or refused (-> dispute ladder) -> active once delivery starts -> suspended, changed,
 * terminated, or ended -> data disposed of.
 *
 * Reply clock (APR-02): it starts when the request reaches the provider (submission); 1 working
 * day for unconditional data, 10 for conditional. A missing-materials notice stops it and the
 * resubmission restarts it in full: S1 Art. 21 does not say whether the clock pauses or restarts,
 * and a full restart is the reading under which the provider always has the whole statutory period
 * to review a complete request (regulation.md 5.2 marks the point as uncertain). The one extension
 * (APR-03) is counted from the deadline it extends and may be asked for once per request.
 *
 * Delivery (DLV-01): an approved share becomes ACTIVE when delivery starts. The exchange service
 * will report that on its own topic; until it exists, StartDelivery comes from the provider or a
 * platform operator, by API or as a DeliveryStarted event on `<platform>.request.ingest`.
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
  workingDays: number;
  dueAt: string;
  /** The deadline already flagged overdue (a new deadline after an extension can be flagged again). */
  overdueFlaggedFor: string | null;
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
  supplied: SuppliedMaterial[];
  extension: 'NONE' | 'REQUESTED' | 'GRANTED' | 'REFUSED';
  extensionDays: number;
  refusal: { refusedBy: string; headApprover: string; reasons: RefusalReason[] } | null;
  approval: { approvedBy: string; headApprover: string | null; automatic: boolean; conditions: string; disposalRequirement: string; deliveryDueAt: string; deliveryOverdue: boolean; delivered: boolean } | null;
  dispute: { stage: DisputeStage; crossLevel: boolean; grounds: string; outcome: DisputeOutcome | null } | null;
  /** What the requester may do with the data: the request's terms, changed only with the provider's consent (USE-01). */
  terms: UseTerms | null;
  pendingScopeChange: { change: ScopeChange; reason: string } | null;
  suspension: { suspendedBy: string; misuse: MisuseKind; findings: string; rectificationDueAt: string; rectificationReported: boolean } | null;
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
  | { kind: 'SubmitRequest'; by: Actor; autoGrantUnconditional: boolean }
  | { kind: 'NotifyMissingMaterials'; by: Actor; items: MissingMaterial[] }
  | { kind: 'ResubmitRequest'; by: Actor; supplied: SuppliedMaterial[]; autoGrantUnconditional: boolean }
  | { kind: 'RequestReplyExtension'; by: Actor; workingDays: number; reason: string }
  | { kind: 'DecideReplyExtension'; by: Actor; grant: boolean; reason: string }
  | { kind: 'ReplyToRequest'; by: Actor; decision: 'APPROVE' | 'REFUSE'; headApprover: string; reasons: RefusalReason[]; conditions: string; disposalRequirement: string }
  | { kind: 'WithdrawRequest'; by: Actor; reason: string }
  | { kind: 'OpenDispute'; by: Actor; grounds: string; crossLevel: boolean }
  | { kind: 'EscalateDispute'; by: Actor; reason: string }
  | { kind: 'ResolveDispute'; by: Actor; outcome: DisputeOutcome; decision: string; reference: string }
  | { kind: 'StartDelivery'; by: Actor; shareMethod: ShareMethod | null }
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

/** APR-02: reply within 1 working day (unconditional) or 10 (conditional). */
export const REPLY_WORKING_DAYS: Record<'UNCONDITIONAL' | 'CONDITIONAL', number> = { UNCONDITIONAL: 1, CONDITIONAL: 10 };
/** APR-03: one extension of at most 10 working days. */
export const MAX_EXTENSION_WORKING_DAYS = 10;
/** DLV-01: delivery within 20 working days of the agreeing reply. */
export const DELIVERY_WORKING_DAYS = 20;
export const MAX_RECTIFICATION_WORKING_DAYS = 60;

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

const blank = (s: string): boolean => s.trim() === '';

const text = (field: string, value: string, rule: string, description = 'required'): void => {
  if (blank(value)) throw inputInvalid([{ field, description }], rule);
};

const exists = (s: ShareRequestState, ctx: CommandContext): void => {
  if (s.status === 'NONE') throw notFound('share request', ctx.aggregateId ?? '');
};

const requireRequester = (s: ShareRequestState, by: Actor, ctx: CommandContext, rule: string): void => {
  exists(s, ctx);
  if (by.departmentId !== s.requester) throw forbidden(`only the requesting department ${s.requester} may do this on ${s.shareId}`, rule);
};

const requireProvider = (s: ShareRequestState, by: Actor, ctx: CommandContext, rule: string): void => {
  exists(s, ctx);
  if (by.departmentId !== s.provider) throw forbidden(`only the providing department ${s.provider} may do this on ${s.shareId}`, rule);
};

const isCompetent = (s: ShareRequestState, by: Actor): boolean => by.roles.includes('competent') && by.platform === s.platform;

const requireCompetent = (s: ShareRequestState, by: Actor, ctx: CommandContext, rule: string): void => {
  exists(s, ctx);
  if (!isCompetent(s, by)) throw forbidden(`only the competent department of platform ${s.platform} may do this`, rule);
};

const requireStatus = (s: ShareRequestState, allowed: ShareStatus[], rule: string | null, what: string): void => {
  if (allowed.includes(s.status)) return;
  const message = `${what} is not possible while the request is ${s.status}`;
  throw rule === null ? new GovError('GOV_ERR_RULE_VIOLATED', message) : ruleViolated(rule, message);
};

const nextStage = (stage: DisputeStage, crossLevel: boolean): DisputeStage | null => {
  switch (stage) {
    case 'NEGOTIATION': return 'COORDINATION';
    case 'COORDINATION': return crossLevel ? 'SUPERIOR_COORDINATION' : 'GOVERNMENT_DECISION';
    case 'SUPERIOR_COORDINATION': return 'GOVERNMENT_DECISION';
    case 'GOVERNMENT_DECISION': return null;
    default: return assertNever(stage, 'dispute stage');
  }
};

/** The submission (or resubmission) starts the reply clock; unconditional data may be granted at once. */
const submitted = (s: ShareRequestState, ctx: CommandContext, deps: DecisionDeps, autoGrant: boolean, supplied: SuppliedMaterial[] | null): RequestEvent[] => {
  const content = s.content!;
  const unconditional = s.shareAttribute === 'UNCONDITIONAL';
  const replyWorkingDays = unconditional ? REPLY_WORKING_DAYS.UNCONDITIONAL : REPLY_WORKING_DAYS.CONDITIONAL;
  const receivedAt = ctx.at.toISOString();
  const replyDueAt = deps.calendar.addWorkingDays(ctx.at, replyWorkingDays).toISOString();
  const events: RequestEvent[] = [
    supplied === null
      ? { type: 'ShareRequestSubmitted', data: { shareId: s.shareId, submittedBy: s.requester, provider: s.provider, receivedAt, replyWorkingDays, replyDueAt } }
      : { type: 'ShareRequestResubmitted', data: { shareId: s.shareId, resubmittedBy: s.requester, supplied, receivedAt, replyWorkingDays, replyDueAt } },
  ];
  // APR-02, APR-07: where the platform is so configured (UNCONDITIONAL_AUTO_GRANT), a complete request
  // for unconditional data within the entry's scope (its items and share methods, checked when
  // drafted) is granted by the platform at once; otherwise the provider replies within 1 working day.
  if (unconditional && autoGrant) {
    events.push({
      type: 'ShareRequestApproved',
      data: {
        shareId: s.shareId, approvedBy: `platform:${s.platform}`, headApprover: null, automatic: true, dataItems: [...content.dataItems], conditions: '', disposalRequirement: '',
        deliveryDueAt: deps.calendar.addWorkingDays(ctx.at, DELIVERY_WORKING_DAYS).toISOString(),
      },
    });
  }
  return events;
};

const termsOf = (c: ShareRequestContent): UseTerms => ({ dataItems: [...c.dataItems], useScenario: c.useScenario, useScope: c.useScope, periodUntil: c.periodUntil, thirdParties: [] });

const sameTerms = (a: UseTerms, b: UseTerms): boolean =>
  a.useScenario === b.useScenario && a.useScope === b.useScope && a.periodUntil === b.periodUntil
  && [...a.dataItems].sort().join('\n') === [...b.dataItems].sort().join('\n') && [...a.thirdParties].sort().join('\n') === [...b.thirdParties].sort().join('\n');

export const decide = (cmd: ShareCommand, s: ShareRequestState, ctx: CommandContext, deps: DecisionDeps): RequestEvent[] => {
  const at = ctx.at.toISOString();
  switch (cmd.kind) {
    case 'DraftRequest': {
      // REQ-02: a department requests for its own duties, as a requester.
      if (!cmd.by.roles.includes('requester')) throw forbidden(`department ${cmd.by.departmentId} lacks the requester role`, 'REQ-02');
      const r = resolveRequest(cmd.content, cmd.entry, cmd.by.departmentId, ctx.at);
      if (s.status !== 'NONE') {
        // A retried draft with the same id and content is a no-op, not an error.
        if (s.requester === cmd.by.departmentId && JSON.stringify(s.content) === JSON.stringify(r.content)) return [];
        throw new GovError('GOV_ERR_RULE_VIOLATED', `share request ${cmd.shareId} already exists`);
      }
      return [{ type: 'ShareRequestDrafted', data: { shareId: cmd.shareId, platform: cmd.by.platform, requester: cmd.by.departmentId, entryName: r.entry.name, shareAttribute: r.version.shareAttribute, content: r.content } }];
    }
    case 'ReviseRequest': {
      requireRequester(s, cmd.by, ctx, 'REQ-02');
      requireStatus(s, ['DRAFT', 'INTERNAL_APPROVED'], 'REQ-02', 'revising');
      const r = resolveRequest(cmd.content, cmd.entry, cmd.by.departmentId, ctx.at);
      return [{ type: 'ShareRequestRevised', data: { shareId: s.shareId, revisedBy: cmd.by.departmentId, entryName: r.entry.name, shareAttribute: r.version.shareAttribute, content: r.content } }];
    }
    case 'ApproveInternally': {
      requireRequester(s, cmd.by, ctx, 'REQ-02');
      requireStatus(s, ['DRAFT'], 'REQ-02', "the office head's consent");
      text('approver', cmd.approver, 'REQ-02', "name of the head of the requester's sharing office who consents");
      return [{ type: 'ShareRequestInternallyApproved', data: { shareId: s.shareId, approver: cmd.approver.trim(), recordedBy: cmd.by.departmentId } }];
    }
    case 'SubmitRequest': {
      requireRequester(s, cmd.by, ctx, 'REQ-02');
      // REQ-02: the head of the requester's own sharing office consents before the request leaves.
      if (s.status === 'DRAFT') throw ruleViolated('REQ-02', `the head of ${s.requester}'s sharing office must consent before the request is submitted`);
      requireStatus(s, ['INTERNAL_APPROVED'], 'REQ-02', 'submitting');
      assertPeriodUntil(s.content!.periodUntil, ctx.at, 'content.periodUntil', 'REQ-03');
      return submitted(s, ctx, deps, cmd.autoGrantUnconditional, null);
    }
    case 'NotifyMissingMaterials': {
      requireProvider(s, cmd.by, ctx, 'REQ-05');
      // REQ-05: everything missing goes in one notice; a second notice is refused.
      if (s.missingMaterials !== null) throw ruleViolated('REQ-05', `everything missing is listed in one notice, and ${s.shareId} already had its notice (${s.missingMaterials.map((m) => m.name).join(', ')})`);
      requireStatus(s, ['SUBMITTED'], 'REQ-05', 'a missing-materials notice');
      if (cmd.items.length === 0) throw inputInvalid([{ field: 'items', description: 'the notice lists every missing material: at least one' }], 'REQ-05');
      const v = cmd.items.flatMap((m, i) => [
        ...(blank(m.name) ? [{ field: `items[${i}].name`, description: 'required' }] : []),
        ...(cmd.items.findIndex((o) => o.name.trim() === m.name.trim()) !== i ? [{ field: `items[${i}].name`, description: `${m.name} appears twice` }] : []),
      ]);
      if (v.length > 0) throw inputInvalid(v, 'REQ-05');
      return [{ type: 'MissingMaterialsNotified', data: { shareId: s.shareId, notifiedBy: cmd.by.departmentId, items: cmd.items.map((m) => ({ name: m.name.trim(), description: m.description.trim() })) } }];
    }
    case 'ResubmitRequest': {
      requireRequester(s, cmd.by, ctx, 'REQ-05');
      requireStatus(s, ['MATERIALS_REQUESTED'], 'REQ-05', 'resubmitting');
      const v = cmd.supplied.flatMap((m, i) => [
        ...(blank(m.name) ? [{ field: `supplied[${i}].name`, description: 'required' }] : []),
        ...(blank(m.reference) ? [{ field: `supplied[${i}].reference`, description: 'required: the document or attachment supplied' }] : []),
      ]);
      const names = new Set(cmd.supplied.map((m) => m.name.trim()));
      const unanswered = (s.missingMaterials ?? []).filter((m) => !names.has(m.name));
      if (unanswered.length > 0) v.push({ field: 'supplied', description: `the notice also asked for: ${unanswered.map((m) => m.name).join(', ')}` });
      if (v.length > 0) throw inputInvalid(v, 'REQ-05');
      assertPeriodUntil(s.content!.periodUntil, ctx.at, 'content.periodUntil', 'REQ-03');
      return submitted(s, ctx, deps, cmd.autoGrantUnconditional, cmd.supplied.map((m) => ({ name: m.name.trim(), reference: m.reference.trim() })));
    }
    case 'RequestReplyExtension': {
      requireProvider(s, cmd.by, ctx, 'APR-03');
      requireStatus(s, ['SUBMITTED'], 'APR-03', 'asking for an extension');
      if (s.extension !== 'NONE') throw ruleViolated('APR-03', 'the reply deadline is extended at most once');
      if (!Number.isInteger(cmd.workingDays) || cmd.workingDays < 1 || cmd.workingDays > MAX_EXTENSION_WORKING_DAYS) {
        throw inputInvalid([{ field: 'workingDays', description: `an extension is 1 to ${MAX_EXTENSION_WORKING_DAYS} working days` }], 'APR-03');
      }
      if (ctx.at.getTime() > Date.parse(s.reply!.dueAt)) throw ruleViolated('APR-03', `an extension is asked for before the reply deadline (${s.reply!.dueAt}) passes`);
      text('reason', cmd.reason, 'APR-03');
      return [{ type: 'ReplyExtensionRequested', data: { shareId: s.shareId, requestedBy: cmd.by.departmentId, workingDays: cmd.workingDays, reason: cmd.reason.trim() } }];
    }
    case 'DecideReplyExtension': {
      // APR-03: the same-level competent department approves the extension.
      requireCompetent(s, cmd.by, ctx, 'APR-03');
      if (s.extension !== 'REQUESTED') throw ruleViolated('APR-03', 'no extension request is pending');
      requireStatus(s, ['SUBMITTED'], 'APR-03', 'deciding an extension');
      if (!cmd.grant) {
        text('reason', cmd.reason, 'APR-03');
        return [{ type: 'ReplyExtensionRefused', data: { shareId: s.shareId, refusedBy: cmd.by.departmentId, reason: cmd.reason.trim() } }];
      }
      const previousDueAt = s.reply!.dueAt;
      const replyDueAt = deps.calendar.addWorkingDays(new Date(previousDueAt), s.extensionDays).toISOString();
      // The event is the requester's notice of the new deadline (APR-03).
      return [{ type: 'ReplyDeadlineExtended', data: { shareId: s.shareId, grantedBy: cmd.by.departmentId, workingDays: s.extensionDays, previousDueAt, replyDueAt, notifiedRequester: s.requester } }];
    }
    case 'ReplyToRequest': {
      requireProvider(s, cmd.by, ctx, 'APR-01');
      if (s.status === 'MATERIALS_REQUESTED') throw ruleViolated('REQ-05', 'the provider waits for the materials its notice listed and replies after the resubmission');
      requireStatus(s, ['SUBMITTED'], 'APR-01', 'replying');
      // APR-01: the reply needs the consent of the head of the provider's sharing office.
      text('headApprover', cmd.headApprover, 'APR-01', "name of the head of the provider's sharing office who consents to the reply");
      if (cmd.decision === 'APPROVE') {
        return [{
          type: 'ShareRequestApproved',
          data: {
            shareId: s.shareId, approvedBy: cmd.by.departmentId, headApprover: cmd.headApprover.trim(), automatic: false, dataItems: [...s.content!.dataItems],
            conditions: cmd.conditions.trim(), disposalRequirement: cmd.disposalRequirement.trim(),
            // DLV-01: delivery within 20 working days of the agreeing reply.
            deliveryDueAt: deps.calendar.addWorkingDays(ctx.at, DELIVERY_WORKING_DAYS).toISOString(),
          },
        }];
      }
      // APR-04: a refusal states its reasons.
      if (cmd.reasons.length === 0) throw inputInvalid([{ field: 'reasons', description: 'a refusal states its reasons' }], 'APR-04');
      const v = cmd.reasons.flatMap((r, i) => (blank(r.detail) ? [{ field: `reasons[${i}].detail`, description: 'each reason is explained' }] : []));
      if (v.length > 0) throw inputInvalid(v, 'APR-04');
      // REQ-05: incomplete materials are never, on their own, a ground for refusal.
      if (cmd.reasons.every((r) => r.ground === 'INCOMPLETE_MATERIALS')) {
        throw ruleViolated(
          'REQ-05',
          s.missingMaterials === null
            ? `incomplete materials are not a ground for refusal: send one notice listing everything missing (POST /v1/requests/${s.shareId}/missing-materials)`
            : `incomplete materials are not a ground for refusal: the notice already listed what was missing and the requester supplied it; refuse on substance or approve`,
        );
      }
      return [{ type: 'ShareRequestRefused', data: { shareId: s.shareId, refusedBy: cmd.by.departmentId, headApprover: cmd.headApprover.trim(), reasons: cmd.reasons.map((r) => ({ ground: r.ground, detail: r.detail.trim() })) } }];
    }
    case 'WithdrawRequest': {
      requireRequester(s, cmd.by, ctx, 'REQ-02');
      requireStatus(s, ['DRAFT', 'INTERNAL_APPROVED', 'SUBMITTED', 'MATERIALS_REQUESTED'], null, 'withdrawing (a request is withdrawn before the reply)');
      return [{ type: 'ShareRequestWithdrawn', data: { shareId: s.shareId, withdrawnBy: cmd.by.departmentId, previousStatus: s.status, reason: cmd.reason.trim() } }];
    }
    case 'OpenDispute': {
      requireRequester(s, cmd.by, ctx, 'DSP-01');
      if (s.dispute !== null) throw ruleViolated('DSP-01', `the refusal was already disputed (ended at ${s.dispute.stage})`);
      requireStatus(s, ['REFUSED'], 'DSP-01', 'opening a dispute');
      text('grounds', cmd.grounds, 'DSP-01');
      return [{ type: 'DisputeOpened', data: { shareId: s.shareId, openedBy: cmd.by.departmentId, grounds: cmd.grounds.trim(), crossLevel: cmd.crossLevel } }];
    }
    case 'EscalateDispute': {
      exists(s, ctx);
      requireStatus(s, ['IN_DISPUTE'], 'DSP-01', 'escalating a dispute');
      const d = s.dispute!;
      const party = cmd.by.departmentId === s.requester || cmd.by.departmentId === s.provider;
      // DSP-01: the parties apply for coordination; later steps may also be moved by the competent department.
      if (!party && !(d.stage !== 'NEGOTIATION' && isCompetent(s, cmd.by))) throw forbidden(`only the parties${d.stage === 'NEGOTIATION' ? '' : ' or the competent department'} escalate a dispute in ${d.stage}`, 'DSP-01');
      const to = nextStage(d.stage, d.crossLevel);
      if (to === null) throw ruleViolated('DSP-01', "the people's government's decision is the last step of the ladder");
      text('reason', cmd.reason, 'DSP-01');
      return [{ type: 'DisputeEscalated', data: { shareId: s.shareId, escalatedBy: cmd.by.departmentId, fromStage: d.stage, toStage: to, reason: cmd.reason.trim() } }];
    }
    case 'ResolveDispute': {
      exists(s, ctx);
      requireStatus(s, ['IN_DISPUTE'], 'DSP-01', 'resolving a dispute');
      const stage = s.dispute!.stage;
      if (stage === 'NEGOTIATION') {
        // DSP-01: negotiation ends by agreement: the provider agrees to share or the requester accepts the refusal.
        const ok = cmd.outcome === 'SHARE_GRANTED' ? cmd.by.departmentId === s.provider : cmd.by.departmentId === s.requester;
        if (!ok) throw forbidden('in negotiation the provider may agree to share and the requester may accept the refusal; otherwise escalate to the competent department', 'DSP-01');
      } else if (!isCompetent(s, cmd.by)) {
        throw forbidden(`in ${stage} the competent department records the ${stage === 'GOVERNMENT_DECISION' ? "people's government's decision" : 'coordination result'}`, 'DSP-01');
      }
      text('decision', cmd.decision, 'DSP-01');
      if (stage === 'GOVERNMENT_DECISION') text('reference', cmd.reference, 'DSP-01', "the government decision's document number");
      const granted = cmd.outcome === 'SHARE_GRANTED';
      return [{
        type: 'DisputeResolved',
        data: {
          shareId: s.shareId, stage, resolvedBy: cmd.by.departmentId, outcome: cmd.outcome, decision: cmd.decision.trim(), reference: cmd.reference.trim(),
          deliveryDueAt: granted ? deps.calendar.addWorkingDays(ctx.at, DELIVERY_WORKING_DAYS).toISOString() : null,
        },
      }];
    }
    case 'StartDelivery': {
      exists(s, ctx);
      const operator = cmd.by.roles.includes('operator') && cmd.by.platform === s.platform;
      if (cmd.by.departmentId !== s.provider && !operator) throw forbidden(`only the provider ${s.provider} or a platform operator reports the start of delivery`, 'DLV-01');
      requireStatus(s, ['APPROVED'], 'DLV-01', 'starting delivery');
      const method = cmd.shareMethod ?? s.content!.shareMethod;
      if (method !== s.content!.shareMethod) throw inputInvalid([{ field: 'shareMethod', description: `the approved share method is ${s.content!.shareMethod}` }], 'DLV-02');
      const due = s.approval!.deliveryDueAt;
      return [{ type: 'ShareActivated', data: { shareId: s.shareId, startedBy: cmd.by.departmentId, shareMethod: method, deliveryDueAt: due, late: ctx.at.getTime() > Date.parse(due) } }];
    }
    case 'RequestScopeChange': {
      requireRequester(s, cmd.by, ctx, 'USE-01');
      requireStatus(s, ['ACTIVE'], 'USE-01', 'a scope change');
      if (s.pendingScopeChange !== null) throw ruleViolated('USE-01', 'a scope change is already waiting for the provider');
      const c = cmd.change;
      const version = cmd.entry?.version ?? null;
      const v = version === null
        ? [{ field: 'change.dataItems', description: `entry ${s.content!.entryId} version ${s.content!.entryVersion} is not in the catalog view` }]
        : itemViolations(c.dataItems, version, s.content!.entryId, 'change.dataItems').map((x) => x.violation);
      if (blank(c.useScenario)) v.push({ field: 'change.useScenario', description: 'required' });
      if (blank(c.useScope)) v.push({ field: 'change.useScope', description: 'required' });
      c.thirdParties.forEach((t, i) => blank(t) && v.push({ field: `change.thirdParties[${i}]`, description: 'name the third party' }));
      if (v.length > 0) throw inputInvalid(v, 'USE-01');
      assertPeriodUntil(c.periodUntil, ctx.at, 'change.periodUntil', 'USE-01');
      const change: ScopeChange = { dataItems: [...c.dataItems], useScenario: c.useScenario.trim(), useScope: c.useScope.trim(), periodUntil: c.periodUntil, thirdParties: c.thirdParties.map((t) => t.trim()) };
      if (s.terms !== null && sameTerms(change, s.terms)) throw inputInvalid([{ field: 'change', description: 'nothing would change' }], 'USE-01');
      text('reason', cmd.reason, 'USE-01');
      return [{ type: 'ScopeChangeRequested', data: { shareId: s.shareId, requestedBy: cmd.by.departmentId, change, reason: cmd.reason.trim() } }];
    }
    case 'DecideScopeChange': {
      // USE-01: only the provider consents to a wider scope, another purpose or a third party.
      requireProvider(s, cmd.by, ctx, 'USE-01');
      requireStatus(s, ['ACTIVE'], 'USE-01', 'deciding a scope change');
      if (s.pendingScopeChange === null) throw ruleViolated('USE-01', 'no scope change is pending');
      if (!cmd.approve) {
        text('reason', cmd.reason, 'USE-01');
        return [{ type: 'ScopeChangeRefused', data: { shareId: s.shareId, refusedBy: cmd.by.departmentId, reason: cmd.reason.trim() } }];
      }
      text('headApprover', cmd.headApprover, 'USE-01', "name of the head of the provider's sharing office who consents");
      return [{ type: 'ScopeChangeApproved', data: { shareId: s.shareId, approvedBy: cmd.by.departmentId, headApprover: cmd.headApprover.trim(), change: s.pendingScopeChange.change } }];
    }
    case 'SuspendShare': {
      exists(s, ctx);
      // SUS-01: the competent department or the provider suspends on misuse.
      if (!isCompetent(s, cmd.by) && cmd.by.departmentId !== s.provider) throw forbidden('only the competent department or the provider suspends a share', 'SUS-01');
      requireStatus(s, ['ACTIVE'], 'SUS-01', 'suspending');
      text('findings', cmd.findings, 'SUS-01', 'what misuse was found');
      const days = cmd.rectificationWorkingDays;
      if (!Number.isInteger(days) || days < 1 || days > MAX_RECTIFICATION_WORKING_DAYS) {
        throw inputInvalid([{ field: 'rectificationWorkingDays', description: `a rectification deadline of 1 to ${MAX_RECTIFICATION_WORKING_DAYS} working days is required` }], 'SUS-01');
      }
      return [{
        type: 'ShareSuspended',
        data: { shareId: s.shareId, suspendedBy: cmd.by.departmentId, misuse: cmd.misuse, findings: cmd.findings.trim(), rectificationWorkingDays: days, rectificationDueAt: deps.calendar.addWorkingDays(ctx.at, days).toISOString() },
      }];
    }
    case 'ReportRectification': {
      requireRequester(s, cmd.by, ctx, 'SUS-01');
      requireStatus(s, ['SUSPENDED'], 'SUS-01', 'reporting a rectification');
      text('description', cmd.description, 'SUS-01');
      return [{ type: 'RectificationReported', data: { shareId: s.shareId, reportedBy: cmd.by.departmentId, description: cmd.description.trim() } }];
    }
    case 'ResumeShare': {
      exists(s, ctx);
      if (!isCompetent(s, cmd.by) && cmd.by.departmentId !== s.provider) throw forbidden('only the competent department or the provider resumes a share', 'SUS-01');
      requireStatus(s, ['SUSPENDED'], 'SUS-01', 'resuming');
      if (!s.suspension!.rectificationReported) throw ruleViolated('SUS-01', 'sharing resumes only after the requester has reported its rectification');
      return [{ type: 'ShareResumed', data: { shareId: s.shareId, resumedBy: cmd.by.departmentId, note: cmd.note.trim() } }];
    }
    case 'TerminateShare': {
      exists(s, ctx);
      if (!isCompetent(s, cmd.by) && cmd.by.departmentId !== s.provider) throw forbidden('only the competent department or the provider terminates a share', 'SUS-01');
      if (s.status === 'ACTIVE') {
        if (cmd.by.departmentId === s.provider) {
          throw ruleViolated('SUS-02', `a provider ends a service only with a reason, after negotiating with the requester and filing with the competent department (POST /v1/requests/${s.shareId}/service-changes)`);
        }
        throw ruleViolated('SUS-01', 'a share is suspended with a rectification deadline before it can be terminated');
      }
      requireStatus(s, ['SUSPENDED'], 'SUS-01', 'terminating');
      text('reason', cmd.reason, 'SUS-01');
      const sus = s.suspension!;
      let cause: TerminationCause;
      if (sus.rectificationReported) cause = 'RECTIFICATION_INADEQUATE';
      else if (ctx.at.getTime() > Date.parse(sus.rectificationDueAt)) cause = 'RECTIFICATION_REFUSED';
      else throw ruleViolated('SUS-01', `the requester has until ${sus.rectificationDueAt} to rectify`);
      return [{ type: 'ShareTerminated', data: { shareId: s.shareId, terminatedBy: cmd.by.departmentId, cause, reason: cmd.reason.trim() } }];
    }
    case 'ProposeServiceChange': {
      requireProvider(s, cmd.by, ctx, 'SUS-02');
      requireStatus(s, ['ACTIVE'], 'SUS-02', 'changing or ending the service');
      if (s.serviceChange !== null) throw ruleViolated('SUS-02', 'a service change is already in progress');
      // SUS-02: no termination or change without good reason.
      text('reason', cmd.reason, 'SUS-02', 'the good reason for ending or changing the service');
      if (cmd.change === 'CHANGE') text('description', cmd.description, 'SUS-02', 'what changes in the service');
      return [{ type: 'ServiceChangeProposed', data: { shareId: s.shareId, proposedBy: cmd.by.departmentId, kind: cmd.change, reason: cmd.reason.trim(), description: cmd.description.trim() } }];
    }
    case 'RecordServiceChangeNegotiation': {
      exists(s, ctx);
      if (cmd.by.departmentId !== s.requester && cmd.by.departmentId !== s.provider) throw forbidden('only the provider and the requester record their negotiation', 'SUS-02');
      requireStatus(s, ['ACTIVE'], 'SUS-02', 'negotiating a service change');
      if (s.serviceChange === null) throw ruleViolated('SUS-02', 'no service change is proposed');
      text('notes', cmd.notes, 'SUS-02');
      return [{ type: 'ServiceChangeNegotiated', data: { shareId: s.shareId, recordedBy: cmd.by.departmentId, requesterAgrees: cmd.requesterAgrees, notes: cmd.notes.trim() } }];
    }
    case 'RecordServiceChangeFiling': {
      // REC-05: the filing (备案) is received by the same-level competent department and kept on record.
      requireCompetent(s, cmd.by, ctx, 'REC-05');
      requireStatus(s, ['ACTIVE'], 'SUS-02', 'filing a service change');
      const sc = s.serviceChange;
      if (sc === null) throw ruleViolated('SUS-02', 'no service change is proposed');
      if (!sc.negotiated) throw ruleViolated('SUS-02', 'the provider negotiates with the requester before the change is filed');
      text('reference', cmd.reference, 'REC-05', 'the filing reference');
      const events: RequestEvent[] = [{ type: 'ServiceChangeFiled', data: { shareId: s.shareId, filedBy: s.provider, receivedBy: cmd.by.departmentId, kind: sc.kind, reference: cmd.reference.trim(), reason: sc.reason, description: sc.description } }];
      if (sc.kind === 'TERMINATE') events.push({ type: 'ShareTerminated', data: { shareId: s.shareId, terminatedBy: s.provider, cause: 'PROVIDER_TERMINATION', reason: sc.reason } });
      return events;
    }
    case 'RecordUsage': {
      requireRequester(s, cmd.by, ctx, 'REC-01');
      requireStatus(s, ['ACTIVE', 'SUSPENDED', 'USE_ENDED', 'TERMINATED'], 'REC-01', 'recording usage');
      const v = (['process', 'outcomes', 'storage'] as const).filter((f) => blank(cmd[f])).map((field) => ({ field, description: 'required in a usage record' }));
      if (v.length > 0) throw inputInvalid(v, 'REC-01');
      return [{ type: 'UsageRecorded', data: { shareId: s.shareId, recordedBy: cmd.by.departmentId, process: cmd.process.trim(), outcomes: cmd.outcomes.trim(), storage: cmd.storage.trim() } }];
    }
    case 'EndUse': {
      requireRequester(s, cmd.by, ctx, 'USE-02');
      requireStatus(s, ['APPROVED', 'ACTIVE', 'SUSPENDED'], 'USE-02', 'ending the use');
      return [{ type: 'ShareUseEnded', data: { shareId: s.shareId, endedBy: cmd.by.departmentId, reason: cmd.reason, note: cmd.note.trim(), disposalRequirement: s.approval?.disposalRequirement ?? '' } }];
    }
    case 'ConfirmDisposal': {
      // USE-02: at the end of use the requester disposes of the data as the provider requires.
      requireRequester(s, cmd.by, ctx, 'USE-02');
      requireStatus(s, ['USE_ENDED', 'TERMINATED'], 'USE-02', 'confirming disposal');
      const v: { field: string; description: string }[] = (['method', 'reference'] as const).filter((f) => blank(cmd[f])).map((field) => ({ field, description: 'required: how the data was disposed of and the record of it' }));
      const disposedAt = cmd.disposedAt ?? ctx.at;
      if (Number.isNaN(disposedAt.getTime()) || disposedAt.getTime() > ctx.at.getTime()) v.push({ field: 'disposedAt', description: 'a time not in the future' });
      if (v.length > 0) throw inputInvalid(v, 'USE-02');
      return [{ type: 'DataDisposalConfirmed', data: { shareId: s.shareId, confirmedBy: cmd.by.departmentId, method: cmd.method.trim(), reference: cmd.reference.trim(), disposedAt: disposedAt.toISOString() } }];
    }
    case 'CheckDeadlines': {
      // Issued by the deadline watcher; each missed deadline is flagged once (idempotent by state).
      const events: RequestEvent[] = [];
      const now = ctx.at.getTime();
      const r = s.reply;
      if (s.status === 'SUBMITTED' && r !== null && r.overdueFlaggedFor !== r.dueAt && now > Date.parse(r.dueAt)) {
        events.push({ type: 'ReplyOverdue', data: { shareId: s.shareId, provider: s.provider, dueAt: r.dueAt, detectedAt: at } });
      }
      const a = s.approval;
      if (s.status === 'APPROVED' && a !== null && !a.deliveryOverdue && now > Date.parse(a.deliveryDueAt)) {
        events.push({ type: 'DeliveryOverdue', data: { shareId: s.shareId, provider: s.provider, dueAt: a.deliveryDueAt, detectedAt: at } });
      }
      // USE-02: the period of use lapsing ends the use; the requester must then dispose of the data.
      if (['APPROVED', 'ACTIVE', 'SUSPENDED'].includes(s.status) && s.terms !== null && now > endOfDay(s.terms.periodUntil).getTime()) {
        events.push({ type: 'ShareUseEnded', data: { shareId: s.shareId, endedBy: ctx.actor, reason: 'PERIOD_EXPIRED', note: `period of use ended on ${s.terms.periodUntil}`, disposalRequirement: a?.disposalRequirement ?? '' } });
      }
      return events;
    }
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
    case 'ShareRequestSubmitted':
      return { ...s, status: 'SUBMITTED', reply: { receivedAt: e.data.receivedAt, workingDays: e.data.replyWorkingDays, dueAt: e.data.replyDueAt, overdueFlaggedFor: null } };
    case 'MissingMaterialsNotified':
      return { ...s, status: 'MATERIALS_REQUESTED', missingMaterials: e.data.items };
    case 'ShareRequestResubmitted':
      return { ...s, status: 'SUBMITTED', supplied: e.data.supplied, reply: { receivedAt: e.data.receivedAt, workingDays: e.data.replyWorkingDays, dueAt: e.data.replyDueAt, overdueFlaggedFor: null } };
    case 'ReplyExtensionRequested':
      return { ...s, extension: 'REQUESTED', extensionDays: e.data.workingDays };
    case 'ReplyDeadlineExtended':
      return { ...s, extension: 'GRANTED', reply: s.reply === null ? null : { ...s.reply, dueAt: e.data.replyDueAt } };
    case 'ReplyExtensionRefused':
      return { ...s, extension: 'REFUSED' };
    case 'ShareRequestApproved':
      return {
        ...s,
        status: 'APPROVED',
        approval: { approvedBy: e.data.approvedBy, headApprover: e.data.headApprover, automatic: e.data.automatic, conditions: e.data.conditions, disposalRequirement: e.data.disposalRequirement, deliveryDueAt: e.data.deliveryDueAt, deliveryOverdue: false, delivered: false },
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
      return { ...s, status: 'IN_DISPUTE', dispute: { stage: 'NEGOTIATION', crossLevel: e.data.crossLevel, grounds: e.data.grounds, outcome: null } };
    case 'DisputeEscalated':
      return s.dispute === null ? s : { ...s, dispute: { ...s.dispute, stage: e.data.toStage } };
    case 'DisputeResolved': {
      const dispute = s.dispute === null ? null : { ...s.dispute, outcome: e.data.outcome };
      if (e.data.outcome === 'REFUSAL_UPHELD' || e.data.deliveryDueAt === null) return { ...s, status: 'REFUSED', dispute };
      return {
        ...s,
        status: 'APPROVED',
        dispute,
        approval: { approvedBy: e.data.resolvedBy, headApprover: null, automatic: false, conditions: '', disposalRequirement: '', deliveryDueAt: e.data.deliveryDueAt, deliveryOverdue: false, delivered: false },
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
      return { ...s, status: 'SUSPENDED', suspension: { suspendedBy: e.data.suspendedBy, misuse: e.data.misuse, findings: e.data.findings, rectificationDueAt: e.data.rectificationDueAt, rectificationReported: false } };
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
export const deliveryDueAt = (s: ShareRequestState): string | null => (s.status === 'APPROVED' && s.approval !== null ? s.approval.deliveryDueAt : null);
/** Delivery is awaited and its deadline has been flagged as missed. */
export const deliveryOverdue = (s: ShareRequestState): boolean => s.status === 'APPROVED' && s.approval !== null && s.approval.deliveryOverdue;
/** When the period of use lapses, while the share can still be used. */
export const useEndsAt = (s: ShareRequestState): string | null =>
  ['APPROVED', 'ACTIVE', 'SUSPENDED'].includes(s.status) && s.terms !== null ? endOfDay(s.terms.periodUntil).toISOString() : null;

export const shareRequestDecider: Decider<ShareCommand, RequestEvent, ShareRequestState> = { initialState, decide, evolve };
