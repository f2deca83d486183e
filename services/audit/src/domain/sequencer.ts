/**
 * The ledger order, and when a record may take its place in it.
 *
 * The Merkle root must be a function of the topics' contents, not of how fast each partition was
 * read: a ledger rebuilt from the topics (after a crash, into a fresh database, by an auditor) must
 * have the same root. Kafka orders records only within a partition, so the ledger defines a total
 * order over all partitions of all event topics:
 *
 *   mergeKey(r) = max(timestamp(r), mergeKey(previous record of r's partition))   (running max)
 *   order       = (mergeKey, topic, partition, offset)
 *
 * The running max makes keys non-decreasing within a partition, so the order is a k-way merge of
 * the partitions in offset order. A record may be appended once nothing that sorts before it can
 * still arrive:
 *
 *   - a partition with records waiting here: its next record is its queue head, already compared;
 *   - a partition with nothing waiting: its future records have keys >= its last key, so a record
 *     sorting before (lastKey, partition) is safe. If the partition is also caught up (everything
 *     below its high watermark was received, as observed at time t), its future records were
 *     appended after t, so their timestamps are >= t - settle unless a producer's clock or queue
 *     held them back longer than `settle`. Such a record still goes into the ledger (nothing is
 *     dropped) but flagged `late`: a rebuild from the topics would put it elsewhere, and the
 *     verifier reports it.
 *
 * Pure: no I/O, no clock. The ingest feeds it records and high-watermark observations.
 */

export interface IncomingRecord<T> {
  topic: string;
  partition: number;
  offset: bigint;
  /** Kafka record timestamp, ms since the epoch. */
  timestamp: number;
  payload: T;
}

export interface SequencedRecord<T> extends IncomingRecord<T> {
  mergeKey: number;
  /** Offsets [from, to) of this partition that were never delivered before this record. */
  gapBefore: { from: bigint; to: bigint } | undefined;
  /** Appended after a record that sorts after it (see the module comment). */
  late: boolean;
}

/** What the ledger remembers about a partition (the watermark table). */
export interface PartitionWatermark {
  topic: string;
  partition: number;
  /** The next offset the ledger expects: everything below is ledgered or recorded as a duplicate. */
  nextOffset: bigint;
  /** Running-max merge key of the last record below nextOffset; -Infinity before the first. */
  lastKey: number;
}

/** High watermark of a partition and when it was asked for (ms). */
export interface HighWatermark {
  high: bigint;
  observedAt: number;
}

export interface OrderPosition {
  key: number;
  topic: string;
  partition: number;
  offset: bigint;
}

/** Compares two ledger positions in ledger order. */
export const compareOrder = (a: OrderPosition, b: OrderPosition): number => {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  return a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0;
};

export const partitionId = (topic: string, partition: number): string => `${topic}/${partition}`;

interface PartitionState<T> {
  topic: string;
  partition: number;
  /** Next offset expected from Kafka (after the last record received or ledgered). */
  receivedNext: bigint;
  /** Running-max key over everything received. */
  lastKey: number;
  queue: SequencedRecord<T>[];
  head: number;
}

export type OfferResult = 'queued' | 'duplicate' | 'untracked';

export class MergeSequencer<T> {
  readonly #parts = new Map<string, PartitionState<T>>();
  #last: OrderPosition | undefined;

  /** The ledger's position after its last record, so late arrivals are recognised after a restart. */
  constructor(lastAppended?: OrderPosition) {
    this.#last = lastAppended;
  }

