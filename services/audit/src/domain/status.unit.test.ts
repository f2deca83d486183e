import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkingCalendar, fold } from '@govmesh/backbone';
import type { CatalogEvent } from '@govmesh/contracts/avro';
import { catalogEntryDecider, displayStatus, type CatalogCommand } from '../../../catalog/src/domain/catalog-entry.ts';
import { ENTRY, competent as catalogCompetent, conditionalContent, provider as catalogProvider } from '../../../catalog/src/domain/fixtures.ts';
import type { ShareStatus } from '../../../request/src/domain/share-request.ts';
import { competent, conditionalEntry, play, provider, refusedHistory, requester, stateOf, submittedHistory } from '../../../request/src/domain/fixtures.ts';
import { initialStreamStatus, nextStatus } from './status.ts';

const run = (events: [string, Record<string, unknown>][]) => events.reduce((s, [type, data]) => nextStatus(s, type, data), initialStreamStatus());

/**
 * SUP-01: the supervisor reads a stream's status off the ledger alone. It must be the status the
 * owning service itself reports: each history below is folded by the owning service's own decider
 * (the catalog's displayStatus, the request service's ShareStatus) and by the audit, event by event.
 */
const auditStatuses = (events: readonly { type: string; data: unknown }[]): (string | undefined)[] => {
  let s = initialStreamStatus();
  return events.map((e) => (s = nextStatus(s, e.type, e.data as Record<string, unknown>)).status);
};

test('SUP-01: the catalog status read off the ledger is the catalog service\'s own, event by event (assessments, return, publication, update cycle, extension)', () => {
  const at = (d: string) => new Date(`${d}T10:00:00+08:00`);
  const steps: [CatalogCommand, Date][] = [
    [{ kind: 'DraftEntry', by: catalogProvider, entryId: ENTRY, content: conditionalContent() }, at('2026-09-21')],
    [{ kind: 'RecordAssessment', by: catalogProvider, assessment: 'SECRECY_RISK', reference: 'SR-1', conclusion: 'none' }, at('2026-09-21')],
    [{ kind: 'RecordAssessment', by: catalogProvider, assessment: 'PERSONAL_INFORMATION', reference: 'PI-1', conclusion: 'minimised' }, at('2026-09-21')],
    [{ kind: 'ApproveByHead', by: catalogProvider, approver: 'Director Wang' }, at('2026-09-21')],
    [{ kind: 'SubmitEntry', by: catalogProvider }, at('2026-09-21')],
    [{ kind: 'ReturnEntry', by: catalogCompetent, reasons: ['classification is wrong'] }, at('2026-09-22')],
    [{ kind: 'RecordAssessment', by: catalogProvider, assessment: 'SECRECY_RISK', reference: 'SR-2', conclusion: 'none' }, at('2026-09-22')],
    [{ kind: 'RecordAssessment', by: catalogProvider, assessment: 'PERSONAL_INFORMATION', reference: 'PI-2', conclusion: 'minimised' }, at('2026-09-22')],
    [{ kind: 'ApproveByHead', by: catalogProvider, approver: 'Director Wang' }, at('2026-09-22')],
    [{ kind: 'SubmitEntry', by: catalogProvider }, at('2026-09-22')],
    [{ kind: 'PublishEntry', by: catalogCompetent }, at('2026-09-23')],
    [{ kind: 'StartUpdate', by: catalogProvider, trigger: 'LAW_CHANGE', description: 'the law changed' }, at('2026-09-24')],
    [{ kind: 'RequestUpdateExtension', by: catalogProvider, reason: 'large entry' }, at('2026-09-24')],
    [{ kind: 'DecideUpdateExtension', by: catalogCompetent, grant: true, reason: '' }, at('2026-09-24')],
    [{ kind: 'RecordAssessment', by: catalogProvider, assessment: 'SECRECY_RISK', reference: 'SR-3', conclusion: 'none' }, at('2026-09-25')],
    [{ kind: 'RecordAssessment', by: catalogProvider, assessment: 'PERSONAL_INFORMATION', reference: 'PI-3', conclusion: 'minimised' }, at('2026-09-25')],
    [{ kind: 'ApproveByHead', by: catalogProvider, approver: 'Director Wang' }, at('2026-09-25')],
    [{ kind: 'SubmitEntry', by: catalogProvider }, at('2026-09-28')],
    [{ kind: 'PublishEntry', by: catalogCompetent }, at('2026-09-29')],
  ];
  const deps = { calendar: new WorkingCalendar() };
  const history: CatalogEvent[] = [];
  const own: string[] = [];
  for (const [command, when] of steps) {
    for (const e of catalogEntryDecider.decide(command, fold(catalogEntryDecider, history), { actor: 'test', at: when, commandId: 'c', aggregateId: ENTRY }, deps)) {
      history.push(e);
      own.push(displayStatus(fold(catalogEntryDecider, history)));
    }
  }
  assert.ok(own.includes('UPDATING') && own.includes('UPDATE_SUBMITTED') && own.includes('ASSESSED'));
  assert.deepEqual(auditStatuses(history), own);
});

