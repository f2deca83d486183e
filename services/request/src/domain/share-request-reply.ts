import { inputInvalid, ruleViolated } from '@govmesh/backbone';
import { assertPeriodUntil } from './content.ts';
import { submitted } from './share-request-drafting.ts';
import { DELIVERY_WORKING_DAYS, MAX_EXTENSION_WORKING_DAYS, blank, requireCompetent, requireProvider, requireRequester, requireStatus, text, type Decide, replyDeadline, deliveryDueOf } from './share-request-rules.ts';

/** The provider's reply (APR-01..04, REQ-05): the missing-materials notice and resubmission, the one extension, approval or refusal. */

export const notifyMissingMaterials: Decide<'NotifyMissingMaterials'> = (cmd, s, ctx) => {
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
  // REQ-05, APR-02: a notice after the reply deadline is late, and the resubmission will not restart the clock.
  const replyDueAt = s.reply!.dueAt;
  const late = ctx.at.getTime() > Date.parse(replyDueAt);
  return [{ type: 'MissingMaterialsNotified', data: { shareId: s.shareId, notifiedBy: cmd.by.departmentId, items: cmd.items.map((m) => ({ name: m.name.trim(), description: m.description.trim() })), replyDueAt, late } }];
};

export const resubmitRequest: Decide<'ResubmitRequest'> = (cmd, s, ctx, deps) => {
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
  return submitted(s, ctx, deps, cmd.autoGrantUnconditional, cmd.supplied.map((m) => ({ name: m.name.trim(), reference: m.reference.trim() })), cmd.entry);
};

export const requestReplyExtension: Decide<'RequestReplyExtension'> = (cmd, s, ctx) => {
  requireProvider(s, cmd.by, ctx, 'APR-03');
  requireStatus(s, ['SUBMITTED'], 'APR-03', 'asking for an extension');
  if (s.extension !== 'NONE') throw ruleViolated('APR-03', 'the reply deadline is extended at most once');
  if (!Number.isInteger(cmd.workingDays) || cmd.workingDays < 1 || cmd.workingDays > MAX_EXTENSION_WORKING_DAYS) {
    throw inputInvalid([{ field: 'workingDays', description: `an extension is 1 to ${MAX_EXTENSION_WORKING_DAYS} working days` }], 'APR-03');
  }
  if (ctx.at.getTime() > Date.parse(s.reply!.dueAt)) throw ruleViolated('APR-03', `an extension is asked for before the reply deadline (${s.reply!.dueAt}) passes`);
  text('reason', cmd.reason, 'APR-03');
  return [{ type: 'ReplyExtensionRequested', data: { shareId: s.shareId, requestedBy: cmd.by.departmentId, workingDays: cmd.workingDays, reason: cmd.reason.trim() } }];
};

export const decideReplyExtension: Decide<'DecideReplyExtension'> = (cmd, s, ctx, deps) => {
  // APR-03: the same-level competent department approves the extension.
  requireCompetent(s, cmd.by, ctx, 'APR-03');
  if (s.extension !== 'REQUESTED') throw ruleViolated('APR-03', 'no extension request is pending');
  requireStatus(s, ['SUBMITTED'], 'APR-03', 'deciding an extension');
  if (!cmd.grant) {
    text('reason', cmd.reason, 'APR-03');
    return [{ type: 'ReplyExtensionRefused', data: { shareId: s.shareId, refusedBy: cmd.by.departmentId, reason: cmd.reason.trim() } }];
  }
  const previousDueAt = s.reply!.dueAt;
  const extended = deps.calendar.extend(replyDeadline(s.reply!), s.extensionDays);
  // The event is the requester's notice of the new deadline (APR-03).
  return [{ type: 'ReplyDeadlineExtended', data: { shareId: s.shareId, grantedBy: cmd.by.departmentId, workingDays: s.extensionDays, previousDueAt, replyDueAt: extended.dueAt, replyDueAtProvisional: extended.provisional, notifiedRequester: s.requester } }];
};

export const replyToRequest: Decide<'ReplyToRequest'> = (cmd, s, ctx, deps) => {
  requireProvider(s, cmd.by, ctx, 'APR-01');
  if (s.status === 'MATERIALS_REQUESTED') throw ruleViolated('REQ-05', 'the provider waits for the materials its notice listed and replies after the resubmission');
  requireStatus(s, ['SUBMITTED'], 'APR-01', 'replying');
  // APR-01: the reply needs the consent of the head of the provider's sharing office.
  text('headApprover', cmd.headApprover, 'APR-01', "name of the head of the provider's sharing office who consents to the reply");
  // APR-02, APR-06, SUP-04: the reply records the deadline in force and whether it met it, whatever the watcher flagged.
  const replyDueAt = s.reply!.dueAt;
  const late = ctx.at.getTime() > Date.parse(replyDueAt);
  if (cmd.decision === 'APPROVE') {
    // CAT-05: unconditional data is granted without conditions added on the provider's own authority.
    if (s.shareAttribute === 'UNCONDITIONAL' && !blank(cmd.conditions)) {
      throw ruleViolated('CAT-05', `conditions: ${s.entryName} is unconditional data (无条件共享): it is granted without added conditions; leave conditions empty`);
    }
    return [{
      type: 'ShareRequestApproved',
      data: {
        shareId: s.shareId, approvedBy: cmd.by.departmentId, headApprover: cmd.headApprover.trim(), automatic: false, dataItems: [...s.content!.dataItems],
        conditions: cmd.conditions.trim(), disposalRequirement: cmd.disposalRequirement.trim(),
        // DLV-01: delivery within 20 working days of the agreeing reply.
        ...deliveryDueOf(deps.calendar.deadline(ctx.at, DELIVERY_WORKING_DAYS)), approvedAt: ctx.at.toISOString(),
        replyDueAt, late,
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
  return [{ type: 'ShareRequestRefused', data: { shareId: s.shareId, refusedBy: cmd.by.departmentId, headApprover: cmd.headApprover.trim(), reasons: cmd.reasons.map((r) => ({ ground: r.ground, detail: r.detail.trim() })), replyDueAt, late } }];
};
