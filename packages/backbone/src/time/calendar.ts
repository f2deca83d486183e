import { createRequire } from 'node:module';

/**
 * Working days (工作日) on the official Chinese calendar: weekends and public holidays are off,
 * make-up working days (调休) are on. The data comes from the `chinese-days` package; a platform
 * may override single days (a local holiday, a late State Council notice).
 *
 * Deadlines are counted the way the regulation counts them: the day the clock starts does not
 * count; the deadline is the end (23:59:59.999, China Standard Time) of the Nth working day after.
 */
interface ChineseDays {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}
const require = createRequire(import.meta.url);
const official = require('chinese-days/dist/chinese-days.json') as ChineseDays;

export interface CalendarOverrides {
  /** Dates (YYYY-MM-DD) that are not working days on this platform. */
  holidays?: string[];
  /** Dates (YYYY-MM-DD) that are working days on this platform. */
  workdays?: string[];
}

const CST_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** The calendar date in China Standard Time of an instant, as YYYY-MM-DD. */
export const chinaDate = (instant: Date): string => new Date(instant.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);

const endOfChinaDay = (date: string): Date => new Date(Date.parse(`${date}T00:00:00.000Z`) - CST_OFFSET_MS + DAY_MS - 1);

const nextDate = (date: string, delta: number): string => new Date(Date.parse(`${date}T00:00:00.000Z`) + delta * DAY_MS).toISOString().slice(0, 10);

export class WorkingCalendar {
  readonly #holidays: Set<string>;
  readonly #workdays: Set<string>;

  constructor(overrides: CalendarOverrides = {}) {
    this.#holidays = new Set(overrides.holidays ?? []);
    this.#workdays = new Set(overrides.workdays ?? []);
  }

  isWorkingDay(date: string): boolean {
    if (this.#workdays.has(date)) return true;
    if (this.#holidays.has(date)) return false;
    if (date in official.workdays) return true;
    if (date in official.holidays) return false;
    const weekday = new Date(`${date}T00:00:00.000Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }

  /** The end of the Nth working day after the (China) day of `from`. */
  addWorkingDays(from: Date, days: number): Date {
    if (!Number.isInteger(days) || days < 0) throw new RangeError(`working days must be a non-negative integer, got ${days}`);
    let date = chinaDate(from);
    let left = days;
    while (left > 0) {
      date = nextDate(date, 1);
      if (this.isWorkingDay(date)) left -= 1;
    }
    return endOfChinaDay(date);
  }

  /** Working days strictly after `from`'s day up to and including `to`'s day (0 when to <= from). */
  workingDaysBetween(from: Date, to: Date): number {
    let date = chinaDate(from);
    const end = chinaDate(to);
    let n = 0;
    while (date < end) {
      date = nextDate(date, 1);
      if (this.isWorkingDay(date)) n += 1;
    }
    return n;
  }
}
