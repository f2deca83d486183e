import { AuditCheckpointsEventNamespace } from '@govmesh/contracts/avro';
import { eventSource, GovError, inputInvalid, notFound, type Logger, type OutboxRelay, type SchemaRegistry } from '@govmesh/backbone';
import {
  formatCheckpoint, openNote, parseCheckpoint, parseNote, signNote,
  type NoteError, type NoteSigner, type NoteVerifier,
} from '@govmesh/ledger';
import type { Ledger } from './ledger.ts';
import type { CheckpointRow, CosignatureRow } from './store.ts';

/**
 * Signed checkpoints (C2SP tlog-checkpoint: `origin\nsize\nbase64 root\n`, Ed25519 signed note).
 *
 * - Issued every interval when the tree grew, so under load at least once a second.
 * - Persisted before anyone sees them: the row is inserted under compare-and-swap on the size (its
 *   primary key) and the key only signs when no checkpoint of that size exists, so two different
 *   roots are never signed for one size. The checkpoint event is written to the outbox in the
 *   same transaction; the relay publishes it on `<platform>.audit.checkpoints` after the commit,
 *   and the API serves only stored checkpoints.
 * - At start the latest stored checkpoint is checked against the tree restored from the database
 *   (same root at its size). A mismatch means the database was altered; the service refuses to
 *   sign anything on top of it.
 * - Witness cosignatures of our checkpoints are verified against the configured witness keys,
 *   stored, and served appended to the note.
 */
export interface ServedCheckpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** The signed note with every stored cosignature. */
  note: string;
  issuedAt: string;
}

export class Checkpointer {
  readonly #ledger: Ledger;
  readonly #signer: NoteSigner;
  readonly #origin: string;
  readonly #platform: string;
  readonly #registry: SchemaRegistry;
  readonly #relay: OutboxRelay;
  readonly #topic: string;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  readonly #witnesses: NoteVerifier[];
  #latest: CheckpointRow | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #halted = false;
  #busy = false;
  #stopped = false;
  #lastRun = 0;
  #served: ServedCheckpoint | undefined;

  constructor(opts: { ledger: Ledger; signer: NoteSigner; origin: string; platform: string; registry: SchemaRegistry; relay: OutboxRelay; topic: string; intervalMs: number; logger: Logger; witnesses: NoteVerifier[] }) {
    this.#ledger = opts.ledger;
    this.#signer = opts.signer;
    this.#origin = opts.origin;
    this.#platform = opts.platform;
    this.#registry = opts.registry;
    this.#relay = opts.relay;
    this.#topic = opts.topic;
    this.#intervalMs = opts.intervalMs;
    this.#logger = opts.logger;
    this.#witnesses = opts.witnesses;
  }

  get origin(): string {
    return this.#origin;
  }

  get vkey(): string {
    return this.#signer.vkey;
  }

