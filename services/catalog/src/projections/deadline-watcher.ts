import { asGovError, type Clock, type Logger } from '@govmesh/backbone';
import type { CatalogCommands } from '../commands/catalog-commands.ts';
import type { CatalogQueries } from './catalog-queries.ts';

/**
 * Finds entries whose update or review deadline has passed and issues FlagOverdue for each.
 * Exactly once, across restarts and replicas: the decider emits the overdue event only when the
 * entry is not flagged yet, and the store's unique (aggregate, version) lets one of two racing
 * replicas win; the loser's conflict is expected and ignored.
 */
export interface DeadlineWatcherOptions {
  queries: CatalogQueries;
  commands: CatalogCommands;
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

  /** One pass; returns how many entries were flagged. */
  async scanOnce(): Promise<number> {
    let flagged = 0;
    for (const entryId of await this.#o.queries.dueForFlagging(this.#o.clock.now())) {
      try {
        const ack = await this.#o.commands.flagOverdue(entryId);
        if (ack.eventIds.length > 0) flagged += 1;
      } catch (err) {
        const e = asGovError(err);
        if (e.code !== 'GOV_ERR_CONCURRENCY_CONFLICT') this.#o.logger.error({ err, entryId }, 'deadline check failed');
      }
    }
    return flagged;
  }
}
