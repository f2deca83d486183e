import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestEvent } from '@govmesh/contracts/avro';
import { deciderSpec } from '@govmesh/backbone/testing';
import type { CatalogSnapshot, PublishedVersion } from './content.ts';
import { replyOverdue, shareRequestDecider, type Actor, type ShareCommand } from './share-request.ts';
import {
  SHARE, T0, competent, conditionalEntry, consentedHistory, play, provider, refusedHistory, requestContent, requester, stateOf, submittedHistory, unconditionalEntry,
} from './fixtures.ts';

/**
 * The ways around the rules: an older catalog version, a catalog change after the draft, a late
 * reply or notice, added conditions, a dispute step taken by the wrong authority.
 */
const spec = deciderSpec(shareRequestDecider);
const at = T0;
const cst = (s: string) => new Date(`${s}+08:00`);
const endOf = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();
const types = (events: RequestEvent[]) => events.map((e) => e.type);
type DataOf = { [E in RequestEvent as E['type']]: E['data'] };
const data = <T extends keyof DataOf>(events: RequestEvent[], type: T): DataOf[T] | undefined => events.find((e) => e.type === type)?.data as unknown as DataOf[T] | undefined;

const reply = (decision: 'APPROVE' | 'REFUSE', over: Partial<Extract<ShareCommand, { kind: 'ReplyToRequest' }>> = {}): ShareCommand => ({
  kind: 'ReplyToRequest', by: provider, decision, headApprover: 'Director Wang', conditions: '', disposalRequirement: '',
  reasons: decision === 'REFUSE' ? [{ ground: 'OUTSIDE_REQUESTER_DUTIES', detail: 'not a civil affairs duty' }] : [], ...over,
});

// ---- CAT-04 / CAT-05: a request is judged against the entry's current published version ---------

const v = (version: number, shareAttribute: PublishedVersion['shareAttribute'], shareMethods: PublishedVersion['shareMethods'] = shareAttribute === 'NOT_SHARED' ? [] : ['API']): PublishedVersion =>
  ({ version, shareAttribute, shareMethods, dataItems: ['citizen_id', 'name'] });

/** The view's answer for "version 1 of the entry" once version 2 is the current one. */
const askedForV1 = (v1: PublishedVersion, v2: PublishedVersion): CatalogSnapshot => conditionalEntry({ latestVersion: 2, version: v1, current: v2 });
/** The view's answer for "the entry" (version 0 = the current one). */
const currentIs = (cur: PublishedVersion): CatalogSnapshot => conditionalEntry({ latestVersion: cur.version, version: cur, current: cur });

const draft = (entry: CatalogSnapshot, entryVersion: number): ShareCommand => ({ kind: 'DraftRequest', by: requester, shareId: SHARE, content: requestContent({ entryVersion }), entry });
const submit = (entry: CatalogSnapshot, autoGrant = false): ShareCommand => ({ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: autoGrant, entry });
const consent: ShareCommand = { kind: 'ApproveInternally', by: requester, approver: 'Director Zhao' };

