import type { Logger } from '../telemetry/logging.ts';

/**
 * Runs a batch step over and over: straight on while batches come back full, after `idleMs`
 * when the last one was not, after a back-off when it failed. `notify()` cuts a wait short
 * (e.g. right after a commit), so latency is not bound by the poll interval. Used by the outbox
 * relay and the audit ledger's append loop.
 */
export class BatchLoop {
  readonly #o: { what: string; step: () => Promise<number>; fullBatch: number; idleMs: number; logger: Logger };
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** A notify() that came while a step ran: the next sleep is skipped. */
  #pending = false;

  constructor(opts: { what: string; step: () => Promise<number>; fullBatch: number; idleMs: number; logger: Logger }) {
    this.#o = opts;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /** Ends after the step in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let done = 0;
      this.#pending = false;
      try {
        done = await this.#o.step();
      } catch (err) {
        this.#o.logger.error({ err }, `${this.#o.what} failed; retrying`);
        await this.#sleep(Math.max(this.#o.idleMs, 500));
        continue;
      }
      if (done < this.#o.fullBatch) await this.#sleep(this.#o.idleMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#pending || !this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(wake, ms);
      function wake() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = wake;
    });
  }
}
