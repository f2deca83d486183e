import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogEvent } from '@govmesh/contracts/avro';
import { WorkingCalendar, chinaDate } from '@govmesh/backbone';
import { calendarWith2027, deciderSpec } from '@govmesh/backbone/testing';
import { catalogEntryDecider, evolve, initialState, provisionalDeadlines } from './catalog-entry.ts';
import { competent, provider, publishedHistory } from './fixtures.ts';

/** Catalog deadlines past the calendar's official coverage (ADR 0008). */
const shipped = deciderSpec(catalogEntryDecider, { calendar: new WorkingCalendar() });
const loaded = deciderSpec(catalogEntryDecider, { calendar: calendarWith2027() });
const day = (iso: string) => chinaDate(new Date(iso));
const flag = { kind: 'FlagOverdue' } as const;

const updateStarted = (changedAt: Date) => {
  const history = [...publishedHistory(), ...shipped.given(publishedHistory()).when({ kind: 'StartUpdate', by: provider, trigger: 'LAW_CHANGE', changedAt, description: 'new personal information rules' }, { at: changedAt }).thenEvents()];
  return { history, started: history.at(-1) as Extract<CatalogEvent, { type: 'CatalogEntryUpdateStarted' }> };
};

test('CAT-08: an update started on 2026-12-21 is due on 2027-01-05 (New Year\'s Day skipped), provisional, and recounted once when 2027 is loaded', () => {
  const { history, started } = updateStarted(new Date('2026-12-21T10:00:00+08:00'));
  assert.equal(day(started.data.dueAt), '2027-01-05');
  assert.equal(started.data.dueAtProvisional, true);
  assert.deepEqual(provisionalDeadlines(history.reduce(evolve, initialState())), ['updateDueAt']);
  shipped.given(history).when(flag, { at: new Date('2026-12-22T09:00:00+08:00') }).then([]);
  const recounted = loaded.given(history).when(flag, { at: new Date('2026-12-22T09:00:00+08:00') }).thenEvents();
  assert.deepEqual(recounted, [{
    type: 'CatalogDeadlineRecomputed',
    data: { entryId: started.data.entryId, deadline: 'UPDATE', previousDueAt: started.data.dueAt, dueAt: started.data.dueAt, provisional: false, countedFrom: started.data.changedAt, workingDays: 10, calendar: '2004-2027' },
  }]);
  loaded.given([...history, ...recounted]).when(flag, { at: new Date('2026-12-23T09:00:00+08:00') }).then([]);
});

test('CAT-08: an extended update deadline across the 2027 Spring Festival is recounted on the loaded schedule, and is not flagged overdue before the recounted day', () => {
  const { history } = updateStarted(new Date('2027-01-25T10:00:00+08:00'));
  const asked = [...history, ...shipped.given(history).when({ kind: 'RequestUpdateExtension', by: provider, reason: 'waiting for implementing rules' }, { at: new Date('2027-01-26T10:00:00+08:00') }).thenEvents()];
  const granted = shipped.given(asked).when({ kind: 'DecideUpdateExtension', by: competent, grant: true, reason: '' }, { at: new Date('2027-01-27T10:00:00+08:00') }).thenEvents();
  const g = granted[0] as Extract<CatalogEvent, { type: 'CatalogUpdateExtensionGranted' }>;
  // Provisional: 15 working days after 25 January, 5-10 Feb off: Friday 19 February.
  assert.equal(day(g.data.dueAt), '2027-02-19');
  assert.equal(g.data.dueAtProvisional, true);
  const at = new Date('2027-02-20T12:00:00+08:00');
  assert.deepEqual(shipped.given([...asked, ...granted]).when(flag, { at }).thenEvents().map((e) => e.type), ['CatalogUpdateOverdue']);
  // The (test) schedule: 5-13 Feb off, Sunday 31 Jan and Saturday 20 Feb worked: the 15th working day is Saturday 20 February.
  const events = loaded.given([...asked, ...granted]).when(flag, { at }).thenEvents();
  assert.deepEqual(events.map((e) => e.type), ['CatalogDeadlineRecomputed']);
  const r = events[0] as Extract<CatalogEvent, { type: 'CatalogDeadlineRecomputed' }>;
  assert.equal(day(r.data.dueAt), '2027-02-20');
  assert.equal(r.data.workingDays, 15);
});
