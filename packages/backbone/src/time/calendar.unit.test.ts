import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkingCalendar, chinaDate } from './calendar.ts';

const cal = new WorkingCalendar();

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
  const due = cal.addWorkingDays(new Date('2026-09-29T10:00:00+08:00'), 10);
  assert.equal(chinaDate(due), '2026-10-19');
  assert.equal(due.toISOString(), '2026-10-19T15:59:59.999Z');
});

test('1 working day from the eve of National Day ends on 2026-10-08', () => {
  assert.equal(chinaDate(cal.addWorkingDays(new Date('2026-09-30T16:00:00+08:00'), 1)), '2026-10-08');
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
  assert.equal(chinaDate(local.addWorkingDays(new Date('2026-09-30T09:00:00+08:00'), 1)), '2026-10-02');
});

test('workingDaysBetween counts the days a deadline consumed', () => {
  assert.equal(cal.workingDaysBetween(new Date('2026-09-29T10:00:00+08:00'), new Date('2026-10-19T10:00:00+08:00')), 10);
  assert.equal(cal.workingDaysBetween(new Date('2026-10-19T10:00:00+08:00'), new Date('2026-09-29T10:00:00+08:00')), 0);
});

test('negative working days are refused', () => {
  assert.throws(() => cal.addWorkingDays(new Date(), -1), RangeError);
});
