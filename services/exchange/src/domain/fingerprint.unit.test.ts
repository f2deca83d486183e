import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRACE_THRESHOLD, binomialTail, recipientFingerprint, recordFingerprinter, traceLeak } from './fingerprint.ts';
import { effectiveRule, recordMasker, type MaskedItem } from './masking.ts';

const secret = new TextEncoder().encode('platform fingerprint secret for tests');
const maskKey = new TextEncoder().encode('platform masking key for tests, 32+ bytes');

/** A small deterministic PRNG (mulberry32), so that every run tests the same extract. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const items: MaskedItem[] = [
  { name: 'name', grade: 'IMPORTANT', masking: 'NAME' },
  { name: 'citizen_id', grade: 'IMPORTANT', masking: 'ID_NUMBER' },
  { name: 'phone', grade: 'IMPORTANT', masking: 'PHONE' },
  { name: 'address', grade: 'IMPORTANT', masking: 'ADDRESS_DISTRICT' },
  { name: 'person_key', grade: 'CORE', masking: 'HASH' },
  { name: 'benefit', grade: 'GENERAL' },
];
const rules = items.map((i) => ({ name: i.name, rule: effectiveRule(i, []) }));
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华'];
const DISTRICTS = ['北京市东城区', '北京市海淀区', '河北省石家庄市长安区', '河北省正定县', '上海市浦东新区', '广东省广州市天河区'];

const dataset = (n: number) => {
  const r = prng(20261202);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const digits = (k: number) => Array.from({ length: k }, () => Math.floor(r() * 10)).join('');
  return Array.from({ length: n }, (_, i) => ({
    name: pick(SURNAMES) + pick(GIVEN) + (r() < 0.5 ? pick(GIVEN) : ''),
    citizen_id: `1${digits(5)}19${digits(2)}0${1 + Math.floor(r() * 9)}1${Math.floor(r() * 9)}${digits(3)}${r() < 0.1 ? 'X' : digits(1)}`,
    phone: `13${digits(9)}`,
    address: `${pick(DISTRICTS)}${digits(3)}号`,
    person_key: `p-${i}`,
    benefit: Math.floor(r() * 3000),
  }));
};

const RECIPIENTS = Array.from({ length: 20 }, (_, i) => ({ recipient: `share-${i + 1}/dept-${i + 1}` }));
const records = dataset(10_000);
const masker = recordMasker(items, { lifted: [], key: maskKey });
const copyFor = (recipient: string) => {
  const fingerprint = recordFingerprinter(rules, secret, recipient);
  return records.map((r) => fingerprint(masker(r)));
};

/** A leaker's extract: a random share of the rows, two columns dropped, a share of the values altered, rows shuffled. */
const leak = (copy: Record<string, unknown>[], share: number, seed: number) => {
  const r = prng(seed);
  const rows = copy.filter(() => r() < share).map((row) => {
    const { phone: _p, address: _a, ...kept } = row;
    for (const k of Object.keys(kept)) {
      if (r() < 0.1) kept[k] = typeof kept[k] === 'string' ? `${String(kept[k]).slice(0, -1)}${Math.floor(r() * 10)}` : Number(kept[k]) + 1;
    }
    return kept;
  });
  return rows.sort(() => r() - 0.5);
};

test('SEC-17: a masked copy carries its recipient\'s fingerprint without changing what a recipient may read', () => {
  const copy = copyFor(RECIPIENTS[0]!.recipient);
  const plain = records.slice(0, 200).map(masker);
  copy.slice(0, 200).forEach((row, i) => {
    assert.equal(String(row['citizen_id']).replaceAll('＊', '*'), plain[i]!['citizen_id']);
    assert.equal(String(row['person_key']).toLowerCase(), plain[i]!['person_key']);
    assert.equal(row['benefit'], plain[i]!['benefit'], 'a value in clear is never altered');
    assert.equal(row['name'] === plain[i]!['name'] || String(row['name']).includes('＊'), true);
  });
  // The same value carries the same mark for one recipient: its joins hold.
  const again = recordFingerprinter(rules, secret, RECIPIENTS[0]!.recipient)(masker(records[0]!));
  assert.deepEqual(again, copy[0]);
  // Two recipients' copies differ somewhere.
  const other = copyFor(RECIPIENTS[1]!.recipient);
  assert.ok(copy.some((row, i) => row['citizen_id'] !== other[i]!['citizen_id']));
});

test('SEC-17: a leaked 10% of one of 20 recipients\' rows, two columns dropped and 10% of values altered, names that recipient and no other', () => {
  const guilty = RECIPIENTS[6]!.recipient;
  const scores = traceLeak(leak(copyFor(guilty), 0.1, 7), rules, secret, RECIPIENTS);
  assert.equal(scores[0]!.recipient, guilty);
  assert.equal(scores[0]!.named, true);
  assert.ok(scores[0]!.pInnocent < TRACE_THRESHOLD, `p = ${scores[0]!.pInnocent}`);
  for (const s of scores.slice(1)) {
    assert.equal(s.named, false);
    assert.ok(s.pInnocent > TRACE_THRESHOLD, `${s.recipient} scores ${s.matches}/${s.voted}, p = ${s.pInnocent}`);
  }
});

test('SEC-17: a 1% extract is still traced to its recipient', () => {
  const guilty = RECIPIENTS[13]!.recipient;
  const scores = traceLeak(leak(copyFor(guilty), 0.01, 13), rules, secret, RECIPIENTS);
  assert.equal(scores[0]!.recipient, guilty);
  assert.equal(scores[0]!.named, true);
});

test('SEC-17: data without a fingerprint, or with only values in clear, names nobody', () => {
  assert.ok(traceLeak(records.slice(0, 1000).map(masker), rules, secret, RECIPIENTS).every((s) => !s.named));
  const clearOnly = copyFor(RECIPIENTS[2]!.recipient).map((row) => ({ benefit: row['benefit'] }));
  const scores = traceLeak(clearOnly, rules, secret, RECIPIENTS);
  assert.ok(scores.every((s) => !s.named && s.voted === 0));
});

test('SEC-17: fingerprints are 64 independent-looking bits per recipient; the binomial tail is exact at the edges', () => {
  const a = recipientFingerprint(secret, 'share-1/dept-1');
  const b = recipientFingerprint(secret, 'share-2/dept-2');
  assert.equal(a.length, 64);
  const agree = a.reduce((n, bit, i) => n + (bit === b[i] ? 1 : 0), 0);
  assert.ok(agree > 16 && agree < 48, `${agree} of 64 bits agree`);
  assert.equal(binomialTail(10, 0), 1);
  assert.equal(binomialTail(10, 11), 0);
  assert.ok(Math.abs(binomialTail(10, 10) - 1 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialTail(64, 64) - 2 ** -64) < 1e-30);
});
