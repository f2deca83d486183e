import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkingCalendar, chinaDate, legacyDeadline } from './calendar.ts';
import { loadYearSchedule } from './year-schedule.ts';

const cal = new WorkingCalendar();
/** An invented 2027 schedule (the State Council had not published 2027's when this was written). */
const schedule2027 = loadYearSchedule(new URL('./testdata/2027.test-schedule.json', import.meta.url).pathname);
const with2027 = new WorkingCalendar({ schedules: [schedule2027] });
const day = (iso: string) => chinaDate(new Date(iso));

test('weekends are off, weekdays are on', () => {
  assert.equal(cal.isWorkingDay('2026-11-20'), true); // Friday
  assert.equal(cal.isWorkingDay('2026-11-21'), false); // Saturday
});

test('the 2026 National Day week is off and its make-up Saturday is on', () => {
  for (const d of ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-07']) assert.equal(cal.isWorkingDay(d), false, d);
  assert.equal(cal.isWorkingDay('2026-10-10'), true, 'make-up working day (Saturday)');
  assert.equal(cal.isWorkingDay('2026-09-20'), true, 'make-up working day (Sunday)');
});

test('10 working days from 2026-09-29 cross National Day and end on 2026-10-19', () => {
  // holidays 1-7 Oct; Saturday 10 Oct is a make-up working day:
  // 09-30=1, 10-08=2, 10-09=3, 10-10=4, 10-12=5, 10-13=6, 10-14=7, 10-15=8, 10-16=9, 10-19=10
  const due = cal.deadline(new Date('2026-09-29T10:00:00+08:00'), 10);
  assert.equal(due.dueAt, '2026-10-19T15:59:59.999Z');
  assert.equal(due.provisional, false);
});

test('1 working day from the eve of National Day ends on 2026-10-08', () => {
  assert.equal(day(cal.deadline(new Date('2026-09-30T16:00:00+08:00'), 1).dueAt), '2026-10-08');
});

test('the China day is used, not the UTC day', () => {
  // 2026-09-30 23:30 CST is still 30 Sep in China although it is 15:30Z.
  assert.equal(chinaDate(new Date('2026-09-30T23:30:00+08:00')), '2026-09-30');
  assert.equal(chinaDate(new Date('2026-10-01T00:30:00+08:00')), '2026-10-01');
});

test('platform overrides beat the official calendar', () => {
  const local = new WorkingCalendar({ holidays: ['2026-11-20'], workdays: ['2026-10-02'] });
  assert.equal(local.isWorkingDay('2026-11-20'), false);
  assert.equal(local.isWorkingDay('2026-10-02'), true);
  assert.equal(day(local.deadline(new Date('2026-09-30T09:00:00+08:00'), 1).dueAt), '2026-10-02');
});

test('workingDaysBetween counts the days a deadline consumed', () => {
  assert.equal(cal.workingDaysBetween(new Date('2026-09-29T10:00:00+08:00'), new Date('2026-10-19T10:00:00+08:00')), 10);
  assert.equal(cal.workingDaysBetween(new Date('2026-10-19T10:00:00+08:00'), new Date('2026-09-29T10:00:00+08:00')), 0);
});

test('negative working days are refused', () => {
  assert.throws(() => cal.deadline(new Date(), -1), RangeError);
});

test('the calendar knows its official years: 2004-2026 shipped, 2027 only once its schedule is loaded', () => {
  assert.deepEqual(cal.officialYears(), Array.from({ length: 23 }, (_, i) => 2004 + i));
  assert.equal(cal.officialThrough(new Date('2026-12-02T09:00:00+08:00')), '2026-12-31');
  assert.equal(cal.officialDaysAhead(new Date('2026-12-02T09:00:00+08:00')), 29);
  assert.equal(with2027.officialThrough(new Date('2026-12-02T09:00:00+08:00')), '2027-12-31');
  assert.equal(cal.officialThrough(new Date('2027-01-04T09:00:00+08:00')), null);
  assert.equal(cal.officialDaysAhead(new Date('2027-01-04T09:00:00+08:00')), 0);
});

test('APR-02: a 10-working-day reply for a request submitted on 2026-12-18 skips New Year 2027 and is provisional until 2027 is loaded', () => {
  const submitted = new Date('2026-12-18T10:00:00+08:00');
  const before = cal.deadline(submitted, 10);
  // 21-25 and 28-31 December are 9 working days; 1 January 2027 (Friday) is New Year's Day.
  assert.equal(day(before.dueAt), '2027-01-04');
  assert.equal(before.provisional, true);
  const after = with2027.deadline(submitted, 10);
  assert.deepEqual(after, { ...before, provisional: false });
  assert.deepEqual(with2027.recount(before), after, 'loading 2027 recounts it once');
  assert.equal(with2027.recount(after), null, 'and not again');
});

test('DLV-01: a 20-working-day delivery after an approval on 2026-12-04 skips New Year 2027 and is provisional until 2027 is loaded', () => {
  const approved = new Date('2026-12-04T15:00:00+08:00');
  const before = cal.deadline(approved, 20);
  assert.equal(day(before.dueAt), '2027-01-04');
  assert.equal(before.provisional, true);
  assert.equal(with2027.deadline(approved, 20).provisional, false);
});

test('APR-02: a deadline across the 2027 Spring Festival, before and after the schedule is loaded', () => {
  const submitted = new Date('2027-02-03T11:00:00+08:00');
  // Provisional: eve 5 Feb, 6-8 Feb, substitutes 9-10 Feb (6-7 Feb are a weekend) are off.
  const before = cal.deadline(submitted, 10);
  assert.equal(day(before.dueAt), '2027-02-23');
  assert.equal(before.provisional, true);
  assert.equal(cal.isWorkingDay('2027-02-09'), false, 'substitute day off for 初一 on a Saturday');
  assert.equal(cal.isWorkingDay('2027-02-11'), true, 'no bridging day is guessed');
  // The (test) schedule: 5-13 Feb off, Saturday 20 Feb worked.
  const after = with2027.recount(before);
  assert.ok(after !== null);
  assert.equal(day(after.dueAt), '2027-02-24');
  assert.equal(after.provisional, false);
  assert.equal(with2027.recount(after), null);
});

test('APR-02, DLV-01: no deadline counts a day outside official coverage without being provisional', () => {
  const officialYears = new Set(cal.officialYears());
  let provisional = 0;
  for (let t = Date.parse('2026-10-01T02:00:00Z'); t < Date.parse('2028-01-31T02:00:00Z'); t += 86_400_000) {
    for (const n of [1, 2, 5, 10, 20, 30]) {
      const d = cal.deadline(new Date(t), n);
      const start = chinaDate(new Date(t));
      const due = day(d.dueAt);
      // Independently of the calendar: a deadline is official only when every day from the start to the due day is in a shipped year.
      const uncovered = !officialYears.has(Number(start.slice(0, 4)) + (start.endsWith('12-31') ? 1 : 0)) || !officialYears.has(Number(due.slice(0, 4)));
      assert.equal(d.provisional, uncovered, `${start} + ${n}: due ${due}`);
      if (d.provisional) provisional += 1;
    }
  }
  assert.ok(provisional > 0);
});

test('extending a deadline counts on from the deadline it extends', () => {
  const reply = cal.deadline(new Date('2026-09-29T10:00:00+08:00'), 10);
  const extended = cal.extend(reply, 5);
  assert.equal(extended.dueAt, cal.deadline(new Date(reply.dueAt), 5).dueAt);
  assert.equal(extended.workingDays, 15);
  assert.equal(extended.from, reply.from);
});

test('a deadline written before the calendar knew its coverage is read as provisional past 2026 and recounted on the holidays', () => {
  // The old calendar counted bare weekdays after 2026: 10 days from 2026-12-18 landed on New Year's Day.
  const old = legacyDeadline('2027-01-01T15:59:59.999Z', undefined, { from: '2026-12-18T02:00:00.000Z', workingDays: 10 });
  assert.equal(old.provisional, true);
  assert.equal(day(cal.recount(old)!.dueAt), '2027-01-04');
  assert.equal(legacyDeadline('2026-12-30T15:59:59.999Z', null, null).provisional, false);
  assert.deepEqual(legacyDeadline('2027-03-01T15:59:59.999Z', false, { from: '2027-02-01T00:00:00.000Z', workingDays: 20 }), { from: '2027-02-01T00:00:00.000Z', workingDays: 20, dueAt: '2027-03-01T15:59:59.999Z', provisional: false });
});

test('the calendar warns (for readiness and the metric) while its official coverage runs less than 60 days ahead', () => {
  const today = new Date('2026-12-02T09:00:00+08:00');
  const now = cal.coverage(today);
  assert.equal(now.daysAhead, 29);
  assert.match(now.warning ?? '', /end on 2026-12-31 \(29 days ahead\).*load the State Council's 2027 schedule/);
  assert.deepEqual(with2027.coverage(today), { officialThrough: '2027-12-31', daysAhead: 394, warning: null });
  assert.equal(cal.coverage(new Date('2026-11-01T09:00:00+08:00')).warning, null, '60 days ahead: no warning');
  assert.match(cal.coverage(new Date('2027-01-04T09:00:00+08:00')).warning ?? '', /no official holiday schedule for 2027: every deadline is provisional/);
});
