import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestEvent } from '@govmesh/contracts/avro';
import { GovError, fold } from '@govmesh/backbone';
import { OTHER, REQUESTER, SHARE, T0, approvedShare, approvedShareEvents } from './delivery-fixtures.ts';
import { deliveryAccess, shareFold } from './share.ts';

const refusedWith = (fn: () => unknown, code: string, rule: string | undefined, message?: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GovError, String(err));
    assert.equal(err.code, code, err.message);
    if (rule !== undefined) assert.equal(err.rule, rule, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });

const later = (...events: RequestEvent[]) => fold(shareFold, [...approvedShareEvents(), ...events]);

test('USE-01: the exchange learns a share from the request events only: the approved items (not the asked ones), method, period, parties', () => {
  const s = fold(shareFold, approvedShareEvents());
  assert.deepEqual(s, approvedShare());
  assert.deepEqual(deliveryAccess(s, REQUESTER, 'API', T0), { items: ['citizen_id', 'name'] }, 'income was asked for but not approved: it never leaves');
});

test('USE-01: a scope change the provider approved replaces the items and the period', () => {
  const s = later({ type: 'ShareActivated', data: { shareId: SHARE, startedBy: 'x', shareMethod: 'API', deliveryDueAt: '', late: false } }, {
    type: 'ScopeChangeApproved',
    data: { shareId: SHARE, approvedBy: 'p', headApprover: 'h', change: { dataItems: ['name'], useScenario: 's', useScope: 's', periodUntil: '2026-12-31', thirdParties: [] } },
  });
  assert.deepEqual(s.approvedItems, ['name']);
  assert.equal(s.periodUntil, '2026-12-31');
  assert.deepEqual(deliveryAccess(s, REQUESTER, 'API', T0).items, ['name']);
});

test('USE-01: a share not (yet) approved delivers nothing: 403 naming its state', () => {
  const requested = fold(shareFold, approvedShareEvents().slice(0, 1));
  refusedWith(() => deliveryAccess(requested, REQUESTER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'USE-01', /is REQUESTED/);
  const refused = fold(shareFold, [...approvedShareEvents().slice(0, 1), { type: 'ShareRequestRefused', data: { shareId: SHARE, refusedBy: 'p', headApprover: 'h', reasons: [], replyDueAt: null, late: null } } as RequestEvent]);
  refusedWith(() => deliveryAccess(refused, REQUESTER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'USE-01', /is REFUSED/);
});

test('USE-01: outside its period of use (China dates, both days included) a share delivers nothing', () => {
  const s = approvedShare();
  assert.ok(deliveryAccess(s, REQUESTER, 'API', new Date('2026-09-01T00:00:00+08:00')));
  assert.ok(deliveryAccess(s, REQUESTER, 'API', new Date('2027-08-31T23:59:59+08:00')));
  refusedWith(() => deliveryAccess(s, REQUESTER, 'API', new Date('2026-08-31T23:59:59+08:00')), 'GOV_ERR_AUTH_FORBIDDEN', 'USE-01', /outside its period of use/);
  refusedWith(() => deliveryAccess(s, REQUESTER, 'API', new Date('2027-09-01T00:00:00+08:00')), 'GOV_ERR_AUTH_FORBIDDEN', 'USE-01', /outside its period of use/);
});

test('SUS-01: a suspended share is cut at once (403 naming SUSPENDED); resumed, it delivers again', () => {
  const activated = { type: 'ShareActivated', data: { shareId: SHARE, startedBy: 'x', shareMethod: 'API', deliveryDueAt: '', late: false } } as RequestEvent;
  const suspended = later(activated, { type: 'ShareSuspended', data: { shareId: SHARE } } as unknown as RequestEvent);
  refusedWith(() => deliveryAccess(suspended, REQUESTER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'SUS-01', /is SUSPENDED/);
  const resumed = later(activated, { type: 'ShareSuspended', data: { shareId: SHARE } } as unknown as RequestEvent, { type: 'ShareResumed', data: { shareId: SHARE, resumedBy: 'p', note: '' } });
  assert.equal(resumed.state, 'ACTIVE');
  assert.ok(deliveryAccess(resumed, REQUESTER, 'API', T0));
});

test('SUS-01, USE-02: a terminated or ended share delivers nothing, ever', () => {
  const terminated = later({ type: 'ShareTerminated', data: { shareId: SHARE, terminatedBy: 'p', cause: 'PROVIDER_TERMINATION', reason: 'r' } });
  refusedWith(() => deliveryAccess(terminated, REQUESTER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'SUS-01', /is TERMINATED/);
  const ended = later({ type: 'ShareUseEnded', data: { shareId: SHARE, endedBy: REQUESTER, reason: 'PURPOSE_ACHIEVED', note: '', disposalRequirement: '' } });
  refusedWith(() => deliveryAccess(ended, REQUESTER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'USE-02', /is ENDED/);
});

test("SUS-04: another department's share is refused (no third party), and an unknown share is not found", () => {
  refusedWith(() => deliveryAccess(approvedShare(), OTHER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'SUS-04');
  refusedWith(() => deliveryAccess(approvedShare(), approvedShare().provider, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'SUS-04', /requesting department/);
  refusedWith(() => deliveryAccess(null, REQUESTER, 'API', T0), 'GOV_ERR_NOT_FOUND', undefined);
});

test('DLV-02: a share is delivered by its approved method only', () => {
  refusedWith(() => deliveryAccess(approvedShare({ shareMethod: 'FILE' }), REQUESTER, 'API', T0), 'GOV_ERR_AUTH_FORBIDDEN', 'DLV-02', /approved for delivery by FILE/);
});
