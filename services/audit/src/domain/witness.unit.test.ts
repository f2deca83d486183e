import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CompactRange, consistencyProof, formatCheckpoint, generateSigner, leafHash, signNote, verifierFromVkey } from '@govmesh/ledger';
import { decideAddCheckpoint, formatAddCheckpoint, parseAddCheckpoint } from './witness.ts';

const ORIGIN = 'govmesh.gov.cn/region-130000/ledger';
const log = generateSigner(ORIGIN);
const logs = new Map([[ORIGIN, verifierFromVkey(log.vkey)]]);
const hashes = Array.from({ length: 20 }, (_, i) => leafHash(createHash('sha256').update(String(i)).digest()));
const rootAt = (n: number) => {
  const r = new CompactRange();
  hashes.slice(0, n).forEach((h) => r.append(h));
  return r.root();
};
const note = (size: number, root = rootAt(size), signer = log.signer) => signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: root }), signer);
const request = (old: number, size: number, n = note(size)) => {
  const parsed = parseAddCheckpoint(formatAddCheckpoint(old, consistencyProof(old, size, (i) => hashes[i]!), n));
  assert.ok(!('error' in parsed));
  return parsed;
};

test('tlog-witness: the first checkpoint of a log is cosigned from size 0, and the next needs a valid consistency proof', () => {
  const first = decideAddCheckpoint(request(0, 5), logs, undefined);
  assert.equal(first.status, 200);
  const next = decideAddCheckpoint(request(5, 12), logs, { size: 5, rootHash: rootAt(5) });
  assert.equal(next.status, 200);
});

test('tlog-witness: a stale old size is 409 with the witness size; a bad proof or a fork is 422', () => {
  const stale = decideAddCheckpoint(request(3, 12), logs, { size: 5, rootHash: rootAt(5) });
  assert.deepEqual([stale.status, stale.status === 409 ? stale.size : -1], [409, 5]);
  const forged = parseAddCheckpoint(formatAddCheckpoint(5, consistencyProof(5, 12, (i) => hashes[i]!), note(12, rootAt(13))));
  assert.ok(!('error' in forged));
  assert.equal(decideAddCheckpoint(forged, logs, { size: 5, rootHash: rootAt(5) }).status, 422);
  assert.equal(decideAddCheckpoint(request(5, 5, note(5, rootAt(6))), logs, { size: 5, rootHash: rootAt(5) }).status, 422, 'two roots for one size');
  const same = decideAddCheckpoint(request(5, 5), logs, { size: 5, rootHash: rootAt(5) });
  assert.ok(same.status === 200 && same.unchanged);
});

test('tlog-witness: unknown logs are 404, foreign signatures 403, malformed bodies are refused', () => {
  const other = generateSigner('govmesh.gov.cn/other/ledger');
  const unknown = signNote(formatCheckpoint({ origin: other.name, size: 1, rootHash: rootAt(1) }), other.signer);
  assert.equal(decideAddCheckpoint({ old: 0, proof: [], note: unknown }, logs, undefined).status, 404);
  const impostor = generateSigner(ORIGIN);
  assert.equal(decideAddCheckpoint({ old: 0, proof: [], note: note(3, rootAt(3), impostor.signer) }, logs, undefined).status, 403);
  assert.match(String((parseAddCheckpoint('old x\n\nnote') as { error: string }).error), /old <size>/);
  assert.match(String((parseAddCheckpoint('old 1\nnot-a-hash\n\nnote') as { error: string }).error), /proof line 1/);
  assert.match(String((parseAddCheckpoint('old 1\n') as { error: string }).error), /blank line/);
});
