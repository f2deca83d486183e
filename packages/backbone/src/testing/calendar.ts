import { fileURLToPath } from 'node:url';
import { WorkingCalendar } from '../time/calendar.ts';
import { loadYearSchedule, type YearSchedule } from '../time/year-schedule.ts';

/**
 * An invented 2027 schedule for tests (the State Council had not published 2027's when it was
 * written): 1-3 Jan, 5-13 Feb (Spring Festival), 3-5 Apr, 1-5 May, 9 Jun, 15 Sep, 1-7 Oct off;
 * 31 Jan, 20 Feb, 25 Apr, 26 Sep and 9 Oct worked.
 */
export const TEST_SCHEDULE_2027_PATH = fileURLToPath(new URL('../time/testdata/2027.test-schedule.json', import.meta.url));
export const testSchedule2027 = (): YearSchedule => loadYearSchedule(TEST_SCHEDULE_2027_PATH);
/** The shipped calendar with the test 2027 schedule loaded, as after an operator loads a year. */
export const calendarWith2027 = (): WorkingCalendar => new WorkingCalendar({ schedules: [testSchedule2027()] });
