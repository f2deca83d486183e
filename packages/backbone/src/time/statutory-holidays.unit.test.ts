import { test } from 'node:test';
import assert from 'node:assert/strict';
import { provisionalDaysOff, statutoryHolidays } from './statutory-holidays.ts';
import { WorkingCalendar } from './calendar.ts';

const official = new WorkingCalendar();

test('the lunar festivals and Qingming computed for 2004-2026 are days off in every State Council schedule of those years', () => {
  for (let year = 2004; year <= 2026; year += 1) {
    for (const h of statutoryHolidays(year)) {
      // Before 2025 the eve was not a statutory holiday, and before 2008 neither were Qingming, Dragon Boat or Mid-Autumn.
      if (year < 2025 && h.name.includes('eve')) continue;
      if (year < 2008 && /Qingming|Dragon|Mid-Autumn/.test(h.name)) continue;
      // From 2008 to 2024 Labour Day was one statutory day (2 May was off only when the notice said so).
      if (year < 2025 && h.date.endsWith('-05-02')) continue;
      assert.equal(official.isWorkingDay(h.date), false, `${year}: ${h.date} ${h.name} is off in the official schedule`);
    }
  }
});

test('the 2027 statutory holidays: Spring Festival on 6 February (ICU says 7), Qingming 5 April, Dragon Boat 9 June, Mid-Autumn 15 September', () => {
  const dates = statutoryHolidays(2027).map((h) => h.date);
  assert.deepEqual(dates, ['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-04-05', '2027-05-01', '2027-05-02', '2027-06-09', '2027-09-15', '2027-10-01', '2027-10-02', '2027-10-03']);
});

test('a statutory holiday on a weekend gets a substitute day off on the next free weekday', () => {
  const off = provisionalDaysOff(2027).map((h) => h.date);
  // 6-7 Feb (初一, 初二) are a weekend: 9-10 Feb; 1-2 May: 3-4 May; 2-3 Oct: 4-5 Oct.
  for (const d of ['2027-02-09', '2027-02-10', '2027-05-03', '2027-05-04', '2027-10-04', '2027-10-05']) assert.ok(off.includes(d), d);
  assert.equal(off.length, 19);
  // 2028: 1 January is a Saturday (substitute Monday 3 January); National Day's 1 October a Sunday (substitute 4 October).
  const off2028 = provisionalDaysOff(2028).map((h) => h.date);
  assert.ok(off2028.includes('2028-01-03') && off2028.includes('2028-10-04'));
});

test('years outside 1901-2099 are refused rather than guessed', () => {
  assert.throws(() => statutoryHolidays(2100), RangeError);
});
