import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRACE_THRESHOLD, binomialTail, recipientFingerprint, recordFingerprinter, traceLeak } from './fingerprint.ts';
import { effectiveRule, recordMasker } from './masking.ts';
import { leakedExtract, personDataset, personItems as items } from './fixtures.ts';

const secret = new TextEncoder().encode('platform fingerprint secret for tests');
const maskKey = new TextEncoder().encode('platform masking key for tests, 32+ bytes');

const RECIPIENTS = Array.from({ length: 20 }, (_, i) => ({ recipient: `share-${i + 1}/dept-${i + 1}` }));
const records = personDataset(10_000);
const rules = items.map((i) => ({ name: i.name, rule: effectiveRule(i, []) }));
const masker = recordMasker(items, { lifted: [], key: maskKey });
const copyFor = (recipient: string) => {
  const fingerprint = recordFingerprinter(rules, secret, recipient);
  return records.map((r) => fingerprint(masker(r)));
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
  const scores = traceLeak(leakedExtract(copyFor(guilty), 0.1, 7), rules, secret, RECIPIENTS);
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
  const scores = traceLeak(leakedExtract(copyFor(guilty), 0.01, 13), rules, secret, RECIPIENTS);
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
