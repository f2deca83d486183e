import { CompiledQuery } from 'kysely';
import type { Database, Logger } from '@govmesh/backbone';

/**
 * One writer per ledger. The ledger order needs every partition in one process, and only one
 * process may extend the tree, so the instance that holds a PostgreSQL session advisory lock on
 * `ledger:<schema>` ingests and signs; another instance waits for the lock (a hot standby that
 * takes over when the holder's session ends, e.g. when it is killed). The entries' primary key
 * would refuse a second writer anyway; the lock keeps it from trying.
 */
export class Leadership {
  readonly #release: () => void;
  readonly #held: Promise<void>;

  private constructor(release: () => void, held: Promise<void>) {
    this.#release = release;
    this.#held = held;
  }

  /** Waits until this process holds the lock. `onLost` runs if the locking session dies. */
  static async acquire(db: Database, schema: string, logger: Logger, onLost: (err: unknown) => void, retryMs = 2000): Promise<Leadership> {
    const kysely = db.orm.em.fork().getKysely();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let isAcquired = false;
    let acquired!: () => void;
    const gotIt = new Promise<void>((r) => (acquired = () => ((isAcquired = true), r())));
    const key = `ledger:${schema}`;
    const held = kysely
      .connection()
      .execute(async (conn) => {
        let waiting = false;
        for (;;) {
          const res = await conn.executeQuery<{ ok: boolean }>(CompiledQuery.raw('select pg_try_advisory_lock(hashtext($1)) as ok', [key]));
          if (res.rows[0]?.ok === true) break;
          if (!waiting) logger.info({ key }, 'another instance writes this ledger: waiting for it to stop');
          waiting = true;
          await new Promise((r) => setTimeout(r, retryMs));
        }
        acquired();
        // Keep the session busy enough to notice when it dies.
        let stop = false;
        void released.then(() => (stop = true));
        while (!stop) {
          await Promise.race([released, new Promise((r) => setTimeout(r, 5000))]);
          if (!stop) await conn.executeQuery(CompiledQuery.raw('select 1'));
        }
        await conn.executeQuery(CompiledQuery.raw('select pg_advisory_unlock(hashtext($1))', [key]));
      })
      .catch((err: unknown) => {
        logger.fatal({ err, key }, 'lost the ledger writer lock');
        onLost(err);
      });
    await Promise.race([gotIt, held]);
    if (!isAcquired) throw new Error(`could not take the ledger writer lock ${key}`);
    return new Leadership(release, held);
  }

  async release(): Promise<void> {
    this.#release();
    await this.#held;
  }
}
