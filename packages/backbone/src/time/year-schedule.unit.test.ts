import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GovError } from '../errors/errors.ts';
import { describeSchedule, parseYearSchedule, shippedSchedules } from './year-schedule.ts';

const fixture = JSON.parse(readFileSync(new URL('./testdata/2027.test-schedule.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const problems = (raw: unknown): string[] => {
  try {
    parseYearSchedule(raw);
    return [];
  } catch (err) {
    assert.ok(err instanceof GovError);
    assert.equal(err.code, 'GOV_ERR_CONFIG_INVALID');
    return err.violations.map((v) => `${v.field}: ${v.description}`);
  }
};

test('a well-formed year schedule is read and shown with each day off named', () => {
  const s = parseYearSchedule(fixture);
  assert.equal(s.year, 2027);
  assert.equal(s.holidays.length, 29);
  const shown = describeSchedule(s);
  assert.match(shown, /2027-02-06 Sat {2}Spring Festival \(春节, 正月初一\)/);
  assert.match(shown, /2027-02-20 Sat/);
  assert.match(shown, /against the provisional calendar: 5 more weekday\(s\) off \(2027-02-11, 2027-02-12, 2027-05-05, 2027-10-06, 2027-10-07\), 0 fewer, 5 weekend day\(s\) worked/);
});

test('the shipped 2025 and 2026 schedules pass the same checks an operator file must pass', () => {
  for (const s of shippedSchedules().filter((x) => x.year >= 2025)) assert.deepEqual(problems(s), [], String(s.year));
});

test('a malformed schedule is refused, naming every problem', () => {
  const bad = {
    ...fixture,
    extra: true,
    holidays: [...(fixture.holidays as string[]).filter((d) => d !== '2027-06-09'), '2027-02-30', '2027-01-01', '2026-06-01'],
    workdays: ['2027-02-05', '2027-03-03', 20270314],
  };
  const p = problems(bad);
  const expected = [
    /^extra: unknown key/,
    /^holidays\[\d+\]: "2027-02-30" is not a real date/,
    /^holidays\[\d+\]: 2027-01-01 is listed twice/,
    /^holidays\[\d+\]: 2026-06-01 is not in 2027/,
    /^workdays\[2\]: 20270314 is not a real date/,
    /^workdays: 2027-02-05 is both a day off and a working day/,
    /^workdays: 2027-03-03 is a weekday/,
    /^holidays: 2027-06-09, Dragon Boat Festival \(端午节\), is a statutory holiday/,
  ];
  for (const e of expected) assert.ok(p.some((x) => e.test(x)), `${e} in ${p.join(' | ')}`);
  assert.deepEqual(problems('2027'), [': a JSON object']);
  assert.ok(problems({ ...fixture, year: 2027.5 }).some((x) => x.startsWith('year:')));
  assert.ok(problems({ ...fixture, source: '' }).some((x) => x.startsWith('source:')));
});
