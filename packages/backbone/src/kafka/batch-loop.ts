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
    // Consecutive failures (e.g. the database is down): logged once, then retried with a growing
    // wait (500 ms doubling up to 5 s), and the recovery is logged; not one error line per try.
    let failures = 0;
    while (this.#running) {
      let done = 0;
      this.#pending = false;
      try {
        done = await this.#o.step();
      } catch (err) {
        failures += 1;
        if (failures === 1) this.#o.logger.error({ err }, `${this.#o.what} failed; retrying with back-off`);
        else this.#o.logger.debug({ err, failures }, `${this.#o.what} failed again`);
        this.#pending = false;
        await this.#sleep(Math.min(5000, Math.max(this.#o.idleMs, 500) * 2 ** Math.min(failures - 1, 4)));
        continue;
      }
      if (failures > 0) this.#o.logger.info({ failures }, `${this.#o.what} works again`);
      failures = 0;
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
