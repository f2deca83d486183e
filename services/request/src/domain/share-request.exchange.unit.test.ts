import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestEvent } from '@govmesh/contracts/avro';
import { deciderSpec } from '@govmesh/backbone/testing';
import { shareRequestDecider } from './share-request.ts';
import { SHARE, T0, activeHistory, approvedHistory, play, provider, submittedHistory } from './fixtures.ts';

/** The exchange's first delivery activates the share (DLV-01): the normal path; StartDelivery stays the fallback. */
const spec = deciderSpec(shareRequestDecider);
const ctx = { at: T0, actor: 'system:national:exchange', aggregateId: SHARE };
const delivered = (startedAt: string, shareMethod: 'API' | 'FILE' = 'API') => ({ kind: 'RecordExchangeDelivery' as const, shareMethod, startedAt });

test("DLV-01: the exchange's first delivery activates an approved share, on time by the instant it started", () => {
  const h = approvedHistory();
  const due = (h.find((e) => e.type === 'ShareRequestApproved') as Extract<RequestEvent, { type: 'ShareRequestApproved' }>).data.deliveryDueAt;
  spec.given(h).when(delivered(T0.toISOString()), ctx).then([{ type: 'ShareActivated', data: { shareId: SHARE, startedBy: 'system:national:exchange', shareMethod: 'API', deliveryDueAt: due, late: false } }]);
});

test('DLV-01: a delivery that started after the 20 working days is late, even if it is recorded later still', () => {
  const events = spec.given(approvedHistory()).when(delivered('2026-11-30T02:00:00.000Z'), { ...ctx, at: new Date('2026-12-01T02:00:00Z') }).thenEvents();
  assert.equal((events[0] as Extract<RequestEvent, { type: 'ShareActivated' }>).data.late, true);
});

test('DLV-01: a share already active (reported by hand) or cut since is not changed by the report; one not approved neither', () => {
  spec.given(activeHistory()).when(delivered(T0.toISOString()), ctx).then([]);
  const suspended = play([[{ kind: 'SuspendShare', by: provider, misuse: 'BEYOND_SCOPE', findings: 'f', rectificationWorkingDays: 5 }, T0]], activeHistory());
  spec.given(suspended).when(delivered(T0.toISOString()), ctx).then([]);
  spec.given(submittedHistory()).when(delivered(T0.toISOString()), ctx).then([]);
});

test('DLV-02: a delivery by another method than the approved one is refused (to the dead-letter topic)', () => {
  spec.given(approvedHistory()).when(delivered(T0.toISOString(), 'FILE'), ctx).thenThrows('GOV_ERR_INPUT_INVALID', 'DLV-02');
});
