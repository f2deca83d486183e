import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareOrder, MergeSequencer, partitionId, type HighWatermark, type SequencedRecord } from './sequencer.ts';

interface Rec {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  /** When the record lands in the log (>= timestamp). */
  appendedAt: number;
}

const PARTS = [
  { topic: 'p.catalog.events', partition: 0 },
  { topic: 'p.catalog.events', partition: 1 },
  { topic: 'p.directory.events', partition: 0 },
  { topic: 'p.request.events', partition: 2 },
];

/** The order a ledger rebuilt from the complete topics must have. */
const replayOrder = (recs: Rec[]): string[] => {
  const keyed = PARTS.flatMap(({ topic, partition }) => {
    let last = -Infinity;
    return recs
      .filter((r) => r.topic === topic && r.partition === partition)
      .sort((a, b) => Number(a.offset - b.offset))
      .map((r) => {
        last = Math.max(last, r.timestamp);
        return { ...r, key: last };
      });
  });
  return keyed.sort((a, b) => compareOrder(a, b)).map((r) => `${r.topic}/${r.partition}/${r.offset}`);
};

const recordsArb = (maxDelay: number) =>
  fc
    .array(fc.record({ part: fc.integer({ min: 0, max: PARTS.length - 1 }), ts: fc.integer({ min: 0, max: 2000 }), delay: fc.integer({ min: 0, max: maxDelay }) }), { maxLength: 60 })
    .map((xs) => {
      // Offsets follow append order within a partition, like a broker assigns them.
      const sorted = xs.map((x, i) => ({ ...x, i })).sort((a, b) => a.ts + a.delay - (b.ts + b.delay) || a.i - b.i);
      const next = new Map<number, bigint>();
      return sorted.map((x): Rec => {
        const o = next.get(x.part) ?? 0n;
        next.set(x.part, o + 1n);
        return { ...PARTS[x.part]!, offset: o, timestamp: x.ts, appendedAt: x.ts + x.delay };
      });
    });

const fresh = () => {
  const s = new MergeSequencer<null>();
  for (const p of PARTS) s.track({ ...p, nextOffset: 0n, lastKey: -Infinity });
  return s;
};

const ids = (rs: SequencedRecord<null>[]) => rs.map((r) => `${r.topic}/${r.partition}/${r.offset}`);
const offer = (s: MergeSequencer<null>, r: Rec) => s.offer({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, payload: null });