test("SUP-01: the share status read off the ledger is the request service's own ShareStatus, event by event (notice, extension, refusal, dispute, delivery, suspension, end of use, disposal)", () => {
  const cst = (d: string) => new Date(`${d}+08:00`);
  const noticed = play([
    [{ kind: 'NotifyMissingMaterials', by: provider, items: [{ name: 'case list', description: '' }] }, cst('2026-09-21T09:00:00')],
    [{ kind: 'ResubmitRequest', by: requester, supplied: [{ name: 'case list', reference: 'DOC-1' }], autoGrantUnconditional: false, entry: conditionalEntry() }, cst('2026-09-22T09:00:00')],
    [{ kind: 'RequestReplyExtension', by: provider, workingDays: 5, reason: 'legal review' }, cst('2026-09-22T10:00:00')],
    [{ kind: 'DecideReplyExtension', by: competent, grant: false, reason: 'no cause' }, cst('2026-09-22T11:00:00')],
    [{ kind: 'ReplyToRequest', by: provider, decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'NOT_NECESSARY', detail: 'names suffice' }], conditions: '', disposalRequirement: '' }, cst('2026-09-23T09:00:00')],
    [{ kind: 'OpenDispute', by: requester, grounds: 'the rules need ids', crossLevel: false, authority: competent.departmentId }, cst('2026-09-23T10:00:00')],
    [{ kind: 'EscalateDispute', by: requester, reason: 'no agreement' }, cst('2026-09-24T10:00:00')],
    [{ kind: 'ResolveDispute', by: competent, outcome: 'SHARE_GRANTED', decision: 'share the ids', reference: '协调〔2026〕1号' }, cst('2026-09-25T10:00:00')],
    [{ kind: 'StartDelivery', by: provider, shareMethod: null }, cst('2026-09-28T10:00:00')],
    [{ kind: 'SuspendShare', by: competent, misuse: 'BEYOND_SCOPE', findings: 'used for another purpose', rectificationWorkingDays: 5 }, cst('2026-09-29T10:00:00')],
    [{ kind: 'ReportRectification', by: requester, description: 'stopped the other use' }, cst('2026-09-30T10:00:00')],
    [{ kind: 'ResumeShare', by: competent, note: 'rectified' }, cst('2026-09-30T11:00:00')],
    [{ kind: 'EndUse', by: requester, reason: 'PURPOSE_ACHIEVED', note: 'done' }, cst('2026-10-09T10:00:00')],
    [{ kind: 'ConfirmDisposal', by: requester, method: 'deleted', reference: 'DEL-1' }, cst('2026-10-09T11:00:00')],
  ], submittedHistory());
  const withdrawn = play([[{ kind: 'WithdrawRequest', by: requester, reason: 'not needed' }, cst('2026-09-21T09:00:00')]], submittedHistory());
  const upheld = play([
    [{ kind: 'OpenDispute', by: requester, grounds: 'g', crossLevel: false, authority: competent.departmentId }, cst('2026-09-21T09:00:00')],
    [{ kind: 'ResolveDispute', by: requester, outcome: 'REFUSAL_UPHELD', decision: 'we accept', reference: '' }, cst('2026-09-21T10:00:00')],
  ], refusedHistory());
  for (const history of [noticed, withdrawn, upheld]) {
    const own: ShareStatus[] = history.map((_, i) => stateOf(history.slice(0, i + 1)).status);
    assert.deepEqual(auditStatuses(history), own);
  }
  const seen = new Set(noticed.map((_, i) => stateOf(noticed.slice(0, i + 1)).status));
  for (const s of ['MATERIALS_REQUESTED', 'REFUSED', 'IN_DISPUTE', 'APPROVED', 'ACTIVE', 'SUSPENDED', 'USE_ENDED', 'DISPOSED'] satisfies ShareStatus[]) assert.ok(seen.has(s), s);
});

test('missed deadlines raise a flag and keep the status; unknown event types change nothing', () => {
  const s = run([['ShareRequestSubmitted', {}], ['ReplyOverdue', {}]]);
  assert.equal(s.status, 'SUBMITTED');
  assert.equal(s.flag, 'REPLY_OVERDUE');
  assert.equal(nextStatus(s, 'SomethingNewFromAnotherService', {}).status, 'SUBMITTED');
});

test('APR-06, SUP-04: a late reply or notice is flagged from the event itself, with no watcher in between; an on-time one is not', () => {
  const cst = (d: string) => new Date(`${d}+08:00`);
  const h = submittedHistory(conditionalEntry(), cst('2026-09-30T15:00:00')); // due at the end of 20 Oct 2026
  const reply = (decision: 'APPROVE' | 'REFUSE') => ({ kind: 'ReplyToRequest' as const, by: provider, decision, headApprover: 'Director Wang', reasons: [{ ground: 'NOT_NECESSARY' as const, detail: 'names suffice' }], conditions: '', disposalRequirement: '' });
  const flagOf = (events: { type: string; data: unknown }[]) => events.reduce((s, e) => nextStatus(s, e.type, e.data as Record<string, unknown>), initialStreamStatus()).flag;
  for (const decision of ['APPROVE', 'REFUSE'] as const) {
    assert.equal(flagOf(play([[reply(decision), cst('2026-10-21T09:00:00')]], h)), 'REPLY_LATE', decision);
    assert.equal(flagOf(play([[reply(decision), cst('2026-10-20T09:00:00')]], h)), undefined, decision);
  }
  assert.equal(flagOf(play([[{ kind: 'NotifyMissingMaterials', by: provider, items: [{ name: 'case list', description: '' }] }, cst('2026-10-22T09:00:00')]], h)), 'NOTICE_LATE');
  // Events written before the field existed (late: null) are not flagged.
  assert.equal(nextStatus(initialStreamStatus(), 'ShareRequestApproved', { late: null }).flag, undefined);
});
