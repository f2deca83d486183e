import client from 'prom-client';
import type { Checkpointer } from './checkpointer.ts';
import type { Ledger } from './ledger.ts';

/**
 * The ledger's figures on /metrics (issue 13, honest operations), read from memory at each scrape:
 * size, the latest checkpoint's size and age (a stalled checkpointer shows as a growing age and
 * a size falling behind), and the records seen again, appended late and undecodable.
 */
export const registerLedgerMetrics = (registry: client.Registry, ledger: Ledger, checkpointer: Checkpointer, now: () => Date): void => {
  new client.Gauge({
    name: 'govmesh_ledger_size',
    help: 'entries in the ledger (leaves of the Merkle tree)',
    registers: [registry],
    collect() {
      this.set(ledger.size);
    },
  });
  new client.Gauge({
    name: 'govmesh_ledger_checkpoint_size',
    help: 'tree size of the latest signed checkpoint (0: none yet)',
    registers: [registry],
    collect() {
      this.set(checkpointer.latestSize);
    },
  });
  new client.Gauge({
    name: 'govmesh_ledger_checkpoint_age_seconds',
    help: 'seconds since the latest checkpoint was signed (-1: none yet)',
    registers: [registry],
    collect() {
      const at = checkpointer.latestIssuedAt;
      this.set(at === undefined ? -1 : Math.max(0, (now().getTime() - at.getTime()) / 1000));
    },
  });
  new client.Gauge({
    name: 'govmesh_ledger_records',
    help: 'records of the ledger by kind: seen_again (a duplicate event id, kept aside), late (appended after later records), undecodable',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const c = ledger.counts;
      this.set({ kind: 'seen_again' }, c.seenAgain);
      this.set({ kind: 'late' }, c.late);
      this.set({ kind: 'undecodable' }, c.undecodable);
    },
  });
};
