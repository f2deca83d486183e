import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestEvent } from '@govmesh/contracts/avro';
import { WorkingCalendar, chinaDate, fold } from '@govmesh/backbone';
import { calendarWith2027, deciderSpec } from '@govmesh/backbone/testing';
import { shareRequestDecider, provisionalDeadlines } from './share-request.ts';
import { approvedHistory, submittedHistory, conditionalEntry, stateOf } from './fixtures.ts';

/**
 * Deadlines past the calendar's official coverage (ADR 0008): the shipped calendar ends on
 * 2026-12-31; a deadline that counts a day of 2027 is provisional until 2027's schedule is loaded,
 * and then counted again, once, as an event.
 */
const shipped = deciderSpec(shareRequestDecider, { calendar: new WorkingCalendar() });
const loaded = deciderSpec(shareRequestDecider, { calendar: calendarWith2027() });
const check = { kind: 'CheckDeadlines' } as const;
const day = (iso: string) => chinaDate(new Date(iso));
type DataOf = { [E in RequestEvent as E['type']]: E['data'] };
const dataOf = <K extends keyof DataOf>(events: RequestEvent[], type: K): DataOf[K] | undefined => events.find((e) => e.type === type)?.data as DataOf[K] | undefined;

test('APR-02: a request submitted on 2026-12-18 is due 10 working days later on 2027-01-04 (not New Year\'s Day), marked provisional, and recounted once when 2027 is loaded', () => {
  const history = submittedHistory(conditionalEntry(), new Date('2026-12-18T10:00:00+08:00'));
  const submitted = dataOf(history, 'ShareRequestSubmitted')!;
  assert.equal(day(submitted.replyDueAt), '2027-01-04');
  assert.equal(submitted.replyDueAtProvisional, true);
  assert.deepEqual(provisionalDeadlines(stateOf(history)), ['replyDueAt']);
  // Nothing changes while 2027 is still unknown: no event.
  shipped.given(history).when(check, { at: new Date('2026-12-21T09:00:00+08:00') }).then([]);
  const recounted = loaded.given(history).when(check, { at: new Date('2026-12-21T09:00:00+08:00') }).thenEvents();
  assert.deepEqual(recounted, [{
    type: 'ShareDeadlineRecomputed',
    data: { shareId: submitted.shareId, deadline: 'REPLY', previousDueAt: submitted.replyDueAt, dueAt: submitted.replyDueAt, provisional: false, countedFrom: submitted.receivedAt, workingDays: 10, calendar: '2004-2027' },
  }]);
  assert.deepEqual(provisionalDeadlines(stateOf([...history, ...recounted])), []);
  loaded.given([...history, ...recounted]).when(check, { at: new Date('2026-12-22T09:00:00+08:00') }).then([]);
});

test('DLV-01: an approval on 2026-12-04 makes delivery due 20 working days later on 2027-01-04, provisional until 2027 is loaded', () => {
  const history = approvedHistory(new Date('2026-12-04T15:00:00+08:00'));
  const approved = dataOf(history, 'ShareRequestApproved')!;
  assert.equal(day(approved.deliveryDueAt), '2027-01-04');
  assert.equal(approved.deliveryDueAtProvisional, true);
  assert.equal(approved.approvedAt, new Date('2026-12-04T15:00:00+08:00').toISOString());
  const recounted = loaded.given(history).when(check, { at: new Date('2026-12-07T09:00:00+08:00') }).thenEvents();
  assert.equal(dataOf(recounted, 'ShareDeadlineRecomputed')?.deadline, 'DELIVERY');
  assert.equal(dataOf(recounted, 'ShareDeadlineRecomputed')?.provisional, false);
});

test('DLV-01: a delivery deadline across the 2027 Spring Festival moves to the official schedule once it is loaded, and is flagged overdue only against the moved deadline', () => {
  const approvedAt = new Date('2027-02-01T10:00:00+08:00');
  const history = approvedHistory(approvedAt);
  const approved = dataOf(history, 'ShareRequestApproved')!;
  // Provisional: 5-10 Feb off (eve, 初一-初三 and two substitutes): due Friday 5 March.
  assert.equal(day(approved.deliveryDueAt), '2027-03-05');
  assert.equal(approved.deliveryDueAtProvisional, true);
  // The (test) schedule: 5-13 Feb off, Saturday 20 Feb worked: due Monday 8 March.
  const at = new Date('2027-03-06T12:00:00+08:00');
  const events = loaded.given(history).when(check, { at }).thenEvents();
  assert.deepEqual(events.map((e) => e.type), ['ShareDeadlineRecomputed'], 'not overdue: the recounted deadline has not passed');
  assert.equal(day(dataOf(events, 'ShareDeadlineRecomputed')!.dueAt), '2027-03-08');
  // On the shipped calendar the same check finds it overdue against the provisional deadline.
  assert.deepEqual(shipped.given(history).when(check, { at }).thenEvents().map((e) => e.type), ['DeliveryOverdue']);
});

test('APR-02: a reply deadline recorded before the calendar knew its coverage (on New Year\'s Day 2027, counted on bare weekdays) is read as provisional and recounted', () => {
  const history = submittedHistory(conditionalEntry(), new Date('2026-12-18T10:00:00+08:00')).map((e): RequestEvent =>
    // As an event written by the old calendar decodes: the new field absent (null), the deadline on 1 January.
    e.type === 'ShareRequestSubmitted' ? { ...e, data: { ...e.data, replyDueAt: '2027-01-01T15:59:59.999Z', replyDueAtProvisional: null } } : e,
  );
  assert.deepEqual(provisionalDeadlines(fold(shareRequestDecider, history)), ['replyDueAt']);
  const recounted = shipped.given(history).when(check, { at: new Date('2026-12-21T09:00:00+08:00') }).thenEvents();
  assert.equal(day(dataOf(recounted, 'ShareDeadlineRecomputed')!.dueAt), '2027-01-04');
  assert.equal(dataOf(recounted, 'ShareDeadlineRecomputed')!.provisional, true);
});

test('APR-03: an extension of a provisional reply deadline counts on from it and stays provisional', () => {
  const history = submittedHistory(conditionalEntry(), new Date('2026-12-18T10:00:00+08:00'));
  const asked = [...history, ...shipped.given(history).when({ kind: 'RequestReplyExtension', by: { departmentId: 'dept-public-security', roles: ['provider'], platform: 'national' }, workingDays: 5, reason: 'large volume' }, { at: new Date('2026-12-21T09:00:00+08:00') }).thenEvents()];
  const granted = shipped.given(asked).when({ kind: 'DecideReplyExtension', by: { departmentId: 'dept-data-bureau', roles: ['competent'], platform: 'national' }, grant: true, reason: '' }, { at: new Date('2026-12-22T09:00:00+08:00') }).thenEvents();
  const extended = dataOf(granted, 'ReplyDeadlineExtended')!;
  assert.equal(day(extended.replyDueAt), '2027-01-11');
  assert.equal(extended.replyDueAtProvisional, true);
  assert.equal(stateOf([...asked, ...granted]).reply?.workingDays, 15);
});
