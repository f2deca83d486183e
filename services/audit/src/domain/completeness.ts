import { compareOrder, partitionId, type OrderPosition } from './sequencer.ts';

/**
 * Completeness, not only integrity. A Merkle log proves that what was logged is unchanged; these
 * checks show that nothing is missing and nothing is out of place:
 *
 *   offsets    each topic-partition's offsets run from the log start without a hole; an offset
 *              absent from the ledger must be a recorded duplicate ("seen again"). Our producers
 *              are idempotent, not transactional, so Kafka has no control records here and any
 *              hole means a record that was not ledgered.
 *   sequence   each aggregate's version (ce_aggregateversion; ce_sequence before ADR 0009) goes 1, 2, 3... without a hole or a
 *              repeat. An aggregate first seen above version 1 is a warning: its earlier events
 *              are not on this platform's topics.
 *   order      entries follow the ledger order (see sequencer.ts); an entry out of order is a
 *              failure unless the ingest flagged it late.
 *   duplicates a ce_id is ledgered once; its re-sends are in the seen-again list, with the same
 *              content.
 *
 * Streaming and pure: the verifier and the service feed entries in ledger order.
 */
export type FindingLevel = 'fail' | 'warn';

export interface Finding {
  level: FindingLevel;
  check: 'offsets' | 'sequence' | 'order' | 'duplicates';
  message: string;
  index?: number;
  topic?: string;
  partition?: number;
  offset?: string;
  ceId?: string;
}

export interface CheckedEntry {
  index: number;
  topic: string;
  partition: number;
  offset: bigint;
  ceId: string;
  ceSubject: string;
  sequence: string | undefined;
  timestampMs: number;
  /** contentDigest of the record; only looked at for ce_ids that were seen again. */
  digest: () => string;
}

export interface SeenAgainEntry {
  topic: string;
  partition: number;
  offset: bigint;
  ceId: string;
  firstIndex: number;
  timestampMs: number;
  digest: string;
}

export interface CompletenessOptions {
  seenAgain?: readonly SeenAgainEntry[];
  /** Entries the ingest flagged as appended late. */
  late?: ReadonlySet<number>;
  /** First offset of each partition when the ledger first saw it (its log start); default 0. */
  logStart?: ReadonlyMap<string, bigint>;
  /** The next offset the ledger says it expects per partition (its watermark). */
  watermarks?: ReadonlyMap<string, bigint>;
}

interface PartitionProgress {
  topic: string;
  partition: number;
  expected: bigint;
  key: number;
  seenAgain: SeenAgainEntry[];
  next: number;
  lastIndex: number | undefined;
}

const at = (e: { index: number; topic: string; partition: number; offset: bigint; ceId: string }) =>
  `entry ${e.index} (${e.topic}/${e.partition}/${e.offset}, ce_id ${e.ceId || '-'})`;

const range = (from: bigint, to: bigint) => (to - from === 1n ? `offset ${from}` : `offsets ${from}..${to - 1n}`);

export class CompletenessChecker {
  readonly #o: CompletenessOptions;
  readonly #parts = new Map<string, PartitionProgress>();
  readonly #findings: Finding[] = [];
  readonly #ceIds = new Map<string, number>();
  readonly #digests = new Map<string, string>();
  readonly #watchedCeIds: Set<string>;
  readonly #aggregates = new Map<string, { version: number; index: number }>();
  #last: (OrderPosition & { index: number }) | undefined;
  #count = 0;

  constructor(opts: CompletenessOptions = {}) {
    this.#o = opts;
    this.#watchedCeIds = new Set((opts.seenAgain ?? []).map((s) => s.ceId));
    for (const s of opts.seenAgain ?? []) this.#part(s.topic, s.partition).seenAgain.push(s);
    for (const p of this.#parts.values()) p.seenAgain.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  }

  get entries(): number {
    return this.#count;
  }

  #part(topic: string, partition: number): PartitionProgress {
    const id = partitionId(topic, partition);
    let p = this.#parts.get(id);
    if (p === undefined) {
      p = { topic, partition, expected: this.#o.logStart?.get(id) ?? 0n, key: -Infinity, seenAgain: [], next: 0, lastIndex: undefined };
      this.#parts.set(id, p);
    }
    return p;
  }

  #fail(f: Omit<Finding, 'level'>): void {
    this.#findings.push({ level: 'fail', ...f });
  }

  /** Walks the partition's offsets up to `offset`, absorbing recorded duplicates and reporting holes. */
  #advance(p: PartitionProgress, offset: bigint, before: string): void {
    while (p.next < p.seenAgain.length && p.seenAgain[p.next]!.offset < offset) {
      const s = p.seenAgain[p.next++]!;
      if (s.offset > p.expected) {
        this.#fail({ check: 'offsets', message: `${p.topic}/${p.partition}: ${range(p.expected, s.offset)} missing (before the duplicate at offset ${s.offset})`, topic: p.topic, partition: p.partition, offset: String(p.expected) });
      } else if (s.offset < p.expected) {
        this.#fail({ check: 'offsets', message: `${p.topic}/${p.partition}: offset ${s.offset} is both ledgered and recorded as a duplicate`, topic: p.topic, partition: p.partition, offset: String(s.offset) });
        continue;
      }
      p.expected = s.offset + 1n;
      p.key = Math.max(p.key, s.timestampMs);
    }
    if (offset > p.expected) {
      this.#fail({ check: 'offsets', message: `${p.topic}/${p.partition}: ${range(p.expected, offset)} missing ${before}`, topic: p.topic, partition: p.partition, offset: String(p.expected) });
    }
  }

