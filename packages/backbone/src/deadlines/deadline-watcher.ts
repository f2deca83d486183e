import { asGovError } from '../errors/errors.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { Clock } from '../time/clock.ts';

/**
 * Periodically finds aggregates with a deadline that passed (`due`) and issues the service's
 * deadline command for each (`check`), which emits an overdue event when one is owed.
 *
 * Exactly once, across restarts and replicas: the decider emits an overdue event only when the
 * aggregate is not flagged yet, and the store's unique (aggregate, version) lets one of two racing
 * replicas win; the loser's conflict is expected and ignored.
 */
export interface DeadlineWatcherOptions {
  /** Aggregate ids whose deadlines may need flagging at `now` (a read model query). */
  due: (now: Date) => Promise<string[]>;
  /** Runs the deadline command; returns the ids of the events it produced. */
  check: (aggregateId: string) => Promise<{ eventIds: string[] }>;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}

export class DeadlineWatcher {
  readonly #o: DeadlineWatcherOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

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
    for (const id of await this.#o.due(this.#o.clock.now())) {
      try {
        const ack = await this.#o.check(id);
        if (ack.eventIds.length > 0) flagged += 1;
      } catch (err) {
        if (asGovError(err).code !== 'GOV_ERR_CONCURRENCY_CONFLICT') this.#o.logger.error({ err, aggregateId: id }, 'deadline check failed');
      }
    }
    return flagged;
  }
}