test('CAT-04: a request naming an older version is refused once a later version made the entry not shared', () => {
  spec.given([]).when(draft(askedForV1(v(1, 'CONDITIONAL'), v(2, 'NOT_SHARED')), 1), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-04', /not shared/);
  // The same through a revision of an existing draft.
  const drafted = play([[draft(currentIs(v(1, 'CONDITIONAL')), 0), at]]);
  spec.given(drafted).when({ kind: 'ReviseRequest', by: requester, content: requestContent({ entryVersion: 1 }), entry: askedForV1(v(1, 'CONDITIONAL'), v(2, 'NOT_SHARED')) }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-04', /not shared/);
});

test("CAT-05: naming an older version does not pick its share attribute, nor with it the reply clock or the auto-grant", () => {
  // v1 was unconditional (1 working day, auto-grant); v2, the current version, is conditional.
  const h = play([[draft(askedForV1(v(1, 'UNCONDITIONAL'), v(2, 'CONDITIONAL')), 1), at], [consent, at]]);
  assert.equal(stateOf(h).shareAttribute, 'CONDITIONAL', 'judged against version 2');
  assert.equal(stateOf(h).content?.entryVersion, 2, 'the request records the version it was judged against');
  const ev = spec.given(h).when(submit(currentIs(v(2, 'CONDITIONAL')), true), { at }).thenEvents();
  assert.deepEqual(types(ev), ['ShareRequestSubmitted'], 'no automatic grant of conditional data');
  assert.equal(data(ev, 'ShareRequestSubmitted')?.replyWorkingDays, 10);
  // The other way round the requester gets the current, unconditional terms.
  assert.equal(stateOf(play([[draft(askedForV1(v(1, 'CONDITIONAL'), v(2, 'UNCONDITIONAL')), 1), at]])).shareAttribute, 'UNCONDITIONAL');
  // A version never published stays refused.
  spec.given([]).when(draft(conditionalEntry({ latestVersion: 2, version: null, current: v(2, 'CONDITIONAL') }), 3), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /version 3/);
});

test('CAT-04: a catalog change between the draft and the submission is judged at submission', () => {
  const consented = consentedHistory(conditionalEntry());
  // Not shared any more: the request does not reach the provider.
  spec.given(consented).when(submit(currentIs(v(2, 'NOT_SHARED'))), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-04', /not shared/);
  // Another share attribute: another clock and another auto-grant; the request is revised (and consented to) again first.
  spec.given(consented).when(submit(currentIs(v(2, 'UNCONDITIONAL')), true), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-05', /UNCONDITIONAL.*revise/);
  spec.given(consentedHistory(unconditionalEntry())).when(submit(currentIs(v(2, 'CONDITIONAL')), true), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-05', /CONDITIONAL.*revise/);
  // An item or a method dropped by the new version.
  spec.given(consented).when(submit(conditionalEntry({ latestVersion: 2, version: { ...v(2, 'CONDITIONAL'), dataItems: ['name'] }, current: { ...v(2, 'CONDITIONAL'), dataItems: ['name'] } })), { at })
    .thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /citizen_id/);
  // Unknown to the view: refused, not waved through.
  spec.given(consented).when(submit(null as unknown as CatalogSnapshot), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /not in the platform catalog/);
  // A new version with the same terms changes nothing.
  assert.deepEqual(types(spec.given(consented).when(submit(currentIs({ ...v(2, 'CONDITIONAL'), shareMethods: ['API', 'BATCH'] })), { at }).thenEvents()), ['ShareRequestSubmitted']);
});

test('CAT-04: the resubmission after a missing-materials notice is judged against the current version too', () => {
  const noticed = play([[{ kind: 'NotifyMissingMaterials', by: provider, items: [{ name: 'case list', description: '' }] }, at]], submittedHistory());
  const resubmit = (entry: CatalogSnapshot): ShareCommand => ({ kind: 'ResubmitRequest', by: requester, supplied: [{ name: 'case list', reference: 'DOC-1' }], autoGrantUnconditional: true, entry });
  spec.given(noticed).when(resubmit(currentIs(v(2, 'NOT_SHARED'))), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-04', /not shared/);
  spec.given(noticed).when(resubmit(currentIs(v(2, 'UNCONDITIONAL'))), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-05', /revise/);
});

// ---- CAT-05: no conditions added to unconditional data in the reply ----------------------------

test('CAT-05: a provider approving unconditional data adds no conditions of its own', () => {
  const h = submittedHistory(unconditionalEntry());
  spec.given(h).when(reply('APPROVE', { conditions: 'only for cases opened after 2026-10-01' }), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-05', /conditions/);
  // Blank is no condition.
  assert.equal(data(spec.given(h).when(reply('APPROVE', { conditions: '  ' }), { at }).thenEvents(), 'ShareRequestApproved')?.conditions, '');
  // Conditional data keeps its conditions.
  assert.equal(data(spec.given(submittedHistory()).when(reply('APPROVE', { conditions: 'case checks only' }), { at }).thenEvents(), 'ShareRequestApproved')?.conditions, 'case checks only');
});

// ---- APR-06: a late reply is recorded as late, whatever the watcher did ------------------------

test('APR-06: an approval or refusal says whether it met the reply deadline, whether or not the watcher flagged it first', () => {
  const submittedAt = cst('2026-09-30T15:00:00'); // conditional: due at the end of 20 Oct 2026
  const h = submittedHistory(conditionalEntry(), submittedAt);
  for (const decision of ['APPROVE', 'REFUSE'] as const) {
    const type = decision === 'APPROVE' ? 'ShareRequestApproved' : 'ShareRequestRefused';
    const onTime = spec.given(h).when(reply(decision), { at: cst('2026-10-20T23:00:00') }).thenEvents();
    assert.equal(data(onTime, type)?.late, false, `${decision} on the last day`);
    assert.equal(data(onTime, type)?.replyDueAt, endOf('2026-10-20'));
    // No watcher ran: still late.
    const late = spec.given(h).when(reply(decision), { at: cst('2026-10-21T09:00:00') }).thenEvents();
    assert.equal(data(late, type)?.late, true, `${decision} a day late, unflagged`);
    assert.equal(data(late, type)?.replyDueAt, endOf('2026-10-20'));
    // The watcher ran first: late all the same.
    const flagged = play([[{ kind: 'CheckDeadlines' }, cst('2026-10-21T08:00:00')]], h);
    assert.equal(data(spec.given(flagged).when(reply(decision), { at: cst('2026-10-21T09:00:00') }).thenEvents(), type)?.late, true);
  }
  // Within an extension the extended deadline counts.
  const extended = play([[{ kind: 'RequestReplyExtension', by: provider, workingDays: 5, reason: 'x' }, cst('2026-10-12T09:00:00')], [{ kind: 'DecideReplyExtension', by: competent, grant: true, reason: '' }, cst('2026-10-12T10:00:00')]], h);
  const inExtension = spec.given(extended).when(reply('APPROVE'), { at: cst('2026-10-26T09:00:00') }).thenEvents();
  assert.deepEqual([data(inExtension, 'ShareRequestApproved')?.late, data(inExtension, 'ShareRequestApproved')?.replyDueAt], [false, endOf('2026-10-27')]);
  // The platform's automatic grant is on time by construction.
  const auto = play([[submit(unconditionalEntry(), true), at]], consentedHistory(unconditionalEntry()));
  assert.equal(data(auto, 'ShareRequestApproved')?.late, false);
  assert.equal(data(auto, 'ShareRequestApproved')?.replyDueAt, endOf('2026-09-20'));
});

// ---- REQ-05 / APR-02: a late missing-materials notice does not reset the clock ------------------

test('REQ-05: a missing-materials notice after the reply deadline is recorded late and hands the provider no fresh reply period', () => {
  const submittedAt = cst('2026-09-30T15:00:00'); // due at the end of 20 Oct 2026
  const h = submittedHistory(conditionalEntry(), submittedAt);
  const items = [{ name: 'case list', description: 'the cases the data serves' }];
  const supplied = [{ name: 'case list', reference: 'DOC-2' }];
  // On time: recorded so, and the resubmission restarts the clock in full.
  const onTime = spec.given(h).when({ kind: 'NotifyMissingMaterials', by: provider, items }, { at: cst('2026-10-20T10:00:00') }).thenEvents();
  assert.deepEqual([data(onTime, 'MissingMaterialsNotified')?.late, data(onTime, 'MissingMaterialsNotified')?.replyDueAt], [false, endOf('2026-10-20')]);
  // Late (the watcher has not run): recorded late.
  const lateAt = cst('2026-10-22T10:00:00');
  const late = spec.given(h).when({ kind: 'NotifyMissingMaterials', by: provider, items }, { at: lateAt }).thenEvents();
  assert.deepEqual([data(late, 'MissingMaterialsNotified')?.late, data(late, 'MissingMaterialsNotified')?.replyDueAt], [true, endOf('2026-10-20')]);
  // The resubmission keeps the missed deadline: no fresh 10 working days.
  const resubmitted = play([[{ kind: 'ResubmitRequest', by: requester, supplied, autoGrantUnconditional: false, entry: conditionalEntry() }, cst('2026-10-23T10:00:00')]], [...h, ...late]);
  assert.equal(data(resubmitted, 'ShareRequestResubmitted')?.replyDueAt, endOf('2026-10-20'));
  assert.equal(stateOf(resubmitted).reply?.dueAt, endOf('2026-10-20'));
  // The reply that follows is late, and the watcher flags the missed deadline (once).
  assert.equal(data(spec.given(resubmitted).when(reply('APPROVE'), { at: cst('2026-10-23T11:00:00') }).thenEvents(), 'ShareRequestApproved')?.late, true);
  const flagged = play([[{ kind: 'CheckDeadlines' }, cst('2026-10-23T12:00:00')]], resubmitted);
  assert.deepEqual(types(flagged.slice(resubmitted.length)), ['ReplyOverdue']);
  assert.equal(replyOverdue(stateOf(flagged)), true);
  spec.given(flagged).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-23T13:00:00') }).then([]);
  // Flagged before the late notice: not flagged again after the resubmission.
  const flaggedFirst = play([[{ kind: 'CheckDeadlines' }, cst('2026-10-21T09:00:00')], [{ kind: 'NotifyMissingMaterials', by: provider, items }, lateAt], [{ kind: 'ResubmitRequest', by: requester, supplied, autoGrantUnconditional: false, entry: conditionalEntry() }, cst('2026-10-23T10:00:00')]], h);
  spec.given(flaggedFirst).when({ kind: 'CheckDeadlines' }, { at: cst('2026-10-23T12:00:00') }).then([]);
  assert.equal(replyOverdue(stateOf(flaggedFirst)), true);
});

// ---- DSP-01: who decides at each step of the dispute ladder ------------------------------------

/** Another competent department of the same platform: the Hebei provincial data bureau. */
const hebeiBureau: Actor = { departmentId: 'region-130000-data-bureau', roles: ['competent'], platform: 'national' };
const open = (authority: string | null, crossLevel: boolean): ShareCommand => ({ kind: 'OpenDispute', by: requester, grounds: 'the allowance law names citizen ids', crossLevel, authority });
const escalate = (by: Actor): ShareCommand => ({ kind: 'EscalateDispute', by, reason: 'no agreement' });
const resolve = (by: Actor, over: Partial<Extract<ShareCommand, { kind: 'ResolveDispute' }>> = {}): ShareCommand =>
  ({ kind: 'ResolveDispute', by, outcome: 'SHARE_GRANTED', decision: 'share the ids', reference: '协调〔2026〕7号', ...over });

test('DSP-01: same level: the same-level competent authority coordinates and records the government decision; another competent department may not', () => {
  const opened = play([[open(competent.departmentId, false), at]], refusedHistory());
  assert.equal(data(opened, 'DisputeOpened')?.authority, competent.departmentId);
  const coordination = play([[escalate(requester), at]], opened);
  assert.deepEqual([data(coordination.slice(opened.length), 'DisputeEscalated')?.toStage, data(coordination.slice(opened.length), 'DisputeEscalated')?.authority], ['COORDINATION', competent.departmentId]);
  // A competent department of the same platform that is not the coordinating authority.
  spec.given(coordination).when(resolve(hebeiBureau), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01', /dept-data-bureau/);
  spec.given(coordination).when(escalate(hebeiBureau), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  const coordinated = spec.given(coordination).when(resolve(competent), { at }).thenEvents();
  assert.deepEqual([data(coordinated, 'DisputeResolved')?.resolvedBy, data(coordinated, 'DisputeResolved')?.decidedBy], [competent.departmentId, competent.departmentId]);
  // The government decision: recorded by the same authority, decided by the people's government at its level.
  const government = play([[escalate(competent), at]], coordination);
  assert.equal(data(government.slice(coordination.length), 'DisputeEscalated')?.toStage, 'GOVERNMENT_DECISION');
  spec.given(government).when(resolve(hebeiBureau), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  const decided = spec.given(government).when(resolve(competent), { at }).thenEvents();
  assert.deepEqual([data(decided, 'DisputeResolved')?.stage, data(decided, 'DisputeResolved')?.resolvedBy, data(decided, 'DisputeResolved')?.decidedBy], ['GOVERNMENT_DECISION', competent.departmentId, `government:${competent.departmentId}`]);
});

test('DSP-01: cross-level or cross-region: the common superior authority alone coordinates and records the government decision, not the platform competent department', () => {
  const opened = play([[open(hebeiBureau.departmentId, true), at]], refusedHistory());
  // From negotiation the dispute goes straight to the common superior authority.
  const superior = play([[escalate(provider), at]], opened);
  const esc = data(superior.slice(opened.length), 'DisputeEscalated');
  assert.deepEqual([esc?.fromStage, esc?.toStage, esc?.authority], ['NEGOTIATION', 'SUPERIOR_COORDINATION', hebeiBureau.departmentId]);
  // The platform's own competent department is the wrong party here.
  spec.given(superior).when(resolve(competent), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01', /region-130000-data-bureau/);
  spec.given(superior).when(escalate(competent), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  const government = play([[escalate(hebeiBureau), at]], superior);
  assert.deepEqual(types(government.slice(superior.length)), ['DisputeEscalated']);
  assert.equal(stateOf(government).dispute?.stage, 'GOVERNMENT_DECISION');
  spec.given(government).when(resolve(competent), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  const decided = spec.given(government).when(resolve(hebeiBureau, { reference: '冀政函〔2026〕3号' }), { at }).thenEvents();
  assert.deepEqual([data(decided, 'DisputeResolved')?.resolvedBy, data(decided, 'DisputeResolved')?.decidedBy], [hebeiBureau.departmentId, `government:${hebeiBureau.departmentId}`]);
  assert.equal(stateOf([...government, ...decided]).status, 'APPROVED');
});

test('DSP-01: with no competent authority for the dispute in the directory, the parties negotiate but nobody coordinates on their behalf', () => {
  const opened = play([[open(null, true), at]], refusedHistory());
  spec.given(opened).when(escalate(requester), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'DSP-01', /no competent authority/);
  assert.equal(stateOf(play([[resolve(provider, { reference: '' }), at]], opened)).status, 'APPROVED', 'negotiation still ends by agreement');
});

test('DSP-01: in negotiation the parties decide; the decision records the party', () => {
  const opened = play([[open(competent.departmentId, false), at]], refusedHistory());
  spec.given(opened).when(resolve(competent), { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'DSP-01');
  assert.equal(data(spec.given(opened).when(resolve(provider, { reference: '' }), { at }).thenEvents(), 'DisputeResolved')?.decidedBy, provider.departmentId);
});

// ---- USE-01 / CAT-04: a wider use is judged against the current version too --------------------

test('CAT-04: a scope change is judged against the current version: not once the entry is not shared, and only with items it still has', () => {
  const active = play([[{ kind: 'StartDelivery', by: provider, shareMethod: null }, at]], play([[reply('APPROVE'), at]], submittedHistory()));
  const change = (entry: CatalogSnapshot, dataItems = ['citizen_id', 'name']): ShareCommand => ({
    kind: 'RequestScopeChange', by: requester, reason: 'also the names', entry,
    change: { dataItems, useScenario: 'allowance checks', useScope: 'case officers', periodUntil: '2027-08-31', thirdParties: [] },
  });
  // The share was granted on version 1 (conditional); version 2 is not shared.
  spec.given(active).when(change(askedForV1(v(1, 'CONDITIONAL'), v(2, 'NOT_SHARED'))), { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-04', /not shared/);
  // Version 2 dropped the item 'name': asking for it is refused, though version 1 had it.
  const dropped = { ...v(2, 'CONDITIONAL'), dataItems: ['citizen_id'] };
  spec.given(active).when(change(askedForV1(v(1, 'CONDITIONAL'), dropped)), { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'USE-01', /change\.dataItems\[1\]/);
  assert.deepEqual(types(spec.given(active).when(change(askedForV1(v(1, 'CONDITIONAL'), v(2, 'CONDITIONAL'))), { at }).thenEvents()), ['ScopeChangeRequested']);
});
