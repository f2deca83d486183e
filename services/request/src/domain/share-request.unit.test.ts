import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestEvent } from '@govmesh/contracts/avro';
import { deciderSpec } from '@govmesh/backbone/testing';
import { deliveryOverdue, replyOverdue, shareRequestDecider, type ShareCommand } from './share-request.ts';
import {
  SHARE, T0, activeHistory, approvedHistory, auditor, competent, conditionalEntry, consentedHistory, draftedHistory, foreignCompetent, play, provider,
  refusedHistory, requestContent, requester, stateOf, submittedHistory, unconditionalEntry,
} from './fixtures.ts';

const spec = deciderSpec(shareRequestDecider);
const at = T0;
const cst = (s: string) => new Date(`${s}+08:00`);
const endOf = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();
const types = (events: RequestEvent[]) => events.map((e) => e.type);
type DataOf = { [E in RequestEvent as E['type']]: E['data'] };
const data = <T extends keyof DataOf>(events: RequestEvent[], type: T): DataOf[T] | undefined => events.find((e) => e.type === type)?.data as unknown as DataOf[T] | undefined;

const reply = (decision: 'APPROVE' | 'REFUSE', over: Partial<Extract<ShareCommand, { kind: 'ReplyToRequest' }>> = {}): ShareCommand => ({
  kind: 'ReplyToRequest', by: provider, decision, headApprover: 'Director Wang', reasons: [], conditions: '', disposalRequirement: '', ...over,
});
const notice: ShareCommand = { kind: 'NotifyMissingMaterials', by: provider, items: [{ name: 'legal basis document', description: 'a copy of the regulation article' }, { name: 'case list', description: 'the cases the data serves' }] };

// ---- REQ-02: internal consent before submission -------------------------------------------------

test("REQ-02: a request is submitted only after the head of the requester's sharing office consents", () => {
  spec.given(draftedHistory()).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: conditionalEntry() }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'REQ-02', /must consent before the request is submitted/);
  spec.given(draftedHistory()).when({ kind: 'ApproveInternally', by: requester, approver: ' ' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /approver/);
  spec.given(draftedHistory()).when({ kind: 'ApproveInternally', by: provider, approver: 'Director Wang' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'REQ-02');
  assert.deepEqual(types(spec.given(consentedHistory()).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: conditionalEntry() }, { at }).thenEvents()), ['ShareRequestSubmitted']);
});

test('REQ-02: revising the request voids the consent', () => {
  const revised = play([[{ kind: 'ReviseRequest', by: requester, content: requestContent({ dataItems: ['citizen_id', 'name'] }), entry: conditionalEntry() }, at]], consentedHistory());
  assert.equal(stateOf(revised).status, 'DRAFT');
  assert.equal(stateOf(revised).internalApprover, null);
  spec.given(revised).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: conditionalEntry() }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'REQ-02');
});

test('REQ-03: a request whose period of use has ended by the time of submission is not submitted', () => {
  const h = play([[{ kind: 'DraftRequest', by: requester, shareId: SHARE, content: requestContent({ periodUntil: '2026-09-30' }), entry: conditionalEntry() }, at], [{ kind: 'ApproveInternally', by: requester, approver: 'Director Zhao' }, at]]);
  spec.given(h).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: conditionalEntry() }, { at: cst('2026-10-08T09:00:00') }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-03', /content\.periodUntil: the period of use has already ended/);
});

// ---- APR-02: reply deadlines on the working-day calendar ----------------------------------------

test('APR-02: unconditional data: the reply is due in 1 working day, and Sunday 20 Sep 2026 is a make-up working day', () => {
  const [ev] = spec.given(consentedHistory(unconditionalEntry())).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: unconditionalEntry() }, { at: cst('2026-09-18T10:00:00') }).thenEvents();
  assert.equal(ev?.type, 'ShareRequestSubmitted');
  assert.equal(data([ev!], 'ShareRequestSubmitted')?.replyWorkingDays, 1);
  assert.equal(data([ev!], 'ShareRequestSubmitted')?.replyDueAt, endOf('2026-09-20'));
});

test('APR-02: conditional data: the reply is due in 10 working days, across the 2026 National Day week', () => {
  const submittedAt = cst('2026-09-30T15:00:00');
  const [ev] = spec.given(consentedHistory(conditionalEntry(), submittedAt)).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: true, entry: conditionalEntry() }, { at: submittedAt }).thenEvents();
  // 10-08 (1), 10-09 (2), Saturday 10-10 make-up (3), 10-12..10-16 (4-8), 10-19 (9), 10-20 (10)
  assert.equal(data([ev!], 'ShareRequestSubmitted')?.replyDueAt, endOf('2026-10-20'));
  assert.equal(data([ev!], 'ShareRequestSubmitted')?.receivedAt, submittedAt.toISOString());
});

