import { asGovError, type Clock, type Logger } from '@govmesh/backbone';
import type { RequestCommands } from '../commands/request-commands.ts';
import type { RequestQueries } from './request-queries.ts';

/**
 * Finds shares whose reply or delivery deadline passed (APR-06, DLV-01) or whose period of use
 * lapsed (USE-02), and issues CheckDeadlines for each. Exactly once, across restarts and
 * replicas: the decider flags a deadline only when it is not flagged yet, and the store's unique
 * (aggregate, version) lets one of two racing replicas win; the loser's conflict is expected and
 * ignored.
 */
export interface DeadlineWatcherOptions {
  queries: RequestQueries;
  commands: RequestCommands;
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
      if (this.#running === undefined) this.#running = this.scanOnce().finally(() => (this.#running = undefined));
    }, this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass; returns how many shares got a new flag. */
  async scanOnce(): Promise<number> {
    let flagged = 0;
    for (const shareId of await this.#o.queries.dueForChecks(this.#o.clock.now())) {
      try {
        const ack = await this.#o.commands.checkDeadlines(shareId);
        if (ack.eventIds.length > 0) flagged += 1;
      } catch (err) {
        const e = asGovError(err);
        if (e.code !== 'GOV_ERR_CONCURRENCY_CONFLICT') this.#o.logger.error({ err, shareId }, 'deadline check failed');
      }
    }
    return flagged;
  }
}
