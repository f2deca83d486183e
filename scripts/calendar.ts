/**
 * The operator's calendar command (docs/operations.md#calendar):
 *   npm run calendar -- check <year-file>          reads a year's official schedule, shows it, refuses a malformed one (exit 1)
 *   npm run calendar -- show <year> [<platform>]   shows a year as the services count it: official or provisional
 */
import { resolve } from 'node:path';
import { GovError } from '../packages/backbone/src/errors/errors.ts';
import { loadPlatformFile, loadPlatformSchedules } from '../packages/backbone/src/identity/platform.ts';
import { WorkingCalendar } from '../packages/backbone/src/time/calendar.ts';
import { provisionalDaysOff } from '../packages/backbone/src/time/statutory-holidays.ts';
import { describeSchedule, loadYearSchedule, shippedSchedules, type YearSchedule } from '../packages/backbone/src/time/year-schedule.ts';

const usage = 'usage: npm run calendar -- check <year-file> | show <year> [<platform-file>]';

const run = (args: string[]): number => {
  const [command, arg, platformPath] = args;
  if (command === 'check' && arg !== undefined) {
    const schedule = loadYearSchedule(resolve(arg));
    console.log(describeSchedule(schedule));
    console.log(`\nok: ${arg} is a well-formed schedule for ${schedule.year}; list it under calendar.schedules in the platform file and restart the services (docs/operations.md#calendar)`);
    return 0;
  }
  if (command === 'show' && arg !== undefined && /^\d{4}$/.test(arg)) {
    const year = Number(arg);
    const loaded: YearSchedule[] = platformPath === undefined ? [] : loadPlatformSchedules(loadPlatformFile(resolve(platformPath)), resolve(platformPath));
    const official = [...shippedSchedules(), ...loaded].filter((s) => s.year === year).at(-1);
    if (official !== undefined) {
      console.log(`official:\n${describeSchedule(official)}`);
    } else {
      const years = new WorkingCalendar({ schedules: loaded }).officialYears();
      console.log(`${year}: PROVISIONAL, no official schedule (official years: ${years[0]}-${years.at(-1)}). Deadlines counting a day of ${year} are marked provisional; days off:`);
      for (const h of provisionalDaysOff(year)) console.log(`  ${h.date}  ${h.name}`);
      console.log('no make-up working days (调休) are guessed');
    }
    return 0;
  }
  console.error(usage);
  return 2;
};

try {
  process.exitCode = run(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof GovError)) throw err;
  console.error(err.violations.length > 0 ? `refused (${err.violations.length} problems):` : `refused: ${err.message}`);
  for (const v of err.violations) console.error(`  ${v.field}: ${v.description}`);
  process.exitCode = 1;
}