test('APR-02: with UNCONDITIONAL_AUTO_GRANT the platform grants a complete unconditional request at once; conditional data never', () => {
  const auto = spec.given(consentedHistory(unconditionalEntry())).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: true, entry: unconditionalEntry() }, { at }).thenEvents();
  assert.deepEqual(types(auto), ['ShareRequestSubmitted', 'ShareRequestApproved']);
  assert.equal(data(auto, 'ShareRequestApproved')?.automatic, true);
  assert.equal(data(auto, 'ShareRequestApproved')?.approvedBy, 'platform:national');
  assert.equal(data(auto, 'ShareRequestApproved')?.headApprover, null);
  const manual = spec.given(consentedHistory(unconditionalEntry())).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: unconditionalEntry() }, { at }).thenEvents();
  assert.deepEqual(types(manual), ['ShareRequestSubmitted']);
  const conditional = spec.given(consentedHistory()).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: true, entry: conditionalEntry() }, { at }).thenEvents();
  assert.deepEqual(types(conditional), ['ShareRequestSubmitted']);
});

// ---- REQ-05: one notice of missing materials, never a bare refusal -------------------------------

test('REQ-05: the notice lists what is missing (at least one item) and stops the clock', () => {
  spec.given(submittedHistory()).when({ kind: 'NotifyMissingMaterials', by: provider, items: [] }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-05', /items/);
  spec.given(submittedHistory()).when({ kind: 'NotifyMissingMaterials', by: provider, items: [{ name: ' ', description: 'x' }] }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-05', /items\[0\]\.name/);
  spec.given(submittedHistory()).when({ ...notice, by: requester } as ShareCommand, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'REQ-05');
  const h = play([[notice, at]], submittedHistory());
  assert.equal(stateOf(h).status, 'MATERIALS_REQUESTED');
  // No overdue flag while the requester owes the materials, even long after the first deadline.
  spec.given(h).when({ kind: 'CheckDeadlines' }, { at: cst('2026-12-01T09:00:00') }).then([]);
});

test('REQ-05: everything missing goes in one notice; a second notice is refused', () => {
  const h = play([[notice, at], [{ kind: 'ResubmitRequest', by: requester, supplied: [{ name: 'legal basis document', reference: 'DOC-1' }, { name: 'case list', reference: 'DOC-2' }], autoGrantUnconditional: false, entry: conditionalEntry() }, at]], submittedHistory());
  spec.given(h).when({ kind: 'NotifyMissingMaterials', by: provider, items: [{ name: 'another thing', description: '' }] }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'REQ-05', /one notice/);
});

test('REQ-05: a refusal whose only reason is incompleteness is refused, pointing to the notice', () => {
  const onlyIncomplete = reply('REFUSE', { reasons: [{ ground: 'INCOMPLETE_MATERIALS', detail: 'no legal basis document' }] });
  spec.given(submittedHistory()).when(onlyIncomplete, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'REQ-05', /send one notice listing everything missing \(POST \/v1\/requests\/share-1\/missing-materials\)/);
  // Incompleteness next to a substantive ground is a refusal with reasons.
  const mixed = reply('REFUSE', { reasons: [{ ground: 'INCOMPLETE_MATERIALS', detail: 'no legal basis document' }, { ground: 'OUTSIDE_REQUESTER_DUTIES', detail: 'not a civil affairs duty' }] });
  assert.deepEqual(types(spec.given(submittedHistory()).when(mixed, { at }).thenEvents()), ['ShareRequestRefused']);
  // While the notice is open the provider waits for the materials.
  spec.given(play([[notice, at]], submittedHistory())).when(reply('APPROVE'), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'REQ-05', /waits for the materials/);
});

test('REQ-05: the resubmission supplies every listed item and restarts the reply clock in full', () => {
  const h = play([[notice, cst('2026-09-21T09:00:00')]], submittedHistory(conditionalEntry(), cst('2026-09-18T10:00:00')));
  spec.given(h).when({ kind: 'ResubmitRequest', by: requester, supplied: [{ name: 'case list', reference: 'DOC-2' }], autoGrantUnconditional: false, entry: conditionalEntry() }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-05', /supplied: the notice also asked for: legal basis document/);
  const resubmittedAt = cst('2026-09-30T15:00:00');
  const ev = spec.given(h).when({ kind: 'ResubmitRequest', by: requester, supplied: [{ name: 'legal basis document', reference: 'DOC-1' }, { name: 'case list', reference: 'DOC-2' }], autoGrantUnconditional: false, entry: conditionalEntry() }, { at: resubmittedAt }).thenEvents();
  assert.deepEqual(types(ev), ['ShareRequestResubmitted']);
  assert.equal(data(ev, 'ShareRequestResubmitted')?.receivedAt, resubmittedAt.toISOString());
  assert.equal(data(ev, 'ShareRequestResubmitted')?.replyDueAt, endOf('2026-10-20'), '10 fresh working days from the resubmission, across National Day');
  assert.equal(stateOf([...h, ...ev]).status, 'SUBMITTED');
});

// ---- APR-01, APR-04: the reply ------------------------------------------------------------------

test("APR-01: only the provider replies, and only with its sharing-office head's consent", () => {
  spec.given(submittedHistory()).when(reply('APPROVE', { by: requester }), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'APR-01');
  spec.given(submittedHistory()).when(reply('APPROVE', { by: competent }), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'APR-01');
  spec.given(submittedHistory()).when(reply('APPROVE', { headApprover: '' }), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'APR-01', /headApprover/);
  const ev = spec.given(submittedHistory()).when(reply('APPROVE'), { at }).thenEvents();
  assert.equal(data(ev, 'ShareRequestApproved')?.headApprover, 'Director Wang');
  spec.given(consentedHistory()).when(reply('APPROVE'), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'APR-01', /not possible while the request is INTERNAL_APPROVED/);
});

test('APR-04: a refusal states its reasons', () => {
  spec.given(submittedHistory()).when(reply('REFUSE', { reasons: [] }), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'APR-04', /reasons: a refusal states its reasons/);
  spec.given(submittedHistory()).when(reply('REFUSE', { reasons: [{ ground: 'OTHER', detail: ' ' }] }), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'APR-04', /reasons\[0\]\.detail/);
  const s = stateOf(refusedHistory());
  assert.equal(s.status, 'REFUSED');
  assert.equal(s.refusal?.reasons[0]?.ground, 'OUTSIDE_REQUESTER_DUTIES');
});

// ---- APR-03: one extension, approved by the competent department --------------------------------

const submittedOnEveOfNationalDay = () => submittedHistory(conditionalEntry(), cst('2026-09-30T15:00:00'));

test('APR-03: one extension of at most 10 working days, approved by the same-level competent department, notifies the requester', () => {
  const h = submittedOnEveOfNationalDay();
  spec.given(h).when({ kind: 'RequestReplyExtension', by: provider, workingDays: 11, reason: 'large volume' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'APR-03', /workingDays/);
  spec.given(h).when({ kind: 'RequestReplyExtension', by: requester, workingDays: 10, reason: 'x' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'APR-03');
  const asked = play([[{ kind: 'RequestReplyExtension', by: provider, workingDays: 10, reason: 'legal review of personal information' }, cst('2026-10-12T09:00:00')]], h);
  spec.given(asked).when({ kind: 'DecideReplyExtension', by: provider, grant: true, reason: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'APR-03');
  spec.given(asked).when({ kind: 'DecideReplyExtension', by: foreignCompetent, grant: true, reason: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'APR-03');
  const granted = spec.given(asked).when({ kind: 'DecideReplyExtension', by: competent, grant: true, reason: '' }, { at: cst('2026-10-13T09:00:00') }).thenEvents();
  assert.deepEqual(granted, [{
    type: 'ReplyDeadlineExtended',
    data: { shareId: SHARE, grantedBy: competent.departmentId, workingDays: 10, previousDueAt: endOf('2026-10-20'), replyDueAt: endOf('2026-11-03'), replyDueAtProvisional: false, notifiedRequester: requester.departmentId },
  }]);
  spec.given([...asked, ...granted]).when({ kind: 'RequestReplyExtension', by: provider, workingDays: 1, reason: 'again' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'APR-03', /at most once/);
});

test('APR-03: a refused extension leaves the deadline; an extension is asked for before the deadline passes', () => {
  const h = submittedOnEveOfNationalDay();
  const refused = play([[{ kind: 'RequestReplyExtension', by: provider, workingDays: 5, reason: 'x' }, cst('2026-10-12T09:00:00')], [{ kind: 'DecideReplyExtension', by: competent, grant: false, reason: 'no cause' }, cst('2026-10-12T10:00:00')]], h);
  assert.equal(stateOf(refused).reply?.dueAt, endOf('2026-10-20'));
  assert.equal(stateOf(refused).extension, 'REFUSED');
  spec.given(h).when({ kind: 'RequestReplyExtension', by: provider, workingDays: 5, reason: 'late' }, { at: cst('2026-10-21T09:00:00') }).thenThrows('GOV_ERR_RULE_VIOLATED', 'APR-03', /before the reply deadline/);
});

// ---- APR-06: overdue flags, exactly once --------------------------------------------------------

test('APR-06: a missed reply deadline is flagged once, after the deadline and not before, and again only for an extended deadline', () => {
  const h = submittedOnEveOfNationalDay();
  spec.given(h).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-20T23:59:00') }).then([]);
  const late = cst('2026-10-21T00:00:01');
  const flagged = spec.given(h).when({ kind: 'CheckDeadlines' }, { at: late }).thenEvents();
  assert.deepEqual(flagged, [{ type: 'ReplyOverdue', data: { shareId: SHARE, provider: provider.departmentId, dueAt: endOf('2026-10-20'), detectedAt: late.toISOString() } }]);
  spec.given([...h, ...flagged]).when({ kind: 'CheckDeadlines' }, { at: late }).then([]);
  assert.equal(replyOverdue(stateOf([...h, ...flagged])), true);
  // The reply still comes (late); the share is no longer overdue.
  const replied = play([[reply('APPROVE'), late]], [...h, ...flagged]);
  assert.equal(replyOverdue(stateOf(replied)), false);
});

test('APR-06: with an extension the deadline moves: not overdue on the old date, overdue once after the new one', () => {
  const h = play(
    [[{ kind: 'RequestReplyExtension', by: provider, workingDays: 5, reason: 'x' }, cst('2026-10-12T09:00:00')], [{ kind: 'DecideReplyExtension', by: competent, grant: true, reason: '' }, cst('2026-10-12T10:00:00')]],
    submittedOnEveOfNationalDay(),
  );
  spec.given(h).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-21T09:00:00') }).then([]);
  const flagged = spec.given(h).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-28T00:00:01') }).thenEvents();
  assert.equal(data(flagged, 'ReplyOverdue')?.dueAt, endOf('2026-10-27'));
});

// ---- DLV-01: delivery within 20 working days ----------------------------------------------------

test('DLV-01: delivery is due 20 working days after the agreeing reply, across National Day, and flagged once when missed', () => {
  const approvedAt = cst('2026-09-25T10:00:00');
  const h = approvedHistory(approvedAt);
  assert.equal(data(h, 'ShareRequestApproved')?.deliveryDueAt, endOf('2026-10-29'));
  spec.given(h).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-29T18:00:00') }).then([]);
  const flagged = spec.given(h).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-30T09:00:00') }).thenEvents();
  assert.deepEqual(types(flagged), ['DeliveryOverdue']);
  assert.equal(deliveryOverdue(stateOf([...h, ...flagged])), true);
  spec.given([...h, ...flagged]).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-30T09:00:00') }).then([]);
  const started = spec.given([...h, ...flagged]).when({ kind: 'StartDelivery', by: provider, shareMethod: null }, { at: cst('2026-10-30T10:00:00') }).thenEvents();
  assert.equal(data(started, 'ShareActivated')?.late, true);
  assert.equal(stateOf([...h, ...flagged, ...started]).status, 'ACTIVE');
});

test('DLV-01: delivery is reported by the provider or a platform operator, by the approved method', () => {
  spec.given(approvedHistory()).when({ kind: 'StartDelivery', by: requester, shareMethod: null }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DLV-01');
  spec.given(approvedHistory()).when({ kind: 'StartDelivery', by: provider, shareMethod: 'FILE' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'DLV-02', /shareMethod/);
  assert.equal(data(spec.given(approvedHistory()).when({ kind: 'StartDelivery', by: competent, shareMethod: 'API' }, { at }).thenEvents(), 'ShareActivated')?.late, false);
  spec.given(submittedHistory()).when({ kind: 'StartDelivery', by: provider, shareMethod: null }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'DLV-01');
});

// ---- Withdrawal and concurrency -----------------------------------------------------------------

test('the requester withdraws before the reply, never after', () => {
  spec.given(submittedHistory()).when({ kind: 'WithdrawRequest', by: provider, reason: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN');
  assert.deepEqual(spec.given(submittedHistory()).when({ kind: 'WithdrawRequest', by: requester, reason: 'no longer needed' }, { at }).thenEvents(), [
    { type: 'ShareRequestWithdrawn', data: { shareId: SHARE, withdrawnBy: requester.departmentId, previousStatus: 'SUBMITTED', reason: 'no longer needed' } },
  ]);
  spec.given(approvedHistory()).when({ kind: 'WithdrawRequest', by: requester, reason: '' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', undefined, /withdrawing/);
  // A reply after the withdrawal finds the request closed.
  spec.given(play([[{ kind: 'WithdrawRequest', by: requester, reason: '' }, at]], submittedHistory())).when(reply('APPROVE'), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'APR-01', /WITHDRAWN/);
});

// ---- DSP-01: the dispute ladder -----------------------------------------------------------------

test('DSP-01: a dispute follows a refusal, opened by the requester with grounds', () => {
  spec.given(submittedHistory()).when({ kind: 'OpenDispute', by: requester, grounds: 'x', crossLevel: false, authority: competent.departmentId }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'DSP-01');
  spec.given(refusedHistory()).when({ kind: 'OpenDispute', by: provider, grounds: 'x', crossLevel: false, authority: competent.departmentId }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  spec.given(refusedHistory()).when({ kind: 'OpenDispute', by: requester, grounds: '', crossLevel: false, authority: competent.departmentId }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'DSP-01', /grounds/);
});

test('DSP-01: same level: negotiation -> competent department coordination -> government decision, each step recorded', () => {
  const h = play(
    [
      [{ kind: 'OpenDispute', by: requester, grounds: 'the allowance law names citizen ids', crossLevel: false, authority: competent.departmentId }, at],
      [{ kind: 'EscalateDispute', by: requester, reason: 'negotiation failed' }, at],
      [{ kind: 'EscalateDispute', by: competent, reason: 'coordination failed' }, at],
    ],
    refusedHistory(),
  );
  assert.deepEqual(types(h).slice(-3), ['DisputeOpened', 'DisputeEscalated', 'DisputeEscalated']);
  assert.deepEqual(h.slice(-2).map((e) => e.type === 'DisputeEscalated' && [e.data.fromStage, e.data.toStage]), [['NEGOTIATION', 'COORDINATION'], ['COORDINATION', 'GOVERNMENT_DECISION']]);
  spec.given(h).when({ kind: 'EscalateDispute', by: requester, reason: 'again' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'DSP-01', /last step/);
  spec.given(h).when({ kind: 'ResolveDispute', by: requester, outcome: 'SHARE_GRANTED', decision: 'x', reference: 'x' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  spec.given(h).when({ kind: 'ResolveDispute', by: competent, outcome: 'SHARE_GRANTED', decision: 'share the ids', reference: '' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'DSP-01', /reference/);
  const decidedAt = cst('2026-09-25T10:00:00');
  const resolved = spec.given(h).when({ kind: 'ResolveDispute', by: competent, outcome: 'SHARE_GRANTED', decision: 'the State Council decided to share', reference: '国办函〔2026〕1号' }, { at: decidedAt }).thenEvents();
  assert.equal(data(resolved, 'DisputeResolved')?.stage, 'GOVERNMENT_DECISION');
  assert.equal(data(resolved, 'DisputeResolved')?.deliveryDueAt, endOf('2026-10-29'));
  assert.equal(stateOf([...h, ...resolved]).status, 'APPROVED');
});

test('DSP-01: cross-level disputes go from negotiation to the common superior authority (there is no same-level one) before the government decides', () => {
  const h = play(
    [
      [{ kind: 'OpenDispute', by: requester, grounds: 'g', crossLevel: true, authority: competent.departmentId }, at],
      [{ kind: 'EscalateDispute', by: provider, reason: 'no agreement' }, at],
    ],
    refusedHistory(),
  );
  assert.equal(stateOf(h).dispute?.stage, 'SUPERIOR_COORDINATION');
  const next = spec.given(h).when({ kind: 'EscalateDispute', by: competent, reason: 'no agreement' }, { at }).thenEvents();
  assert.equal(data(next, 'DisputeEscalated')?.toStage, 'GOVERNMENT_DECISION');
});

test('DSP-01: negotiation ends by agreement of the parties; a refusal upheld cannot be disputed again', () => {
  const opened = play([[{ kind: 'OpenDispute', by: requester, grounds: 'g', crossLevel: false, authority: competent.departmentId }, at]], refusedHistory());
  spec.given(opened).when({ kind: 'EscalateDispute', by: competent, reason: 'x' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  spec.given(opened).when({ kind: 'ResolveDispute', by: provider, outcome: 'REFUSAL_UPHELD', decision: 'x', reference: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  spec.given(opened).when({ kind: 'ResolveDispute', by: competent, outcome: 'SHARE_GRANTED', decision: 'x', reference: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  const granted = play([[{ kind: 'ResolveDispute', by: provider, outcome: 'SHARE_GRANTED', decision: 'we agree to share citizen ids', reference: '' }, at]], opened);
  assert.equal(stateOf(granted).status, 'APPROVED');
  const upheld = play([[{ kind: 'ResolveDispute', by: requester, outcome: 'REFUSAL_UPHELD', decision: 'we accept', reference: '' }, at]], opened);
  assert.equal(stateOf(upheld).status, 'REFUSED');
  spec.given(upheld).when({ kind: 'OpenDispute', by: requester, grounds: 'again', crossLevel: false, authority: competent.departmentId }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'DSP-01', /already disputed/);
});

// ---- USE-01: scope changes need the provider's consent ------------------------------------------

const scopeChange = (over = {}): ShareCommand => ({
  kind: 'RequestScopeChange', by: requester, entry: conditionalEntry(), reason: 'names are needed on the notices',
  change: { dataItems: ['citizen_id', 'name'], useScenario: 'allowance notices', useScope: 'civil affairs case officers', periodUntil: '2027-08-31', thirdParties: [] }, ...over,
});

test("USE-01: a wider scope takes effect only with the provider's consent", () => {
  const asked = play([[scopeChange(), at]], activeHistory());
  assert.deepEqual(stateOf(asked).terms?.dataItems, ['citizen_id'], 'nothing changes while the change waits');
  spec.given(asked).when({ kind: 'DecideScopeChange', by: requester, approve: true, headApprover: 'Director Zhao', reason: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'USE-01');
  spec.given(asked).when({ kind: 'DecideScopeChange', by: competent, approve: true, headApprover: 'x', reason: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'USE-01');
  spec.given(asked).when(scopeChange(), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'USE-01', /already waiting/);
  const approved = play([[{ kind: 'DecideScopeChange', by: provider, approve: true, headApprover: 'Director Wang', reason: '' }, at]], asked);
  assert.deepEqual(stateOf(approved).terms?.dataItems, ['citizen_id', 'name']);
  const refused = play([[{ kind: 'DecideScopeChange', by: provider, approve: false, headApprover: '', reason: 'names are not needed' }, at]], asked);
  assert.deepEqual(stateOf(refused).terms?.dataItems, ['citizen_id']);
});

test('USE-01: a scope change stays within the entry, names any third party, and changes something', () => {
  spec.given(activeHistory()).when(scopeChange({ change: { dataItems: ['salary'], useScenario: 'x', useScope: 'y', periodUntil: '2027-08-31', thirdParties: [] } }), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'USE-01', /change\.dataItems\[0\]: entry entry-1 \(version 1\) has no data item 'salary'/);
  spec.given(activeHistory()).when(scopeChange({ change: { dataItems: ['citizen_id'], useScenario: 'x', useScope: 'y', periodUntil: '2027-08-31', thirdParties: [' '] } }), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'USE-01', /change\.thirdParties\[0\]/);
  const same = stateOf(activeHistory()).terms!;
  spec.given(activeHistory()).when(scopeChange({ change: { ...same } }), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'USE-01', /nothing would change/);
  spec.given(approvedHistory()).when(scopeChange(), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'USE-01');
});

// ---- SUS-01: suspension for misuse ------------------------------------------------------------

const suspend = (by = competent, days = 5): ShareCommand => ({ kind: 'SuspendShare', by, misuse: 'THIRD_PARTY', findings: 'data passed to a contractor', rectificationWorkingDays: days });

test('SUS-01: the competent department or the provider suspends for misuse with a rectification deadline in working days', () => {
  spec.given(activeHistory()).when(suspend(requester), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'SUS-01');
  spec.given(activeHistory()).when(suspend(foreignCompetent), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'SUS-01');
  spec.given(activeHistory()).when(suspend(competent, 0), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'SUS-01', /rectificationWorkingDays/);
  const ev = spec.given(activeHistory()).when(suspend(provider), { at: cst('2026-09-28T10:00:00') }).thenEvents();
  // 09-29, 09-30, 10-08, 10-09, Saturday 10-10 (make-up day)
  assert.equal(data(ev, 'ShareSuspended')?.rectificationDueAt, endOf('2026-10-10'));
  assert.equal(stateOf([...activeHistory(), ...ev]).status, 'SUSPENDED');
});

test('SUS-01: sharing resumes only after the requester reports its rectification', () => {
  const h = play([[suspend(), at]], activeHistory());
  spec.given(h).when({ kind: 'ResumeShare', by: competent, note: '' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'SUS-01', /reported its rectification/);
  spec.given(h).when({ kind: 'ReportRectification', by: provider, description: 'x' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'SUS-01');
  const resumed = play([[{ kind: 'ReportRectification', by: requester, description: 'contractor access revoked' }, at], [{ kind: 'ResumeShare', by: provider, note: 'accepted' }, at]], h);
  assert.equal(stateOf(resumed).status, 'ACTIVE');
});

test('SUS-01: termination follows a refused (deadline passed) or inadequate rectification, never before the deadline', () => {
  const suspendedAt = cst('2026-09-28T10:00:00');
  const h = play([[suspend(competent, 5), suspendedAt]], activeHistory());
  spec.given(h).when({ kind: 'TerminateShare', by: competent, reason: 'x' }, { at: cst('2026-10-10T12:00:00') }).thenThrows('GOV_ERR_RULE_VIOLATED', 'SUS-01', /has until/);
  const refused = spec.given(h).when({ kind: 'TerminateShare', by: competent, reason: 'no rectification' }, { at: cst('2026-10-11T09:00:00') }).thenEvents();
  assert.equal(data(refused, 'ShareTerminated')?.cause, 'RECTIFICATION_REFUSED');
  const reported = play([[{ kind: 'ReportRectification', by: requester, description: 'we told the contractor' }, suspendedAt]], h);
  const inadequate = spec.given(reported).when({ kind: 'TerminateShare', by: provider, reason: 'the contractor keeps a copy' }, { at: suspendedAt }).thenEvents();
  assert.equal(data(inadequate, 'ShareTerminated')?.cause, 'RECTIFICATION_INADEQUATE');
  spec.given(activeHistory()).when({ kind: 'TerminateShare', by: competent, reason: 'x' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'SUS-01', /suspended with a rectification deadline/);
});

// ---- SUS-02, REC-05: provider ends or changes a service ---------------------------------------

test('SUS-02: a provider cannot simply terminate an active share: reason, negotiation, filing', () => {
  spec.given(activeHistory()).when({ kind: 'TerminateShare', by: provider, reason: 'system retired' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'SUS-02', /service-changes/);
  spec.given(activeHistory()).when({ kind: 'ProposeServiceChange', by: provider, change: 'TERMINATE', reason: ' ', description: '' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'SUS-02', /reason/);
  spec.given(activeHistory()).when({ kind: 'ProposeServiceChange', by: requester, change: 'TERMINATE', reason: 'x', description: '' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'SUS-02');
  const proposed = play([[{ kind: 'ProposeServiceChange', by: provider, change: 'TERMINATE', reason: 'the source system is retired by law', description: '' }, at]], activeHistory());
  spec.given(proposed).when({ kind: 'RecordServiceChangeFiling', by: competent, reference: 'BA-2026-7' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'SUS-02', /negotiates with the requester before/);
  spec.given(proposed).when({ kind: 'RecordServiceChangeNegotiation', by: auditor, requesterAgrees: true, notes: 'x' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'SUS-02');
  assert.equal(stateOf(proposed).status, 'ACTIVE', 'the share runs until the change is filed');
});

test('REC-05: the filing with the competent department is recorded and only then does the termination take effect', () => {
  const negotiated = play(
    [[{ kind: 'ProposeServiceChange', by: provider, change: 'TERMINATE', reason: 'the source system is retired by law', description: '' }, at], [{ kind: 'RecordServiceChangeNegotiation', by: requester, requesterAgrees: true, notes: 'moving to the new registry' }, at]],
    activeHistory(),
  );
  spec.given(negotiated).when({ kind: 'RecordServiceChangeFiling', by: provider, reference: 'BA-2026-7' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'REC-05');
  spec.given(negotiated).when({ kind: 'RecordServiceChangeFiling', by: competent, reference: '' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REC-05', /reference/);
  const filed = spec.given(negotiated).when({ kind: 'RecordServiceChangeFiling', by: competent, reference: 'BA-2026-7' }, { at }).thenEvents();
  assert.deepEqual(filed, [
    { type: 'ServiceChangeFiled', data: { shareId: SHARE, filedBy: provider.departmentId, receivedBy: competent.departmentId, kind: 'TERMINATE', reference: 'BA-2026-7', reason: 'the source system is retired by law', description: '' } },
    { type: 'ShareTerminated', data: { shareId: SHARE, terminatedBy: provider.departmentId, cause: 'PROVIDER_TERMINATION', reason: 'the source system is retired by law' } },
  ]);
  const change = play(
    [[{ kind: 'ProposeServiceChange', by: provider, change: 'CHANGE', reason: 'new interface standard', description: 'API v2' }, at], [{ kind: 'RecordServiceChangeNegotiation', by: provider, requesterAgrees: false, notes: 'requester objects' }, at], [{ kind: 'RecordServiceChangeFiling', by: competent, reference: 'BA-2026-8' }, at]],
    activeHistory(),
  );
  assert.equal(stateOf(change).status, 'ACTIVE');
  assert.equal(stateOf(change).serviceChange, null);
});

// ---- REC-01, USE-02: usage records, end of use, disposal ----------------------------------------

test('REC-01: the requester records use process, outcomes and storage', () => {
  spec.given(activeHistory()).when({ kind: 'RecordUsage', by: requester, process: '', outcomes: '', storage: 'x' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REC-01', /process.*outcomes/);
  spec.given(activeHistory()).when({ kind: 'RecordUsage', by: provider, process: 'x', outcomes: 'y', storage: 'z' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'REC-01');
  spec.given(approvedHistory()).when({ kind: 'RecordUsage', by: requester, process: 'x', outcomes: 'y', storage: 'z' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'REC-01');
  const h = play([[{ kind: 'RecordUsage', by: requester, process: '1,200 eligibility checks', outcomes: '37 fraudulent claims stopped', storage: 'encrypted case database, 3 officers' }, at]], activeHistory());
  assert.equal(stateOf(h).usageRecords, 1);
});

test('USE-02: at the end of purpose the requester confirms disposal as the provider requires', () => {
  spec.given(activeHistory()).when({ kind: 'ConfirmDisposal', by: requester, method: 'deleted', reference: 'D-1' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'USE-02');
  const ended = play([[{ kind: 'EndUse', by: requester, reason: 'PURPOSE_ACHIEVED', note: 'allowance review finished' }, at]], activeHistory());
  assert.equal(data(ended, 'ShareUseEnded')?.disposalRequirement, 'delete all copies and report');
  spec.given(ended).when({ kind: 'ConfirmDisposal', by: requester, method: '', reference: '' }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'USE-02', /method.*reference/);
  spec.given(ended).when({ kind: 'ConfirmDisposal', by: provider, method: 'x', reference: 'y' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'USE-02');
  const disposed = play([[{ kind: 'ConfirmDisposal', by: requester, method: 'secure deletion of all copies', reference: 'destruction record D-2026-3' }, at]], ended);
  assert.equal(stateOf(disposed).status, 'DISPOSED');
});

test('USE-02: the lapse of the period of use ends the use once (watcher) and the terminated share is disposed of too', () => {
  const h = play([[{ kind: 'DraftRequest', by: requester, shareId: SHARE, content: requestContent({ periodUntil: '2026-10-09' }), entry: conditionalEntry() }, at]]);
  const active = play(
    [[{ kind: 'ApproveInternally', by: requester, approver: 'Director Zhao' }, at], [{ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: conditionalEntry() }, at], [reply('APPROVE'), at], [{ kind: 'StartDelivery', by: provider, shareMethod: null }, at]],
    h,
  );
  spec.given(active).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-09T23:00:00') }).then([]);
  const ended = spec.given(active).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-10T00:00:01') }).thenEvents();
  assert.equal(data(ended, 'ShareUseEnded')?.reason, 'PERIOD_EXPIRED');
  spec.given([...active, ...ended]).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-12T00:00:01') }).then([]);
  const terminated = play([[suspend(), at], [{ kind: 'TerminateShare', by: competent, reason: 'x' }, cst('2026-12-01T09:00:00')]], activeHistory());
  assert.equal(stateOf(terminated).status, 'TERMINATED');
  assert.deepEqual(types(spec.given(terminated).when({ kind: 'ConfirmDisposal', by: requester, method: 'deleted', reference: 'D-9' }, { at: cst('2026-12-02T09:00:00') }).thenEvents()), ['DataDisposalConfirmed']);
});

test('commands on a request that does not exist are refused as not found', () => {
  spec.given([]).when({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: false, entry: conditionalEntry() }, { at, aggregateId: 'nope' }).thenThrows('GOV_ERR_NOT_FOUND', undefined, /share request nope not found/);
});