describe('ledger order', () => {
  test('T9: catching up on complete topics, in any read interleaving and batch split, gives the replay order', () => {
    fc.assert(
      fc.property(recordsArb(0), fc.array(fc.nat(), { maxLength: 80 }), fc.integer({ min: 1, max: 7 }), (recs, picks, batch) => {
        const s = fresh();
        const queues = PARTS.map((p) => recs.filter((r) => r.topic === p.topic && r.partition === p.partition));
        // Complete topics: every high watermark is the full length, observed long after the last record.
        const hw = new Map<string, HighWatermark>(PARTS.map((p, i) => [partitionId(p.topic, p.partition), { high: BigInt(queues[i]!.length), observedAt: 1e9 }]));
        const out: SequencedRecord<null>[] = [];
        let k = 0;
        while (queues.some((q) => q.length > 0)) {
          const nonEmpty = queues.filter((q) => q.length > 0);
          const q = nonEmpty[(picks[k++ % Math.max(picks.length, 1)] ?? 0) % nonEmpty.length]!;
          offer(s, q.shift()!);
          out.push(...s.takeStable(hw, 300, batch));
        }
        while (s.pending() > 0) out.push(...s.takeStable(hw, 300, batch));
        assert.deepEqual(ids(out), replayOrder(recs));
        assert.ok(out.every((r) => !r.late));
      }),
    );
  });

  test('T9: live ingest, records landing within the settle time, gives the replay order', () => {
    fc.assert(
      fc.property(recordsArb(250), fc.integer({ min: 1, max: 40 }), (recs, step) => {
        const s = fresh();
        const out: SequencedRecord<null>[] = [];
        const byAppend = [...recs].sort((a, b) => a.appendedAt - b.appendedAt);
        let i = 0;
        for (let now = 0; now <= 3000; now += step) {
          while (i < byAppend.length && byAppend[i]!.appendedAt <= now) offer(s, byAppend[i++]!);
          // High watermarks as the broker would answer at `now`.
          const hw = new Map<string, HighWatermark>(
            PARTS.map((p) => [partitionId(p.topic, p.partition), { high: BigInt(recs.filter((r) => r.topic === p.topic && r.partition === p.partition && r.appendedAt <= now).length), observedAt: now }]),
          );
          out.push(...s.takeStable(hw, 300, 1000));
        }
        assert.deepEqual(ids(out), replayOrder(recs));
      }),
    );
  });

  test('an idle partition holds records back until it is known to be caught up and the settle time passed', () => {
    const s = fresh();
    offer(s, { ...PARTS[0]!, offset: 0n, timestamp: 1000, appendedAt: 1000 });
    assert.deepEqual(s.takeStable(new Map(), 300, 10), [], 'no high watermark: the other partitions may hold earlier records');
    const caughtUp = (observedAt: number) => new Map(PARTS.slice(1).map((p) => [partitionId(p.topic, p.partition), { high: 0n, observedAt }]));
    assert.deepEqual(s.takeStable(caughtUp(1200), 300, 10), [], 'a record stamped 1000 may still land on an idle partition at 1200');
    assert.equal(s.takeStable(caughtUp(1301), 300, 10).length, 1);
  });

  test('a record landing later than the settle time is still ledgered, flagged late', () => {
    const s = fresh();
    const hwAt = (now: number, highs: number[]) => new Map(PARTS.map((p, i) => [partitionId(p.topic, p.partition), { high: BigInt(highs[i] ?? 0), observedAt: now }]));
    offer(s, { ...PARTS[0]!, offset: 0n, timestamp: 1000, appendedAt: 1000 });
    assert.equal(s.takeStable(hwAt(2000, [1]), 300, 10).length, 1);
    // Stamped at 900 but appended at 2100: a producer stuck in retries.
    offer(s, { ...PARTS[1]!, offset: 0n, timestamp: 900, appendedAt: 2100 });
    const [late] = s.takeStable(hwAt(3000, [1, 1]), 300, 10);
    assert.equal(late?.late, true);
  });

  test('re-deliveries are dropped and a jump in offsets is reported on the next record', () => {
    const s = fresh();
    const p = PARTS[0]!;
    assert.equal(offer(s, { ...p, offset: 0n, timestamp: 1, appendedAt: 1 }), 'queued');
    assert.equal(offer(s, { ...p, offset: 0n, timestamp: 1, appendedAt: 1 }), 'duplicate');
    assert.equal(offer(s, { ...p, offset: 5n, timestamp: 2, appendedAt: 2 }), 'queued');
    assert.equal(s.offer({ topic: 'p.unknown.events', partition: 0, offset: 0n, timestamp: 1, payload: null }), 'untracked');
    const out = s.takeStable(new Map(PARTS.map((x) => [partitionId(x.topic, x.partition), { high: 0n, observedAt: 1e6 }])), 0, 10);
    assert.deepEqual(out[1]?.gapBefore, { from: 1n, to: 5n });
  });

  test('after a restart the running key continues from the watermark, and requeued records come out again in order', () => {
    const s = new MergeSequencer<null>({ key: 5000, topic: PARTS[0]!.topic, partition: 0, offset: 9n });
    for (const p of PARTS) s.track({ ...p, nextOffset: p.partition === 0 && p.topic === PARTS[0]!.topic ? 10n : 0n, lastKey: p === PARTS[0] ? 5000 : -Infinity });
    offer(s, { ...PARTS[0]!, offset: 10n, timestamp: 10, appendedAt: 10 });
    offer(s, { ...PARTS[0]!, offset: 11n, timestamp: 6000, appendedAt: 6000 });
    const hw = new Map(PARTS.map((p) => [partitionId(p.topic, p.partition), { high: p === PARTS[0] ? 12n : 0n, observedAt: 1e6 }]));
    const out = s.takeStable(hw, 0, 10);
    assert.deepEqual(out.map((r) => r.mergeKey), [5000, 6000], 'an older timestamp does not lower the key');
    assert.ok(out.every((r) => !r.late));
    s.requeue(out, { key: 5000, topic: PARTS[0]!.topic, partition: 0, offset: 9n });
    assert.deepEqual(ids(s.takeStable(hw, 0, 10)), ids(out));
  });
});
