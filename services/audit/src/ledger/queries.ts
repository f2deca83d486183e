import { notFound, type SchemaRegistry } from '@govmesh/backbone';
import { foldLifecycle, linkedIds, type Lifecycle, type LifecycleInput } from '../domain/lifecycle.ts';
import { jsonSafe, ledgerRecord, readEvent } from '../domain/record.ts';
import type { Checkpointer, ServedCheckpoint } from './checkpointer.ts';
import type { Ledger } from './ledger.ts';
import type { EntryRow } from './store.ts';

/** Reads of the ledger for the APIs and the CLIs: entries, lifecycles, completeness figures. */
export interface EntryView {
  index: number;
  leaf: string;
  leafHash: string;
  topic: string;
  partition: number;
  offset: string;
  ceId: string;
  ceType: string;
  ceSubject: string;
  ceCorrelationid: string;
  ceTime: string;
  problem: string | null;
  late: boolean;
  ledgeredAt: string;
  data: unknown;
}

export interface LifecycleView extends Lifecycle {
  checkpoint: ServedCheckpoint | undefined;
  /** Inclusion proof (base64 hashes) of each timeline entry against `checkpoint`. */
  proofs: Record<number, string[]>;
}

export const MAX_ENTRIES_PER_CALL = 1000;

export class AuditQueries {
  readonly #ledger: Ledger;
  readonly #checkpointer: Checkpointer;
  readonly #registry: SchemaRegistry;

  constructor(opts: { ledger: Ledger; checkpointer: Checkpointer; registry: SchemaRegistry }) {
    this.#ledger = opts.ledger;
    this.#checkpointer = opts.checkpointer;
    this.#registry = opts.registry;
  }

  async entries(start: number, end: number): Promise<EntryView[]> {
    const rows = await this.#ledger.store.entries(start, Math.min(end, start + MAX_ENTRIES_PER_CALL));
    return rows.map((r) => {
      const reading = readEvent(ledgerRecord(r.leaf), this.#registry);
      return {
        index: r.idx,
        leaf: r.leaf.toString('base64'),
        leafHash: r.leafHash.toString('base64'),
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        ceId: r.ceId,
        ceType: r.ceType,
        ceSubject: r.ceSubject,
        ceCorrelationid: r.ceCorrelationid,
        ceTime: r.ceTime,
        problem: r.problem,
        late: r.late,
        ledgeredAt: r.ledgeredAt.toISOString(),
        data: reading.decoded === undefined ? null : jsonSafe(reading.decoded.value),
      };
    });
  }

  #input(r: EntryRow): LifecycleInput {
    const rec = ledgerRecord(r.leaf);
    const reading = readEvent(rec, this.#registry);
    return {
      index: r.idx,
      topic: rec.topic,
      partition: rec.partition,
      offset: rec.offset,
      ceId: rec.ceId,
      type: rec.ceType,
      source: rec.ceSource,
      subject: rec.ceSubject,
      time: rec.ceTime,
      correlationId: rec.correlationId,
      sequence: rec.sequence,
      data: reading.decoded === undefined ? null : (jsonSafe(reading.decoded.value) as Record<string, unknown>),
      problem: reading.problem,
    };
  }

  /** Every event of one share (and of the catalog entry it names), with proofs against the latest checkpoint. */
  async lifecycle(id: string, withProofs: boolean, service?: string): Promise<LifecycleView> {
    const own = (await this.#ledger.store.byCorrelation([id])).map((r) => this.#input(r));
    if (own.length === 0) throw notFound('lifecycle of', id);
    const linked = linkedIds(own, id, service);
    const others = linked.length === 0 ? [] : (await this.#ledger.store.byCorrelation(linked)).map((r) => this.#input(r));
    const lifecycle = foldLifecycle(id, linked, [...own, ...others], service);
    const checkpoint = await this.#checkpointer.latest();
    const proofs: Record<number, string[]> = {};
    if (withProofs && checkpoint !== undefined) {
      const got = await this.#ledger.inclusionProofs(lifecycle.timeline.map((t) => t.index), checkpoint.size);
      for (const [i, hashes] of got) proofs[i] = hashes.map((h) => h.toString('base64'));
    }
    return { ...lifecycle, checkpoint, proofs };
  }

  /** The ingest's own completeness figures (the full check runs in the offline verifier). */
  async completeness() {
    const counts = await this.#ledger.store.counts();
    return {
      size: this.#ledger.size,
      checkpointSize: this.#checkpointer.latestSize,
      entries: counts.entries,
      seenAgain: counts.seenAgain,
      undecodable: counts.undecodable,
      late: counts.late,
      gaps: counts.gaps,
      partitions: this.#ledger
        .watermarks()
        .map((w) => ({ topic: w.topic, partition: w.partition, logStart: w.logStart.toString(), nextOffset: w.nextOffset.toString() }))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
    };
  }
}
