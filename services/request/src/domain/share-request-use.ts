import type { RequestEvent, ScopeChange, TerminationCause } from '@govmesh/contracts/avro';
import { forbidden, inputInvalid, ruleViolated } from '@govmesh/backbone';
import { assertPeriodUntil, itemViolations } from './content.ts';
import type { UseTerms } from './share-request.ts';
import { MAX_RECTIFICATION_WORKING_DAYS, blank, exists, isCompetent, requireCompetent, requireProvider, requireRequester, requireStatus, text, type Decide, rectificationDueOf } from './share-request-rules.ts';

/** Delivery and use (DLV-01, USE-01/02, SUS-01/02, REC-01/05): activation, scope changes, suspension, service changes, usage records, end of use, disposal. */

const sameTerms = (a: UseTerms, b: UseTerms): boolean =>
  a.useScenario === b.useScenario && a.useScope === b.useScope && a.periodUntil === b.periodUntil
  && [...a.dataItems].sort().join('\n') === [...b.dataItems].sort().join('\n') && [...a.thirdParties].sort().join('\n') === [...b.thirdParties].sort().join('\n');

export const startDelivery: Decide<'StartDelivery'> = (cmd, s, ctx) => {
  exists(s, ctx);
  const operator = cmd.by.roles.includes('operator') && cmd.by.platform === s.platform;
  if (cmd.by.departmentId !== s.provider && !operator) throw forbidden(`only the provider ${s.provider} or a platform operator reports the start of delivery`, 'DLV-01');
  requireStatus(s, ['APPROVED'], 'DLV-01', 'starting delivery');
  const method = cmd.shareMethod ?? s.content!.shareMethod;
  if (method !== s.content!.shareMethod) throw inputInvalid([{ field: 'shareMethod', description: `the approved share method is ${s.content!.shareMethod}` }], 'DLV-02');
  const due = s.approval!.deliveryDueAt;
  return [{ type: 'ShareActivated', data: { shareId: s.shareId, startedBy: cmd.by.departmentId, shareMethod: method, deliveryDueAt: due, late: ctx.at.getTime() > Date.parse(due) } }];
};

/**
 * DLV-01, DLV-02: the exchange delivered the share for the first time. An approved share becomes
 * active, on time or late by the instant the delivery started; a share already active (reported
 * by hand) or cut since (suspended, terminated, ended) is not changed by it.
 */
export const recordExchangeDelivery: Decide<'RecordExchangeDelivery'> = (cmd, s, ctx) => {
  exists(s, ctx);
  if (s.status !== 'APPROVED') return [];
  if (cmd.shareMethod !== s.content!.shareMethod) throw inputInvalid([{ field: 'shareMethod', description: `the approved share method is ${s.content!.shareMethod}` }], 'DLV-02');
  const due = s.approval!.deliveryDueAt;
  const started = Date.parse(cmd.startedAt);
  return [{ type: 'ShareActivated', data: { shareId: s.shareId, startedBy: ctx.actor, shareMethod: cmd.shareMethod, deliveryDueAt: due, late: (Number.isNaN(started) ? ctx.at.getTime() : started) > Date.parse(due) } }];
};

export const requestScopeChange: Decide<'RequestScopeChange'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'USE-01');
  requireStatus(s, ['ACTIVE'], 'USE-01', 'a scope change');
  if (s.pendingScopeChange !== null) throw ruleViolated('USE-01', 'a scope change is already waiting for the provider');
  const c = cmd.change;
  // CAT-04: a wider use is judged against the entry's current published version, not the one granted.
  const version = cmd.entry?.current ?? null;
  if (version?.shareAttribute === 'NOT_SHARED') throw ruleViolated('CAT-04', `entry ${s.content!.entryId} is not shared (不予共享) since version ${version.version}: the use is not widened`);
  const v = version === null
    ? [{ field: 'change.dataItems', description: `entry ${s.content!.entryId} has no published version in the catalog view` }]
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
};

export const decideScopeChange: Decide<'DecideScopeChange'> = (cmd, s, ctx) => {
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
};

export const suspendShare: Decide<'SuspendShare'> = (cmd, s, ctx, deps) => {
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
    data: { shareId: s.shareId, suspendedBy: cmd.by.departmentId, misuse: cmd.misuse, findings: cmd.findings.trim(), rectificationWorkingDays: days, ...rectificationDueOf(deps.calendar.deadline(ctx.at, days)), suspendedAt: ctx.at.toISOString() },
  }];
};

export const reportRectification: Decide<'ReportRectification'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'SUS-01');
  requireStatus(s, ['SUSPENDED'], 'SUS-01', 'reporting a rectification');
  text('description', cmd.description, 'SUS-01');
  return [{ type: 'RectificationReported', data: { shareId: s.shareId, reportedBy: cmd.by.departmentId, description: cmd.description.trim() } }];
};

