import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { GovError } from '@govmesh/backbone';
import { OTHER, REQUESTER, SHARE, T0 } from './delivery-fixtures.ts';
import { fileEncoder } from './file-formats.ts';
import { MANIFEST_CONTEXT, fileLinkAccess, keyId, manifestBytes, signManifest, tokenDigest, verifyFile, type FileLink, type FileManifest } from './file-manifest.ts';

const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);
const content = Buffer.from('{"citizen_id":"a1","name":"居民1"}\n{"citizen_id":"b2","name":"居民2"}\n', 'utf8');
const digest = (b: Buffer) => ({ sha256: createHash('sha256').update(b).digest('hex'), bytes: b.length });

const manifest = (over: Partial<FileManifest> = {}): FileManifest => ({
  fileId: 'file-1', platform: 'national', shareId: SHARE, recipient: REQUESTER, provider: 'dept-public-security', entryId: 'entry-1', dataItems: ['citizen_id', 'name'],
  datasetVersion: 3, recordCount: 2, format: 'NDJSON', ...digest(content), watermarkId: `${SHARE}/${REQUESTER}`, createdAt: '2026-09-21T01:00:00.000Z', expiresAt: '2026-09-21T02:00:00.000Z', ...over,
});

const failure = (v: ReturnType<typeof verifyFile>) => (v.ok ? 'OK' : v.failure);

test('DLV-02: the canonical form signed is the context line and the manifest as canonical JSON (keys sorted, whatever their order)', () => {
  const m = manifest();
  const reordered = Object.fromEntries(Object.entries(m).reverse()) as unknown as FileManifest;
  assert.deepEqual(manifestBytes(reordered), manifestBytes(m));
  const text = manifestBytes(m).toString('utf8');
  assert.ok(text.startsWith(MANIFEST_CONTEXT));
  assert.ok(text.slice(MANIFEST_CONTEXT.length).startsWith('{"bytes":'), 'keys sorted');
  assert.ok(!/\s/.test(text.slice(MANIFEST_CONTEXT.length).replaceAll('居民', '')), 'no whitespace');
});

test('DLV-02: a signed manifest and its file verify offline with the platform public key', () => {
  const signed = signManifest(manifest(), privateKey);
  assert.equal(signed.signature.algorithm, 'Ed25519');
  assert.equal(signed.signature.keyId, keyId(publicKey));
  // A round trip through JSON, as the recipient stores it.
  const v = verifyFile(JSON.parse(JSON.stringify(signed)), publicKey, digest(content));
  assert.equal(failure(v), 'OK');
});

test('DLV-02: one altered byte of the file fails verification naming the digest; a truncated file names the size', () => {
  const signed = signManifest(manifest(), privateKey);
  const altered = Buffer.from(content);
  altered[5] = altered[5]! ^ 1;
  const v = verifyFile(signed, publicKey, digest(altered));
  assert.equal(failure(v), 'DIGEST_MISMATCH');
  assert.match((v as { reason: string }).reason, /altered/);
  assert.equal(failure(verifyFile(signed, publicKey, digest(content.subarray(1)))), 'SIZE_MISMATCH');
});

test('DLV-02: an altered manifest (a record count, an item added) fails its signature; a field added is refused as unsigned', () => {
  const signed = signManifest(manifest(), privateKey);
  assert.equal(failure(verifyFile({ ...signed, manifest: { ...signed.manifest, recordCount: 1 } }, publicKey, digest(content))), 'SIGNATURE_INVALID');
  assert.equal(failure(verifyFile({ ...signed, manifest: { ...signed.manifest, dataItems: ['citizen_id', 'name', 'income'] } }, publicKey, digest(content))), 'SIGNATURE_INVALID');
  assert.equal(failure(verifyFile({ ...signed, manifest: { ...signed.manifest, note: 'x' } }, publicKey, digest(content))), 'MANIFEST_MALFORMED');
  assert.equal(failure(verifyFile({ manifest: { fileId: 'f' }, signature: signed.signature }, publicKey, digest(content))), 'MANIFEST_MALFORMED');
  assert.equal(failure(verifyFile('not a manifest', publicKey, digest(content))), 'MANIFEST_MALFORMED');
});

test('DLV-02: a manifest signed by another key fails, naming the key; a forged key id with a foreign signature fails the signature', () => {
  const other = generateKeyPairSync('ed25519').privateKey;
  const signed = signManifest(manifest(), other);
  assert.equal(failure(verifyFile(signed, publicKey, digest(content))), 'KEY_MISMATCH');
  const forged = { ...signed, signature: { ...signed.signature, keyId: keyId(publicKey) } };
  assert.equal(failure(verifyFile(forged, publicKey, digest(content))), 'SIGNATURE_INVALID');
});

const link = (over: Partial<FileLink> = {}): FileLink => ({ fileId: 'file-1', shareId: SHARE, recipient: REQUESTER, tokenSha256: tokenDigest('secret-token'), expiresAt: new Date(T0.getTime() + 3600_000).toISOString(), ...over });
const refusal = (f: () => void): { rule: string | undefined; field: string | undefined; message: string } => {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof GovError);
    assert.equal(err.code, 'GOV_ERR_AUTH_FORBIDDEN');
    return { rule: err.rule, field: err.violations[0]?.field, message: err.message };
  }
  return assert.fail('expected a refusal');
};

test('SUS-04: a file link serves its recipient only, with the token issued for it', () => {
  assert.doesNotThrow(() => fileLinkAccess(link(), REQUESTER, 'secret-token', T0));
  assert.equal(refusal(() => fileLinkAccess(link(), OTHER, 'secret-token', T0)).rule, 'SUS-04');
  assert.equal(refusal(() => fileLinkAccess(link(), REQUESTER, 'secret-tokem', T0)).field, 'token');
  assert.equal(refusal(() => fileLinkAccess(link(), REQUESTER, '', T0)).field, 'token');
});

test('DLV-02: an expired link is refused naming its expiry, from the expiry instant on', () => {
  const l = link();
  assert.doesNotThrow(() => fileLinkAccess(l, REQUESTER, 'secret-token', new Date(Date.parse(l.expiresAt) - 1)));
  const r = refusal(() => fileLinkAccess(l, REQUESTER, 'secret-token', new Date(l.expiresAt)));
  assert.equal(r.field, 'link.expiresAt');
  assert.match(r.message, /expired at/);
});

test('DLV-06: a file is CSV (RFC 4180, header of the approved items, quoted where needed) or NDJSON (the items in order, null when withheld)', () => {
  const csv = fileEncoder('CSV', ['citizen_id', 'name', 'income']);
  assert.equal(csv.header, 'citizen_id,name,income\r\n');
  assert.equal(csv.line({ citizen_id: 'a1', name: '张, "三"', income: null }), 'a1,"张, ""三""",\r\n');
  assert.equal(csv.line({ citizen_id: ' a', name: 'x\ny', income: 12.5, other: 'never' }), '" a","x\ny",12.5\r\n');
  const nd = fileEncoder('NDJSON', ['name', 'citizen_id']);
  assert.equal(nd.header, '');
  assert.equal(nd.line({ citizen_id: 'a1', other: 'never' }), '{"name":null,"citizen_id":"a1"}\n');
});