  /** Loads the latest checkpoint and checks the restored tree against it. */
  async init(): Promise<void> {
    const latest = await this.#ledger.store.latestCheckpoint();
    if (latest !== undefined) {
      const origin = parseCheckpoint(parseNote(latest.note).body).origin;
      if (origin !== this.#origin) throw new GovError('GOV_ERR_CONFIG_INVALID', `this ledger's checkpoints are for origin ${origin}, but LEDGER_ORIGIN is ${this.#origin}`);
      if (this.#ledger.size < latest.size) throw new GovError('GOV_ERR_INTERNAL', `the ledger has ${this.#ledger.size} entries but checkpoint ${latest.size} was signed: entries were removed`);
      const root = await this.#ledger.rootAt(latest.size);
      if (!root.equals(latest.rootHash)) throw new GovError('GOV_ERR_INTERNAL', `the entries no longer hash to the root signed at size ${latest.size}: the ledger was altered`);
    }
    this.#latest = latest;
  }

  start(): void {
    this.#schedule(this.#intervalMs);
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#busy = true;
    this.#lastRun = Date.now();
    this.#running = this.issue()
      .catch((err: unknown) => this.#logger.error({ err }, 'checkpoint failed; retrying'))
      .finally(() => {
        this.#busy = false;
        if (!this.#stopped) this.#schedule(this.#intervalMs);
      });
  }

  /**
   * The tree grew: sign now if the last checkpoint is at least an interval old (an idle ledger
   * signs at once), else at the next tick. Under load that is one checkpoint per interval.
   */
  notify(): void {
    if (this.#stopped || this.#busy || this.#timer === undefined) return;
    const wait = this.#lastRun + this.#intervalMs - Date.now();
    if (wait <= 0) this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const t = this.#timer;
    this.#timer = undefined;
    if (t !== undefined) clearTimeout(t);
    await this.#running;
  }

  /** Signs and stores a checkpoint of the current tree if it grew; returns the latest stored one. */
  async issue(): Promise<CheckpointRow | undefined> {
    if (this.#halted) return this.#latest;
    const tree = this.#ledger.tree;
    const size = tree.size;
    if (size === 0 || (this.#latest !== undefined && this.#latest.size >= size)) return this.#latest;
    const rootHash = tree.root();
    const body = formatCheckpoint({ origin: this.#origin, size, rootHash });
    const stored = await this.#ledger.store.storeCheckpoint(size, rootHash, () => signNote(body, this.#signer), {
      topic: this.#topic,
      type: `${AuditCheckpointsEventNamespace}.LedgerCheckpointIssued`,
      source: eventSource(this.#platform, 'audit'),
      subject: this.#origin,
      registry: this.#registry,
    });
    if (!stored.rootHash.equals(rootHash)) {
      this.#halted = true;
      this.#logger.fatal({ size, stored: stored.rootHash.toString('base64'), computed: rootHash.toString('base64') }, 'a different root is already signed for this size: checkpointing halted');
      throw new GovError('GOV_ERR_INTERNAL', `refusing to sign a second root for size ${size}`);
    }
    this.#latest = stored;
    this.#relay.notify();
    return stored;
  }

  get latestSize(): number {
    return this.#latest?.size ?? 0;
  }

  /** When the latest checkpoint was signed (undefined: none yet). */
  get latestIssuedAt(): Date | undefined {
    return this.#latest?.issuedAt;
  }

  async #serve(row: CheckpointRow): Promise<ServedCheckpoint> {
    const cosigs = await this.#ledger.store.cosignatures([row.size]);
    return { origin: this.#origin, size: row.size, rootHash: row.rootHash, note: withCosignatures(row.note, cosigs), issuedAt: row.issuedAt.toISOString() };
  }

  /** The latest checkpoint as served, cached until a newer one or a cosignature arrives. */
  async latest(): Promise<ServedCheckpoint | undefined> {
    const row = this.#latest;
    if (row === undefined) return undefined;
    if (this.#served?.size !== row.size) this.#served = await this.#serve(row);
    return this.#served;
  }

  async at(size: number): Promise<ServedCheckpoint | undefined> {
    if (size === this.#latest?.size) return this.latest();
    const row = await this.#ledger.store.checkpoint(size);
    return row === undefined ? undefined : this.#serve(row);
  }

  /** Stores the witness cosignatures a parent platform added to one of our checkpoints. */
  async addCosignatures(cosignedNote: string): Promise<{ checkpoint: ServedCheckpoint; accepted: number }> {
    let body: string;
    let size: number;
    try {
      body = parseNote(cosignedNote).body;
      size = parseCheckpoint(body).size;
    } catch (err) {
      throw inputInvalid([{ field: 'cosignedNote', description: (err as Error).message }]);
    }
    const row = await this.#ledger.store.checkpoint(size);
    if (row === undefined) throw notFound('checkpoint of size', String(size));
    if (parseNote(row.note).body !== body) throw inputInvalid([{ field: 'cosignedNote', description: 'not the text of our checkpoint of that size' }]);
    if (this.#witnesses.length === 0) throw inputInvalid([{ field: 'cosignedNote', description: 'no witness keys are configured (WITNESS_VKEYS)' }]);
    let verified;
    try {
      verified = openNote(cosignedNote, this.#witnesses).verified;
    } catch (err) {
      throw inputInvalid([{ field: 'cosignedNote', description: `no valid cosignature by a configured witness: ${(err as NoteError).message}` }]);
    }
    const accepted = await this.#ledger.store.addCosignatures(verified.map((v) => ({ size, keyName: v.name, keyHash: v.keyHash, signature: v.signature })));
    if (size === this.#served?.size) this.#served = undefined;
    return { checkpoint: await this.#serve(row), accepted };
  }
}

/** A stored note with cosignature lines appended (signed-note: one line per signature). */
export const withCosignatures = (note: string, cosigs: readonly CosignatureRow[]): string => {
  const { signatures } = parseNote(note);
  const lines = cosigs
    .filter((c) => !signatures.some((s) => s.name === c.keyName && s.keyHash === c.keyHash))
    .map((c) => {
      const id = Buffer.alloc(4);
      id.writeUInt32BE(c.keyHash);
      return `\u2014 ${c.keyName} ${Buffer.concat([id, c.signature]).toString('base64')}\n`;
    });
  return note + lines.join('');
};