export const resumeShare: Decide<'ResumeShare'> = (cmd, s, ctx) => {
  exists(s, ctx);
  if (!isCompetent(s, cmd.by) && cmd.by.departmentId !== s.provider) throw forbidden('only the competent department or the provider resumes a share', 'SUS-01');
  requireStatus(s, ['SUSPENDED'], 'SUS-01', 'resuming');
  if (!s.suspension!.rectificationReported) throw ruleViolated('SUS-01', 'sharing resumes only after the requester has reported its rectification');
  return [{ type: 'ShareResumed', data: { shareId: s.shareId, resumedBy: cmd.by.departmentId, note: cmd.note.trim() } }];
};

export const terminateShare: Decide<'TerminateShare'> = (cmd, s, ctx) => {
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
};

export const proposeServiceChange: Decide<'ProposeServiceChange'> = (cmd, s, ctx) => {
  requireProvider(s, cmd.by, ctx, 'SUS-02');
  requireStatus(s, ['ACTIVE'], 'SUS-02', 'changing or ending the service');
  if (s.serviceChange !== null) throw ruleViolated('SUS-02', 'a service change is already in progress');
  // SUS-02: no termination or change without good reason.
  text('reason', cmd.reason, 'SUS-02', 'the good reason for ending or changing the service');
  if (cmd.change === 'CHANGE') text('description', cmd.description, 'SUS-02', 'what changes in the service');
  return [{ type: 'ServiceChangeProposed', data: { shareId: s.shareId, proposedBy: cmd.by.departmentId, kind: cmd.change, reason: cmd.reason.trim(), description: cmd.description.trim() } }];
};

export const recordServiceChangeNegotiation: Decide<'RecordServiceChangeNegotiation'> = (cmd, s, ctx) => {
  exists(s, ctx);
  if (cmd.by.departmentId !== s.requester && cmd.by.departmentId !== s.provider) throw forbidden('only the provider and the requester record their negotiation', 'SUS-02');
  requireStatus(s, ['ACTIVE'], 'SUS-02', 'negotiating a service change');
  if (s.serviceChange === null) throw ruleViolated('SUS-02', 'no service change is proposed');
  text('notes', cmd.notes, 'SUS-02');
  return [{ type: 'ServiceChangeNegotiated', data: { shareId: s.shareId, recordedBy: cmd.by.departmentId, requesterAgrees: cmd.requesterAgrees, notes: cmd.notes.trim() } }];
};

export const recordServiceChangeFiling: Decide<'RecordServiceChangeFiling'> = (cmd, s, ctx) => {
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
};

export const recordUsage: Decide<'RecordUsage'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'REC-01');
  requireStatus(s, ['ACTIVE', 'SUSPENDED', 'USE_ENDED', 'TERMINATED'], 'REC-01', 'recording usage');
  const v = (['process', 'outcomes', 'storage'] as const).filter((f) => blank(cmd[f])).map((field) => ({ field, description: 'required in a usage record' }));
  if (v.length > 0) throw inputInvalid(v, 'REC-01');
  return [{ type: 'UsageRecorded', data: { shareId: s.shareId, recordedBy: cmd.by.departmentId, process: cmd.process.trim(), outcomes: cmd.outcomes.trim(), storage: cmd.storage.trim() } }];
};

export const endUse: Decide<'EndUse'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'USE-02');
  requireStatus(s, ['APPROVED', 'ACTIVE', 'SUSPENDED'], 'USE-02', 'ending the use');
  return [{ type: 'ShareUseEnded', data: { shareId: s.shareId, endedBy: cmd.by.departmentId, reason: cmd.reason, note: cmd.note.trim(), disposalRequirement: s.approval?.disposalRequirement ?? '' } }];
};

export const confirmDisposal: Decide<'ConfirmDisposal'> = (cmd, s, ctx) => {
  // USE-02: at the end of use the requester disposes of the data as the provider requires.
  requireRequester(s, cmd.by, ctx, 'USE-02');
  requireStatus(s, ['USE_ENDED', 'TERMINATED'], 'USE-02', 'confirming disposal');
  const v: { field: string; description: string }[] = (['method', 'reference'] as const).filter((f) => blank(cmd[f])).map((field) => ({ field, description: 'required: how the data was disposed of and the record of it' }));
  const disposedAt = cmd.disposedAt ?? ctx.at;
  if (Number.isNaN(disposedAt.getTime()) || disposedAt.getTime() > ctx.at.getTime()) v.push({ field: 'disposedAt', description: 'a time not in the future' });
  if (v.length > 0) throw inputInvalid(v, 'USE-02');
  return [{ type: 'DataDisposalConfirmed', data: { shareId: s.shareId, confirmedBy: cmd.by.departmentId, method: cmd.method.trim(), reference: cmd.reference.trim(), disposedAt: disposedAt.toISOString() } }];
};
