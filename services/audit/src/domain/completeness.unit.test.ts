import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletenessChecker, type CheckedEntry, type Finding, type SeenAgainEntry } from './completeness.ts';

const T = 'p.catalog.events';

/** A clean ledger: two aggregates over two partitions, interleaved in ledger order. */
const clean = (): CheckedEntry[] => {
  const rows: [number, bigint, string, string][] = [
    [0, 0n, 'e-1', '1'],
    [1, 0n, 'e-2', '1'],
    [0, 1n, 'e-1', '2'],
    [1, 1n, 'e-2', '2'],
    [0, 2n, 'e-1', '3'],
  ];
  return rows.map(([partition, offset, subject, sequence], index) => ({
    index,
    topic: T,
    partition,
    offset,
    ceId: `id-${index}`,
    ceSubject: subject,
    sequence,
    timestampMs: 1000 + index,
    digest: () => `d-${index}`,
  }));
};

const run = (entries: CheckedEntry[], opts: ConstructorParameters<typeof CompletenessChecker>[0] = {}): Finding[] => {
  const c = new CompletenessChecker(opts);
  for (const e of entries) c.add(e);
  return c.finish();
};

const fails = (fs: Finding[]) => fs.filter((f) => f.level === 'fail');

test('a complete ledger has no findings', () => {
  assert.deepEqual(run(clean()), []);
});

test('a dropped record is a gap naming topic, partition and offset, and the aggregate version it carried', () => {
  const entries = clean().filter((e) => e.index !== 2);
  const f = fails(run(entries));
  const offsets = f.find((x) => x.check === 'offsets');
  assert.equal(offsets?.topic, T);
  assert.equal(offsets?.partition, 0);
  assert.equal(offsets?.offset, '1');
  assert.match(offsets!.message, /p\.catalog\.events\/0: offset 1 missing before entry 4 \(p\.catalog\.events\/0\/2, ce_id id-4\)/);
  assert.match(f.find((x) => x.check === 'sequence')!.message, /aggregate e-1 on p\.catalog\.events: version 2 missing between entry 0 \(version 1\) and entry 4/);
});

test('a record missing at the end of a partition is caught through the watermark', () => {
  const f = fails(run(clean().slice(0, 4), { watermarks: new Map([[`${T}/0`, 3n]]) }));
  assert.match(f[0]!.message, /offset 2 missing at the end of the ledger/);
});

test('reordered entries are named; a late entry flagged by the ingest is only a warning', () => {
  const e = clean();
  const swapped = [e[0]!, e[2]!, e[1]!, e[3]!, e[4]!].map((x, i) => ({ ...x, index: i }));
  const f = fails(run(swapped));
  assert.ok(f.some((x) => x.check === 'order' && x.index === 2 && /sorts before entry 1/.test(x.message)));
  const late = run(swapped, { late: new Set([2]) });
  assert.deepEqual(fails(late), []);
  assert.equal(late.find((x) => x.check === 'order')?.level, 'warn');
});

test('a recorded duplicate explains its offset; a duplicate with other content or no original fails', () => {
  const e = clean();
  // The relay re-sent id-0 at offset 3 of partition 0: not ledgered again.
  const dup: SeenAgainEntry = { topic: T, partition: 0, offset: 3n, ceId: 'id-0', firstIndex: 0, timestampMs: 1010, digest: 'd-0' };
  const withFifth = [...e, { ...e[4]!, index: 5, offset: 4n, ceId: 'id-5', sequence: '4', timestampMs: 1011 }];
  assert.deepEqual(run(withFifth, { seenAgain: [dup] }), []);
  assert.match(fails(run(withFifth))[0]!.message, /offset 3 missing before entry 5/);
  assert.match(fails(run(withFifth, { seenAgain: [{ ...dup, digest: 'other' }] }))[0]!.message, /re-used for different content than entry 0/);
  assert.match(fails(run(withFifth, { seenAgain: [{ ...dup, ceId: 'nope' }] }))[0]!.message, /not in the ledger/);
});

test('a repeated ce_id among entries and a repeated version fail; an aggregate first seen above version 1 warns', () => {
  const e = clean();
  e[3] = { ...e[3]!, ceId: 'id-1' };
  e[4] = { ...e[4]!, sequence: '2' };
  const f = run(e);
  assert.ok(f.some((x) => x.level === 'fail' && x.check === 'duplicates' && x.index === 3));
  assert.ok(f.some((x) => x.level === 'fail' && x.check === 'sequence' && /version 2 after version 2/.test(x.message)));
  const late = run([{ ...clean()[0]!, sequence: '7' }]);
  assert.deepEqual(late.map((x) => x.level), ['warn']);
});

test('a partition that starts above offset 0 is fine when that was its log start', () => {
  const e = clean().map((x) => (x.partition === 1 ? { ...x, offset: x.offset + 10n } : x));
  assert.equal(fails(run(e)).length, 1);
  assert.deepEqual(run(e, { logStart: new Map([[`${T}/1`, 10n]]) }), []);
});