  add(e: CheckedEntry): void {
    this.#count += 1;
    const p = this.#part(e.topic, e.partition);
    this.#advance(p, e.offset, `before ${at(e)}`);
    if (e.offset < p.expected) {
      this.#fail({ check: 'offsets', message: `${at(e)} repeats or goes back: offset ${p.expected} was expected`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
    }
    p.expected = e.offset >= p.expected ? e.offset + 1n : p.expected;
    p.key = Math.max(p.key, e.timestampMs);
    p.lastIndex = e.index;

    const pos = { key: p.key, topic: e.topic, partition: e.partition, offset: e.offset, index: e.index };
    if (this.#last !== undefined && compareOrder(pos, this.#last) < 0) {
      if (this.#o.late?.has(e.index)) {
        this.#findings.push({ level: 'warn', check: 'order', message: `${at(e)} was appended late (it sorts before entry ${this.#last.index}); a ledger rebuilt from the topics places it earlier`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
      } else {
        this.#fail({ check: 'order', message: `${at(e)} is out of ledger order: it sorts before entry ${this.#last.index}`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
      }
    } else this.#last = pos;

    if (e.ceId !== '') {
      const first = this.#ceIds.get(e.ceId);
      if (first !== undefined) {
        this.#fail({ check: 'duplicates', message: `${at(e)} repeats the ce_id of entry ${first}`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
      } else {
        this.#ceIds.set(e.ceId, e.index);
        if (this.#watchedCeIds.has(e.ceId)) this.#digests.set(e.ceId, e.digest());
      }
    }

    if (e.sequence !== undefined && /^[1-9][0-9]{0,14}$/.test(e.sequence) && e.ceSubject !== '') {
      const version = Number(e.sequence);
      const aggregate = `${e.topic} ${e.ceSubject}`;
      const prev = this.#aggregates.get(aggregate);
      const name = `aggregate ${e.ceSubject} on ${e.topic}`;
      if (prev === undefined) {
        if (version > 1) this.#findings.push({ level: 'warn', check: 'sequence', message: `${name} is first seen at version ${version} in ${at(e)}: versions 1..${version - 1} are not on this platform's topics`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
      } else if (version > prev.version + 1) {
        const missing = version - prev.version === 2 ? `version ${prev.version + 1}` : `versions ${prev.version + 1}..${version - 1}`;
        this.#fail({ check: 'sequence', message: `${name}: ${missing} missing between entry ${prev.index} (version ${prev.version}) and ${at(e)} (version ${version})`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
      } else if (version <= prev.version) {
        this.#fail({ check: 'sequence', message: `${name}: ${at(e)} has version ${version} after version ${prev.version} (entry ${prev.index})`, index: e.index, topic: e.topic, partition: e.partition, offset: String(e.offset), ceId: e.ceId });
      }
      if (prev === undefined || version > prev.version) this.#aggregates.set(aggregate, { version, index: e.index });
    }
  }

  /** Ends the walk: trailing holes, watermark claims, and the duplicates' references. */
  finish(): Finding[] {
    for (const id of this.#o.watermarks?.keys() ?? []) {
      const slash = id.lastIndexOf('/');
      this.#part(id.slice(0, slash), Number(id.slice(slash + 1)));
    }
    for (const [id, p] of this.#parts) {
      const lastDuplicate = p.seenAgain.at(-1);
      let end = this.#o.watermarks?.get(id) ?? p.expected;
      if (lastDuplicate !== undefined && lastDuplicate.offset + 1n > end) end = lastDuplicate.offset + 1n;
      this.#advance(p, end, `at the end of the ledger (its watermark is ${end})`);
      if (end > p.expected) p.expected = end;
    }
    for (const s of this.#o.seenAgain ?? []) {
      const first = this.#ceIds.get(s.ceId);
      const where = `${s.topic}/${s.partition}/${s.offset}`;
      if (first === undefined) {
        this.#fail({ check: 'duplicates', message: `duplicate at ${where} names ce_id ${s.ceId}, which is not in the ledger`, topic: s.topic, partition: s.partition, offset: String(s.offset), ceId: s.ceId });
      } else if (first !== s.firstIndex) {
        this.#fail({ check: 'duplicates', message: `duplicate at ${where} says ce_id ${s.ceId} is entry ${s.firstIndex}, but it is entry ${first}`, index: first, topic: s.topic, partition: s.partition, offset: String(s.offset), ceId: s.ceId });
      } else if (this.#digests.get(s.ceId) !== s.digest) {
        this.#fail({ check: 'duplicates', message: `ce_id ${s.ceId} at ${where} was re-used for different content than entry ${first}`, index: first, topic: s.topic, partition: s.partition, offset: String(s.offset), ceId: s.ceId });
      }
    }
    return this.#findings;
  }
}
