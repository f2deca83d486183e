import { LunarDay, SolarTerm } from 'tyme4ts';

/**
 * The public holidays that the national holiday regulations (全国年节及纪念日放假办法, as revised
 * in 2024, in force from 2025) fix by date, for every citizen: New Year's Day (1 day), the Spring
 * Festival (Spring Festival eve and the first three days of the first lunar month), Qingming (the
 * day of the solar term), Labour Day (1-2 May), the Dragon Boat Festival (5th day of the 5th lunar
 * month), the Mid-Autumn Festival (15th day of the 8th lunar month) and National Day (1-3 October).
 *
 * Lunar dates and the solar term come from tyme4ts (astronomical computation, China Standard Time).
 * ICU's Chinese calendar (`Intl` with `ca-chinese`) is not used: it puts the 2027 Spring Festival on
 * 7 February, a day late, because that new moon falls four minutes before midnight in Beijing.
 *
 * What the State Council's yearly notice adds (bridging days off and the weekend days worked to make
 * up for them) cannot be derived: a year known only from these rules is provisional.
 */
export interface StatutoryHoliday {
  date: string;
  name: string;
}

const iso = (y: number, m: number, d: number): string => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

const fromSolarDay = (day: { getYear(): number; getMonth(): number; getDay(): number }): string => iso(day.getYear(), day.getMonth(), day.getDay());

/** The seven statutory holidays' days of a Gregorian year, in date order. */
export const statutoryHolidays = (year: number): StatutoryHoliday[] => {
  if (!Number.isInteger(year) || year < 1901 || year > 2099) throw new RangeError(`statutory holidays are computed for 1901-2099, not ${year}`);
  const springFestival = LunarDay.fromYmd(year, 1, 1).getSolarDay();
  const days: StatutoryHoliday[] = [
    { date: iso(year, 1, 1), name: "New Year's Day (元旦)" },
    { date: fromSolarDay(springFestival.next(-1)), name: 'Spring Festival eve (除夕)' },
    { date: fromSolarDay(springFestival), name: 'Spring Festival (春节, 正月初一)' },
    { date: fromSolarDay(springFestival.next(1)), name: 'Spring Festival (春节, 正月初二)' },
    { date: fromSolarDay(springFestival.next(2)), name: 'Spring Festival (春节, 正月初三)' },
    { date: fromSolarDay(SolarTerm.fromName(year, '清明').getJulianDay().getSolarDay()), name: 'Qingming (清明节)' },
    { date: iso(year, 5, 1), name: 'Labour Day (劳动节)' },
    { date: iso(year, 5, 2), name: 'Labour Day (劳动节)' },
    { date: fromSolarDay(LunarDay.fromYmd(year, 5, 5).getSolarDay()), name: 'Dragon Boat Festival (端午节)' },
    { date: fromSolarDay(LunarDay.fromYmd(year, 8, 15).getSolarDay()), name: 'Mid-Autumn Festival (中秋节)' },
    { date: iso(year, 10, 1), name: 'National Day (国庆节)' },
    { date: iso(year, 10, 2), name: 'National Day (国庆节)' },
    { date: iso(year, 10, 3), name: 'National Day (国庆节)' },
  ];
  return days.sort((a, b) => a.date.localeCompare(b.date));
};

const DAY_MS = 86_400_000;
const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
export const isWeekend = (date: string): boolean => {
  const weekday = new Date(`${date}T00:00:00.000Z`).getUTCDay();
  return weekday === 0 || weekday === 6;
};

/**
 * The days off of a year that has no official schedule: the statutory holidays, and for each one
 * that falls on a Saturday or Sunday a substitute day off on the next weekday that is not already
 * off (the regulations' rule: 适逢星期六、星期日，应当在工作日补假). No make-up working days.
 */
export const provisionalDaysOff = (year: number): StatutoryHoliday[] => {
  const statutory = statutoryHolidays(year);
  const off = new Map(statutory.map((h) => [h.date, h.name]));
  for (const h of statutory) {
    if (!isWeekend(h.date)) continue;
    let d = addDays(h.date, 1);
    while (isWeekend(d) || off.has(d)) d = addDays(d, 1);
    off.set(d, `substitute day off for ${h.name} on ${h.date} (补假)`);
  }
  return [...off].map(([date, name]) => ({ date, name })).sort((a, b) => a.date.localeCompare(b.date));
};
