import { asGovError } from '../errors/errors.ts';
import type { Migration } from '../store/migrations.ts';
import { LEGACY_COVERAGE_END } from '../time/calendar.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { Clock } from '../time/clock.ts';

/**
 * Periodically finds aggregates with a deadline that passed (`due`) and issues the service's
 * deadline command for each (`check`), which emits an overdue event when one is owed.
 *
 * Exactly once, across restarts and replicas: the decider emits an overdue event only when the
 * aggregate is not flagged yet, and the store's unique (aggregate, version) lets one of two racing
 * replicas win; the loser's conflict is expected and ignored.
 *
 * The first pass also checks every aggregate with a provisional deadline (`provisional`): the
 * calendar is read at start, so a year's schedule loaded since the last start is where their
 * deadlines are counted again (ADR 0008).
 */
export interface DeadlineWatcherOptions {
  /** Aggregate ids whose deadlines may need flagging at `now` (a read model query). */
  due: (now: Date) => Promise<string[]>;
  /** Runs the deadline command; returns the ids of the events it produced. */
  check: (aggregateId: string) => Promise<{ eventIds: string[] }>;
  /** Aggregate ids with a provisional deadline, checked once, in the first pass. */
  provisional?: () => Promise<string[]>;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}

export class DeadlineWatcher {
  readonly #o: DeadlineWatcherOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #provisionalChecked = false;

  constructor(opts: DeadlineWatcherOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      // A failed pass (database blip) is logged and retried next tick; it must never reject
      // unhandled, which would end the process.
      this.#running = this.scanOnce()
        .catch((err: unknown) => {
          this.#o.logger.error({ err }, 'deadline scan failed; retrying at the next interval');
          return 0;
        })
        .finally(() => (this.#running = undefined));
    }, this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass; returns how many aggregates got a new overdue event. */
  async scanOnce(): Promise<number> {
    let flagged = 0;
    const ids = new Set(await this.#o.due(this.#o.clock.now()));
    if (!this.#provisionalChecked && this.#o.provisional !== undefined) {
      for (const id of await this.#o.provisional()) ids.add(id);
    }
    for (const id of ids) {
      try {
        const ack = await this.#o.check(id);
        if (ack.eventIds.length > 0) flagged += 1;
      } catch (err) {
        if (asGovError(err).code !== 'GOV_ERR_CONCURRENCY_CONFLICT') this.#o.logger.error({ err, aggregateId: id }, 'deadline check failed');
      }
    }
    this.#provisionalChecked = true;
    return flagged;
  }
}

/**
 * The migration that gives a folded view its `deadlines_provisional` column (ADR 0008), backfilled
 * for rows written before deadlines knew their calendar: a live deadline after 2026-12-31 was
 * counted on bare weekdays (`also`: a further condition, e.g. a deadline with no column).
 */
export const provisionalDeadlinesMigration = (id: string, table: string, dueColumns: readonly string[], also?: string): Migration => ({
  id,
  sql: `
      alter table ${table} add column deadlines_provisional boolean not null default false;
      update ${table} set deadlines_provisional = true
        where ${[...dueColumns.map((c) => `${c} > '${LEGACY_COVERAGE_END}T15:59:59.999Z'`), ...(also === undefined ? [] : [also])].join(' or ')};
      create index ${table.split('.').at(-1)}_provisional on ${table} (platform) where deadlines_provisional;`,
});
