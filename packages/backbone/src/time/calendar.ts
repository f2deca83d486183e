import { provisionalDaysOff, isWeekend } from './statutory-holidays.ts';
import { shippedSchedules, type YearSchedule } from './year-schedule.ts';

/**
 * Working days (工作日) on the official Chinese calendar: weekends and public holidays are off,
 * make-up working days (调休) are on.
 *
 * The calendar knows which years it has an official schedule for: those shipped with the project
 * and those the operator loads (`schedules` in the platform file). A year without one is counted on
 * the statutory holidays alone (statutory-holidays.ts), and every deadline that counts a day of such
 * a year says so: it is provisional, and is recomputed, as an event, once the year's schedule is
 * loaded (ADR 0008). A platform may also override single days (a local holiday).
 *
 * Deadlines are counted the way the regulation counts them: the day the clock starts does not
 * count; the deadline is the end (23:59:59.999, China Standard Time) of the Nth working day after.
 */
export interface CalendarOverrides {
  /** Dates (YYYY-MM-DD) that are not working days on this platform. */
  holidays?: string[];
  /** Dates (YYYY-MM-DD) that are working days on this platform. */
  workdays?: string[];
  /** Official schedules the operator loaded (they replace a shipped schedule of the same year). */
  schedules?: YearSchedule[];
}

/**
 * A deadline and what it was counted from, so that it can be counted again: `workingDays` after
 * the China day of `from`. Provisional when a counted day lies in a year without official schedule.
 */
export interface Deadline {
  from: string;
  workingDays: number;
  dueAt: string;
  provisional: boolean;
}

const CST_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** The calendar date in China Standard Time of an instant, as YYYY-MM-DD. */
export const chinaDate = (instant: Date): string => new Date(instant.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);

const endOfChinaDay = (date: string): Date => new Date(Date.parse(`${date}T00:00:00.000Z`) - CST_OFFSET_MS + DAY_MS - 1);

const nextDate = (date: string, delta: number): string => new Date(Date.parse(`${date}T00:00:00.000Z`) + delta * DAY_MS).toISOString().slice(0, 10);

/**
 * The last day that `chinese-days` 1.5.7 and earlier held official data for. Deadlines written
 * before the calendar knew its coverage (events without a provisional flag) were counted on bare
 * weekdays past it; they are read as provisional and counted again (legacyDeadline).
 */
export const LEGACY_COVERAGE_END = '2026-12-31';

/** Readiness and the metric warn while the official coverage runs less than this many days ahead. */
export const COVERAGE_WARNING_DAYS = 60;

export class WorkingCalendar {
  readonly #holidays: Set<string>;
  readonly #workdays: Set<string>;
  readonly #official = new Map<number, { off: Set<string>; worked: Set<string>; source: string }>();
  readonly #provisional = new Map<number, Set<string>>();

  constructor(overrides: CalendarOverrides = {}) {
    this.#holidays = new Set(overrides.holidays ?? []);
    this.#workdays = new Set(overrides.workdays ?? []);
    for (const s of [...shippedSchedules(), ...(overrides.schedules ?? [])]) {
      this.#official.set(s.year, { off: new Set(s.holidays), worked: new Set(s.workdays), source: s.source });
    }
  }

