import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { GovError, type FieldViolation } from '../errors/errors.ts';
import { isWeekend, provisionalDaysOff, statutoryHolidays } from './statutory-holidays.ts';

/**
 * The official holiday schedule of one year: the days off and the weekend days worked in their
 * place, as the State Council's General Office publishes them each autumn (国务院办公厅关于XXXX年
 * 部分节假日安排的通知). The project ships the years the `chinese-days` package holds; an operator
 * loads a newer year as a file listed in the platform file (docs/operations.md#calendar), checked
 * first with `npm run calendar -- check <file>`.
 */
export interface YearSchedule {
  year: number;
  /** Where the dates come from: the notice's title and number, or the package that shipped them. */
  source: string;
  /** The day the notice was published (YYYY-MM-DD), when known. */
  published?: string;
  /** Days off (statutory holidays, substitutes and bridging days) as YYYY-MM-DD. */
  holidays: string[];
  /** Saturdays and Sundays worked in exchange for bridging days off (调休上班), as YYYY-MM-DD. */
  workdays: string[];
}

interface ChineseDays {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}
const require = createRequire(import.meta.url);
const chineseDaysVersion = (require('chinese-days/package.json') as { version: string }).version;

/** The schedules shipped with the project: every year `chinese-days` holds (2004-2026 in 1.5.7). */
export const shippedSchedules = (): YearSchedule[] => {
  const data = require('chinese-days/dist/chinese-days.json') as ChineseDays;
  const byYear = new Map<number, YearSchedule>();
  const yearOf = (date: string) => {
    const year = Number(date.slice(0, 4));
    let s = byYear.get(year);
    if (s === undefined) {
      s = { year, source: `State Council General Office notice for ${year}, as shipped in chinese-days ${chineseDaysVersion}`, holidays: [], workdays: [] };
      byYear.set(year, s);
    }
    return s;
  };
  for (const date of Object.keys(data.holidays)) yearOf(date).holidays.push(date);
  for (const date of Object.keys(data.workdays)) yearOf(date).workdays.push(date);
  return [...byYear.values()].map((s) => ({ ...s, holidays: s.holidays.sort(), workdays: s.workdays.sort() })).sort((a, b) => a.year - b.year);
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A real calendar date written YYYY-MM-DD (2027-02-30 is not one). */
export const isRealDate = (s: unknown): s is string =>
  typeof s === 'string' && DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

const KEYS = ['year', 'source', 'published', 'holidays', 'workdays'];
const MAX_DAYS = 60;

/**
 * Reads one year's schedule strictly, naming every problem: no unknown keys, real dates, each day
 * once, the year's dates (a New Year holiday may reach into the last days of December before it,
 * which the notice of the new year then lists), no day both off and worked, make-up working days
 * only on weekends, and every statutory holiday of the year among the days off.
 */
export const parseYearSchedule = (raw: unknown, source = 'year schedule'): YearSchedule => {
  const v: FieldViolation[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GovError('GOV_ERR_CONFIG_INVALID', `${source} is not a JSON object`, { violations: [{ field: '', description: 'a JSON object' }] });
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) v.push({ field: k, description: `unknown key (expected ${KEYS.join(', ')})` });
  const year = o.year;
  const validYear = typeof year === 'number' && Number.isInteger(year) && year >= 2000 && year <= 2099;
  if (!validYear) v.push({ field: 'year', description: 'an integer year, 2000-2099' });
  if (typeof o.source !== 'string' || o.source.trim() === '' || o.source.length > 500) v.push({ field: 'source', description: "the notice's title and number (1-500 characters)" });
  if (o.published !== undefined && !isRealDate(o.published)) v.push({ field: 'published', description: 'a real date, YYYY-MM-DD' });
  const dates = (field: 'holidays' | 'workdays'): string[] => {
    const list = o[field];
    if (!Array.isArray(list) || list.length > MAX_DAYS) {
      v.push({ field, description: `a list of at most ${MAX_DAYS} dates YYYY-MM-DD` });
      return [];
    }
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (!isRealDate(d)) v.push({ field: `${field}[${i}]`, description: `${JSON.stringify(d)} is not a real date YYYY-MM-DD` });
      else if (seen.has(d)) v.push({ field: `${field}[${i}]`, description: `${d} is listed twice` });
      else if (validYear && !(d.startsWith(`${year}-`) || (field === 'holidays' && d.startsWith(`${year - 1}-12-`) && d >= `${year - 1}-12-29`))) {
        v.push({ field: `${field}[${i}]`, description: `${d} is not in ${year}` });
      } else seen.add(d);
    });
    return [...seen].sort();
  };
  const holidays = dates('holidays');
  const workdays = dates('workdays');
  workdays.forEach((d) => {
    if (holidays.includes(d)) v.push({ field: 'workdays', description: `${d} is both a day off and a working day` });
    if (!isWeekend(d)) v.push({ field: 'workdays', description: `${d} is a weekday: a make-up working day is a Saturday or Sunday` });
  });
  if (validYear) {
    for (const h of statutoryHolidays(year)) {
      if (!holidays.includes(h.date)) v.push({ field: 'holidays', description: `${h.date}, ${h.name}, is a statutory holiday and must be a day off` });
    }
  }
  if (v.length > 0) throw new GovError('GOV_ERR_CONFIG_INVALID', `${source}: ${v.map((x) => `${x.field}: ${x.description}`).join('; ')}`, { violations: v });
  return { year: year as number, source: (o.source as string).trim(), ...(o.published === undefined ? {} : { published: o.published as string }), holidays, workdays };
};

export const loadYearSchedule = (path: string): YearSchedule => {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `${path}: ${(err as Error).message}`, { violations: [{ field: path, description: 'a readable JSON file' }] });
  }
  return parseYearSchedule(raw, path);
};

const weekdayName = (date: string) => ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(`${date}T00:00:00Z`).getUTCDay()];

/**
 * A schedule as an operator reads it before loading it: the blocks of days off with the holiday
 * each belongs to, the make-up working days, and how it differs from the provisional calendar
 * that deadlines in that year were computed on until now.
 */
export const describeSchedule = (s: YearSchedule): string => {
  const names = new Map(provisionalDaysOff(s.year).map((h) => [h.date, h.name]));
  const lines = [`${s.year}: ${s.source}${s.published === undefined ? '' : ` (published ${s.published})`}`, 'days off:'];
  for (const d of s.holidays) lines.push(`  ${d} ${weekdayName(d)}${names.has(d) ? `  ${names.get(d)}` : ''}`);
  lines.push('make-up working days:');
  for (const d of s.workdays) lines.push(`  ${d} ${weekdayName(d)}`);
  if (s.workdays.length === 0) lines.push('  (none)');
  const provisional = new Set(names.keys());
  const added = s.holidays.filter((d) => !provisional.has(d) && !isWeekend(d));
  const dropped = [...provisional].filter((d) => d.startsWith(`${s.year}-`) && !s.holidays.includes(d) && !isWeekend(d));
  lines.push(`against the provisional calendar: ${added.length} more weekday(s) off${added.length > 0 ? ` (${added.join(', ')})` : ''}, ${dropped.length} fewer${dropped.length > 0 ? ` (${dropped.join(', ')})` : ''}, ${s.workdays.length} weekend day(s) worked`);
  return lines.join('\n');
};