  /** Registers a partition with what the ledger has of it; known partitions are left alone. */
  track(w: PartitionWatermark): void {
    const id = partitionId(w.topic, w.partition);
    if (this.#parts.has(id)) return;
    this.#parts.set(id, { topic: w.topic, partition: w.partition, receivedNext: w.nextOffset, lastKey: w.lastKey, queue: [], head: 0 });
  }

  isTracked(topic: string, partition: number): boolean {
    return this.#parts.has(partitionId(topic, partition));
  }

  /** Takes a record from Kafka. Re-deliveries (offset below what was received) are dropped. */
  offer(r: IncomingRecord<T>): OfferResult {
    const p = this.#parts.get(partitionId(r.topic, r.partition));
    if (p === undefined) return 'untracked';
    if (r.offset < p.receivedNext) return 'duplicate';
    const gapBefore = r.offset > p.receivedNext ? { from: p.receivedNext, to: r.offset } : undefined;
    p.lastKey = Math.max(p.lastKey, r.timestamp);
    p.queue.push({ ...r, mergeKey: p.lastKey, gapBefore, late: false });
    p.receivedNext = r.offset + 1n;
    return 'queued';
  }

  /** Records waiting, per partition and in total. */
  pending(topic?: string, partition?: number): number {
    if (topic !== undefined && partition !== undefined) {
      const p = this.#parts.get(partitionId(topic, partition));
      return p === undefined ? 0 : p.queue.length - p.head;
    }
    let n = 0;
    for (const p of this.#parts.values()) n += p.queue.length - p.head;
    return n;
  }

  /** Partitions with nothing waiting whose high watermark would let records through. */
  idlePartitions(): { topic: string; partition: number }[] {
    return [...this.#parts.values()].filter((p) => p.head === p.queue.length).map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  receivedNext(topic: string, partition: number): bigint | undefined {
    return this.#parts.get(partitionId(topic, partition))?.receivedNext;
  }

  /**
   * Removes and returns, in ledger order, up to `max` records that nothing can precede any more.
   * `highWatermarks` holds recent observations for partitions with nothing waiting.
   */
  takeStable(highWatermarks: ReadonlyMap<string, HighWatermark>, settleMs: number, max: number): SequencedRecord<T>[] {
    const out: SequencedRecord<T>[] = [];
    const waiting = [...this.#parts.values()].filter((p) => p.head < p.queue.length);
    if (waiting.length === 0) return out;
    let bound = this.#bound(highWatermarks, settleMs);
    while (out.length < max) {
      let best: PartitionState<T> | undefined;
      for (const p of waiting) {
        if (p.head >= p.queue.length) continue;
        if (best === undefined || compareOrder(position(p.queue[p.head]!), position(best.queue[best.head]!)) < 0) best = p;
      }
      if (best === undefined) break;
      const r = best.queue[best.head]!;
      const pos = position(r);
      if (bound !== undefined && compareOrder(pos, bound) >= 0) break;
      best.head += 1;
      if (this.#last !== undefined && compareOrder(pos, this.#last) < 0) r.late = true;
      else this.#last = pos;
      out.push(r);
      if (best.head === best.queue.length) {
        best.queue = [];
        best.head = 0;
        // It has nothing waiting now: its own limit joins the bound.
        bound = this.#bound(highWatermarks, settleMs);
      }
    }
    for (const p of waiting) {
      if (p.head > 1024 && p.head * 2 > p.queue.length) {
        p.queue = p.queue.slice(p.head);
        p.head = 0;
      }
    }
    return out;
  }

  /** Puts records back at the head of their partitions (an append failed), in order. */
  requeue(records: readonly SequencedRecord<T>[], lastAppended: OrderPosition | undefined): void {
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i]!;
      const p = this.#parts.get(partitionId(r.topic, r.partition));
      if (p === undefined) continue;
      r.late = false;
      if (p.head > 0) {
        p.head -= 1;
        p.queue[p.head] = r;
      } else p.queue.unshift(r);
    }
    this.#last = lastAppended;
  }

  /** The smallest position a record of a partition with nothing waiting could still have. */
  #bound(highWatermarks: ReadonlyMap<string, HighWatermark>, settleMs: number): OrderPosition | undefined {
    let bound: OrderPosition | undefined;
    for (const p of this.#parts.values()) {
      if (p.head < p.queue.length) continue;
      let key = p.lastKey;
      const hw = highWatermarks.get(partitionId(p.topic, p.partition));
      if (hw !== undefined && p.receivedNext >= hw.high) key = Math.max(key, hw.observedAt - settleMs);
      // A future record of p sorts after (key, p.topic, p.partition, -1).
      const limit: OrderPosition = { key, topic: p.topic, partition: p.partition, offset: -1n };
      if (bound === undefined || compareOrder(limit, bound) < 0) bound = limit;
    }
    return bound;
  }
}

const position = (r: SequencedRecord<unknown>): OrderPosition => ({ key: r.mergeKey, topic: r.topic, partition: r.partition, offset: r.offset });