  /** The years with an official schedule, ascending. */
  officialYears(): number[] {
    return [...this.#official.keys()].sort((a, b) => a - b);
  }

  /** Whether the date's year has an official schedule. */
  isOfficial(date: string): boolean {
    return this.#official.has(Number(date.slice(0, 4)));
  }

  /**
   * The last day of official coverage that runs unbroken from the year of `now`, or null when the
   * current year itself has no official schedule.
   */
  officialThrough(now: Date): string | null {
    let year = Number(chinaDate(now).slice(0, 4));
    if (!this.#official.has(year)) return null;
    while (this.#official.has(year + 1)) year += 1;
    return `${year}-12-31`;
  }

  /** Days from `now`'s China day to the end of official coverage (0 or less: none left). */
  officialDaysAhead(now: Date): number {
    const through = this.officialThrough(now);
    if (through === null) return 0;
    return Math.round((Date.parse(`${through}T00:00:00Z`) - Date.parse(`${chinaDate(now)}T00:00:00Z`)) / DAY_MS);
  }

  /**
   * What readiness and the metric report: a warning (the service stays ready) while the official
   * coverage runs less than COVERAGE_WARNING_DAYS ahead, since deadlines counted past it are
   * provisional until the operator loads the next year (docs/operations.md#calendar).
   */
  coverage(now: Date): { officialThrough: string | null; daysAhead: number; warning: string | null } {
    const officialThrough = this.officialThrough(now);
    const daysAhead = this.officialDaysAhead(now);
    if (daysAhead >= COVERAGE_WARNING_DAYS) return { officialThrough, daysAhead, warning: null };
    const next = officialThrough === null ? Number(chinaDate(now).slice(0, 4)) : Number(officialThrough.slice(0, 4)) + 1;
    const warning = officialThrough === null
      ? `no official holiday schedule for ${next}: every deadline is provisional; load the State Council's ${next} schedule (docs/operations.md#calendar)`
      : `the official holiday schedules end on ${officialThrough} (${daysAhead} days ahead): deadlines past it are provisional; load the State Council's ${next} schedule (docs/operations.md#calendar)`;
    return { officialThrough, daysAhead, warning };
  }

  isWorkingDay(date: string): boolean {
    if (this.#workdays.has(date)) return true;
    if (this.#holidays.has(date)) return false;
    // A New Year's schedule may list the last days of December before it: an official date is
    // looked up in its own year's schedule and in the next year's.
    const year = Number(date.slice(0, 4));
    for (const y of [year, year + 1]) {
      const s = this.#official.get(y);
      if (s?.worked.has(date) === true) return true;
      if (s?.off.has(date) === true) return false;
    }
    if (!this.#official.has(year)) {
      let off = this.#provisional.get(year);
      if (off === undefined) {
        off = new Set(provisionalDaysOff(year).map((h) => h.date));
        this.#provisional.set(year, off);
      }
      if (off.has(date)) return false;
    }
    return !isWeekend(date);
  }

  /** The deadline `workingDays` working days after the China day of `from`. */
  deadline(from: Date | string, workingDays: number): Deadline {
    if (!Number.isInteger(workingDays) || workingDays < 0) throw new RangeError(`working days must be a non-negative integer, got ${workingDays}`);
    const start = typeof from === 'string' ? new Date(from) : from;
    let date = chinaDate(start);
    let left = workingDays;
    let provisional = false;
    while (left > 0) {
      date = nextDate(date, 1);
      if (!this.isOfficial(date)) provisional = true;
      if (this.isWorkingDay(date)) left -= 1;
    }
    return { from: start.toISOString(), workingDays, dueAt: endOfChinaDay(date).toISOString(), provisional };
  }

  /** The same deadline pushed back by `workingDays` more (an extension counts on from the old one). */
  extend(d: Deadline, workingDays: number): Deadline {
    return this.deadline(d.from, d.workingDays + workingDays);
  }

  /**
   * A provisional deadline counted again on the calendar as it is now; null when nothing changed
   * (still provisional on the same day, or not provisional at all).
   */
  recount(d: Deadline): Deadline | null {
    if (!d.provisional) return null;
    const again = this.deadline(d.from, d.workingDays);
    return again.provisional && again.dueAt === d.dueAt ? null : again;
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

/**
 * A deadline as an event recorded it. Events written before the calendar knew its coverage carry
 * no provisional flag (`provisional` undefined or null): a deadline of theirs past
 * LEGACY_COVERAGE_END was counted on bare weekdays, so it is read as provisional and counted from
 * the last day of that coverage with the weekdays it had counted beyond it.
 */
export const legacyDeadline = (dueAt: string, provisional: boolean | null | undefined, basis: { from: string; workingDays: number } | null): Deadline => {
  if (typeof provisional === 'boolean') return { from: basis?.from ?? dueAt, workingDays: basis?.workingDays ?? 0, dueAt, provisional };
  const dueDay = chinaDate(new Date(dueAt));
  if (dueDay <= LEGACY_COVERAGE_END) return { from: basis?.from ?? dueAt, workingDays: basis?.workingDays ?? 0, dueAt, provisional: false };
  let weekdays = 0;
  for (let d = nextDate(LEGACY_COVERAGE_END, 1); d <= dueDay; d = nextDate(d, 1)) if (!isWeekend(d)) weekdays += 1;
  return { from: endOfChinaDay(LEGACY_COVERAGE_END).toISOString(), workingDays: weekdays, dueAt, provisional: true };
};
