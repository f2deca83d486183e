import type { RequestEvent, SuppliedMaterial } from '@govmesh/contracts/avro';
import { GovError, forbidden, ruleViolated, type CommandContext, type DecisionDeps } from '@govmesh/backbone';
import { assertPeriodUntil, resolveRequest, type CatalogSnapshot } from './content.ts';
import type { ShareRequestState } from './share-request.ts';
import { DELIVERY_WORKING_DAYS, REPLY_WORKING_DAYS, requireRequester, requireStatus, text, type Decide, replyDeadline, deliveryDueOf } from './share-request-rules.ts';

/**
 * Drafting and submission (docs/requirements.md#share-request-lifecycle): draft, revise, the office
 * head's consent, submission (the reply clock starts), withdrawal.
 */

/**
 * CAT-04, CAT-05: when the request reaches the provider it is judged again against the entry's
 * current published version: data no longer shared is not requested, and a changed share attribute
 * (another reply clock, another auto-grant) needs a revised request that its office head consents to.
 */
const judgeAgainstCurrentVersion = (s: ShareRequestState, entry: CatalogSnapshot | null | undefined, at: Date): void => {
  const r = resolveRequest(s.content!, entry ?? null, s.requester, at);
  if (r.version.shareAttribute !== s.shareAttribute) {
    throw ruleViolated('CAT-05', `entry ${r.entry.entryId} is ${r.version.shareAttribute} since version ${r.version.version}; the request was drafted for ${s.shareAttribute ?? 'unknown'} data: revise the request (its office head consents again) before it is submitted`);
  }
};

/**
 * The submission (or resubmission) starts the reply clock; unconditional data may be granted at once.
 * After a missing-materials notice sent past the reply deadline the resubmission restarts nothing:
 * the reply stays due at the missed deadline (REQ-05, APR-02).
 */
export const submitted = (s: ShareRequestState, ctx: CommandContext, deps: DecisionDeps, autoGrant: boolean, supplied: SuppliedMaterial[] | null, entry: CatalogSnapshot | null | undefined): RequestEvent[] => {
  judgeAgainstCurrentVersion(s, entry, ctx.at);
  const content = s.content!;
  const unconditional = s.shareAttribute === 'UNCONDITIONAL';
  const keepMissedDeadline = supplied !== null && s.missingMaterialsLate && s.reply !== null;
  const replyWorkingDays = keepMissedDeadline ? s.reply!.workingDays : unconditional ? REPLY_WORKING_DAYS.UNCONDITIONAL : REPLY_WORKING_DAYS.CONDITIONAL;
  const receivedAt = ctx.at.toISOString();
  const reply = keepMissedDeadline ? replyDeadline(s.reply!) : deps.calendar.deadline(ctx.at, replyWorkingDays);
  const replyDueAt = reply.dueAt;
  const replyDueAtProvisional = reply.provisional;
  const events: RequestEvent[] = [
    supplied === null
      ? { type: 'ShareRequestSubmitted', data: { shareId: s.shareId, submittedBy: s.requester, provider: s.provider, receivedAt, replyWorkingDays, replyDueAt, replyDueAtProvisional } }
      : { type: 'ShareRequestResubmitted', data: { shareId: s.shareId, resubmittedBy: s.requester, supplied, receivedAt, replyWorkingDays, replyDueAt, replyDueAtProvisional } },
  ];
  // APR-02, APR-07: where the platform is so configured (UNCONDITIONAL_AUTO_GRANT), a complete request
  // for unconditional data within the entry's scope (its items and share methods, checked when
  // drafted) is granted by the platform at once; otherwise the provider replies within 1 working day.
  if (unconditional && autoGrant) {
    events.push({
      type: 'ShareRequestApproved',
      data: {
        shareId: s.shareId, approvedBy: `platform:${s.platform}`, headApprover: null, automatic: true, dataItems: [...content.dataItems], conditions: '', disposalRequirement: '',
        ...deliveryDueOf(deps.calendar.deadline(ctx.at, DELIVERY_WORKING_DAYS)), approvedAt: receivedAt,
        replyDueAt, late: ctx.at.getTime() > Date.parse(replyDueAt),
      },
    });
  }
  return events;
};

export const draftRequest: Decide<'DraftRequest'> = (cmd, s, ctx) => {
  // REQ-02: a department requests for its own duties, as a requester.
  if (!cmd.by.roles.includes('requester')) throw forbidden(`department ${cmd.by.departmentId} lacks the requester role`, 'REQ-02');
  const r = resolveRequest(cmd.content, cmd.entry, cmd.by.departmentId, ctx.at);
  if (s.status !== 'NONE') {
    // A retried draft with the same id and content is a no-op, not an error.
    if (s.requester === cmd.by.departmentId && JSON.stringify(s.content) === JSON.stringify(r.content)) return [];
    throw new GovError('GOV_ERR_RULE_VIOLATED', `share request ${cmd.shareId} already exists`);
  }
  return [{ type: 'ShareRequestDrafted', data: { shareId: cmd.shareId, platform: cmd.by.platform, requester: cmd.by.departmentId, entryName: r.entry.name, shareAttribute: r.version.shareAttribute, content: r.content } }];
};

export const reviseRequest: Decide<'ReviseRequest'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'REQ-02');
  requireStatus(s, ['DRAFT', 'INTERNAL_APPROVED'], 'REQ-02', 'revising');
  const r = resolveRequest(cmd.content, cmd.entry, cmd.by.departmentId, ctx.at);
  return [{ type: 'ShareRequestRevised', data: { shareId: s.shareId, revisedBy: cmd.by.departmentId, entryName: r.entry.name, shareAttribute: r.version.shareAttribute, content: r.content } }];
};

export const approveInternally: Decide<'ApproveInternally'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'REQ-02');
  requireStatus(s, ['DRAFT'], 'REQ-02', "the office head's consent");
  text('approver', cmd.approver, 'REQ-02', "name of the head of the requester's sharing office who consents");
  return [{ type: 'ShareRequestInternallyApproved', data: { shareId: s.shareId, approver: cmd.approver.trim(), recordedBy: cmd.by.departmentId } }];
};

export const submitRequest: Decide<'SubmitRequest'> = (cmd, s, ctx, deps) => {
  requireRequester(s, cmd.by, ctx, 'REQ-02');
  // REQ-02: the head of the requester's own sharing office consents before the request leaves.
  if (s.status === 'DRAFT') throw ruleViolated('REQ-02', `the head of ${s.requester}'s sharing office must consent before the request is submitted`);
  requireStatus(s, ['INTERNAL_APPROVED'], 'REQ-02', 'submitting');
  assertPeriodUntil(s.content!.periodUntil, ctx.at, 'content.periodUntil', 'REQ-03');
  return submitted(s, ctx, deps, cmd.autoGrantUnconditional, null, cmd.entry);
};

export const withdrawRequest: Decide<'WithdrawRequest'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'REQ-02');
  requireStatus(s, ['DRAFT', 'INTERNAL_APPROVED', 'SUBMITTED', 'MATERIALS_REQUESTED'], null, 'withdrawing (a request is withdrawn before the reply)');
  return [{ type: 'ShareRequestWithdrawn', data: { shareId: s.shareId, withdrawnBy: cmd.by.departmentId, previousStatus: s.status, reason: cmd.reason.trim() } }];
};
