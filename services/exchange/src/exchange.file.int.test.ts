import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { ControlledClock, REPO_ROOT } from '@govmesh/backbone';
import { readTopic, stackEnv, waitFor } from '@govmesh/backbone/testing';
import { fingerprintItems } from './domain/delivered-copy.ts';
import { traceLeak } from './domain/fingerprint.ts';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestMesh, type TestMesh, loadRecords, person } from './testing.ts';

// Real Kafka and PostgreSQL. Catalog, request and exchange in-process on one test platform: a
// provider loads its entry's records, the request service approves a share for FILE, the
// requester has a file built, fetches it through its link and verifies it offline.
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
const filesDir = mkdtempSync(join(tmpdir(), 'govmesh-files-'));
const TTL_S = 600;
let m: TestMesh;

before(async () => {
  m = await startTestMesh(clock, { FILES_DIR: filesDir, FILE_LINK_TTL_S: String(TTL_S) });
});
after(async () => {
  await m?.stop();
});

const RECORDS = 400;
const load = (entryId: string, rows: unknown[]) => loadRecords(m, entryId, rows);
const build = (dept: string, shareId: string, format: string) => m.as(dept).post(`/v1/shares/${shareId}/files`, { format });
const fetchFile = async (dept: string, url: string) => {
  const res = await fetch(`${m.exchange.httpUrl}${url}`, { headers: { authorization: `Bearer ${m.platform.token(dept)}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, headers: res.headers, bytes, problem: type.startsWith('application/problem+json') ? (JSON.parse(bytes.toString('utf8')) as Record<string, any>) : undefined };
};
const requestStatus = async (shareId: string) => (await m.as(REQUESTER, m.request).get(`/v1/requests/${shareId}`)).body!['share']['status'] as string;
const shareIn = (shareId: string, state: string) => waitFor(`${shareId} ${state} in the exchange`, async () => (await m.exchange.shares.get(shareId))?.state === state);
const requestCmd = async (dept: string, shareId: string, step: string, body: unknown = {}) => {
  const r = await m.as(dept, m.request).post(`/v1/requests/${shareId}/${step}`, body);
  assert.ok(r.status < 300, `${step}: ${r.status} ${JSON.stringify(r.body)}`);
};

/** `npm run verify-file` as a recipient runs it: files on disk, no service. */
const verifyOffline = async (file: Buffer, signed: unknown, publicKeyPem: string): Promise<{ code: number; out: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'govmesh-verify-'));
  writeFileSync(join(dir, 'file'), file);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(signed));
  writeFileSync(join(dir, 'key.pem'), publicKeyPem);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'services/exchange/src/cli/verify-file.ts'), join(dir, 'file'), join(dir, 'manifest.json'), join(dir, 'key.pem')]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
};

/** An entry with RECORDS records and a share approved for FILE delivery of citizen_id, name and income (not household_size). */
const setUp = async () => {
  const entryId = await publishEntry(m);
  await load(entryId, Array.from({ length: RECORDS }, (_, i) => person(i)));
  const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name', 'income'], shareMethod: 'FILE' });
  return { entryId, shareId };
};

describe('file download on the real stack', () => {
  test('DLV-02, DLV-06, SEC-16, SEC-17: the requester builds an NDJSON and a CSV file: only the approved items, masked, fingerprinted for it; the signed manifest verifies offline with the published key', async () => {
    const { entryId, shareId } = await setUp();
    const key = await m.as(OTHER).get('/v1/files/signing-key');
    assert.equal(key.status, 200, 'any department may read the public key');
    assert.equal(key.body!['algorithm'], 'Ed25519');

    const built = await build(REQUESTER, shareId, 'NDJSON');
    assert.equal(built.status, 201, JSON.stringify(built.body));
    const { manifest, signature, download } = built.body! as { manifest: Record<string, any>; signature: Record<string, any>; download: { url: string; expiresAt: string } };
    assert.deepEqual(
      { shareId: manifest['shareId'], recipient: manifest['recipient'], entryId: manifest['entryId'], dataItems: manifest['dataItems'], recordCount: manifest['recordCount'], datasetVersion: manifest['datasetVersion'], format: manifest['format'], watermarkId: manifest['watermarkId'] },
      { shareId, recipient: REQUESTER, entryId, dataItems: ['citizen_id', 'name', 'income'], recordCount: RECORDS, datasetVersion: 1, format: 'NDJSON', watermarkId: `${shareId}/${REQUESTER}` },
    );
    assert.equal(signature['keyId'], key.body!['keyId']);
    assert.equal(Date.parse(download.expiresAt) - clock.now().getTime(), TTL_S * 1000);
    assert.match(download.url, /^\/v1\/files\/file-[^?]+\?token=[A-Za-z0-9_-]{43}$/);

    const got = await fetchFile(REQUESTER, download.url);
    assert.equal(got.status, 200);
    assert.match(got.type, /^application\/x-ndjson/);
    assert.equal(got.headers.get('x-file-sha256'), createHash('sha256').update(got.bytes).digest('hex'));
    const records = got.bytes.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.length, RECORDS);
    for (const r of records) {
      assert.deepEqual(Object.keys(r), ['citizen_id', 'name', 'income'], 'household_size was not approved: it never leaves');
      assert.match(String(r['citizen_id']), /^[0-9a-fA-F]{32}$/, 'IMPORTANT: a keyed pseudonym');
      assert.equal(r['income'], null, 'CORE: withheld');
    }
    assert.ok(!got.bytes.toString('utf8').includes('110101199003070'), 'no identity number in clear');
    // SEC-17: the file names its recipient when traced (the development masking key keys the fingerprint).
    const secret = createHash('sha256').update('govmesh development masking key').digest();
    const items = fingerprintItems({ items: [{ name: 'citizen_id', grade: 'IMPORTANT' }, { name: 'name', grade: 'GENERAL' }, { name: 'income', grade: 'CORE' }], lifted: [] });
    const [best] = traceLeak(records, items, secret, [{ recipient: `${shareId}/${REQUESTER}` }, { recipient: `${shareId}/${OTHER}` }]);
    assert.equal(best!.recipient, `${shareId}/${REQUESTER}`);
    assert.ok(best!.named, `the file names its recipient: ${JSON.stringify(best)}`);

    const ok = await verifyOffline(got.bytes, { manifest, signature }, key.body!['publicKeyPem']);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /^OK\n/);
    const altered = Buffer.from(got.bytes);
    altered[100] = altered[100]! ^ 1;
    const bad = await verifyOffline(altered, { manifest, signature }, key.body!['publicKeyPem']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^FAILED DIGEST_MISMATCH/);
    assert.equal((await m.as(REQUESTER).get(`/v1/files/${manifest['fileId']}/manifest`)).body!['signature']['value'], signature['value']);

    const csv = await build(REQUESTER, shareId, 'CSV');
    assert.equal(csv.status, 201);
    const csvFile = await fetchFile(REQUESTER, csv.body!['download']['url']);
    assert.match(csvFile.type, /^text\/csv/);
    const rows = parse(csvFile.bytes, { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, RECORDS);
    assert.deepEqual(Object.keys(rows[0]!), ['citizen_id', 'name', 'income']);
    assert.equal((await verifyOffline(csvFile.bytes, { manifest: csv.body!['manifest'], signature: csv.body!['signature'] }, key.body!['publicKeyPem'])).code, 0);
  });

  test('DLV-01, REC-01: the first file activates the share (ShareDeliveryStarted by FILE); every build is ledgered as ShareFileBuilt in the share\'s lifecycle', async () => {
    const { shareId } = await setUp();
    assert.equal((await build(REQUESTER, shareId, 'CSV')).status, 201);
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    await shareIn(shareId, 'ACTIVE');
    assert.equal((await build(REQUESTER, shareId, 'NDJSON')).status, 201);
    const types = async () => (await readTopic(stackEnv().KAFKA_BROKERS, `${m.platform.id}.exchange.events`)).filter((x) => x.headers!['ce_correlationid']?.toString() === shareId).map((x) => x.headers!['ce_type']!.toString());
    await waitFor('three exchange events of the share on the topic', async () => (await types()).length >= 3);
    // Two aggregates (the share's deliveries, its files), so two keys and maybe two partitions: no order between them on the topic.
    assert.deepEqual((await types()).sort(), ['govmesh.exchange.v1.ShareDeliveryStarted', 'govmesh.exchange.v1.ShareFileBuilt', 'govmesh.exchange.v1.ShareFileBuilt']);
  });

  test("SUS-04, DLV-02: only the requester fetches, with the link's token; another department cannot build or fetch; an API share gets no file", async () => {
    const { entryId, shareId } = await setUp();
    const built = await build(REQUESTER, shareId, 'CSV');
    const url = built.body!['download']['url'] as string;
    const other = await fetchFile(OTHER, url);
    assert.equal(other.status, 403);
    assert.equal(other.problem!['rule'], 'SUS-04');
    assert.equal((await fetchFile(PROVIDER, url)).status, 403, 'not even the provider');
    const wrongToken = await fetchFile(REQUESTER, url.replace(/token=./, 'token=x'));
    assert.equal(wrongToken.status, 403);
    assert.deepEqual(wrongToken.problem!['violations'].map((v: { field: string }) => v.field), ['token']);
    assert.equal((await fetchFile(REQUESTER, url.replace(/\?.*$/, ''))).status, 400, 'the token is required');
    assert.equal((await build(OTHER, shareId, 'CSV')).status, 403);
    const apiShare = await approvedShare(m, entryId, { items: ['name'], shareMethod: 'API' });
    const refused = await build(REQUESTER, apiShare, 'CSV');
    assert.equal(refused.status, 403);
    assert.equal(refused.body!['rule'], 'DLV-02');
    assert.equal((await fetchFile(REQUESTER, '/v1/files/file-unknown?token=x')).status, 404);
  });

  test('DLV-02: an expired link is refused with 403 naming its expiry, and the expired file is deleted', async () => {
    const { shareId } = await setUp();
    const built = await build(REQUESTER, shareId, 'NDJSON');
    const url = built.body!['download']['url'] as string;
    const fileId = built.body!['manifest']['fileId'] as string;
    assert.equal((await fetchFile(REQUESTER, url)).status, 200);
    clock.advance(TTL_S * 1000);
    try {
      const expired = await fetchFile(REQUESTER, url);
      assert.equal(expired.status, 403);
      assert.deepEqual(expired.problem!['violations'], [{ field: 'link.expiresAt', description: built.body!['download']['expiresAt'] }]);
      assert.match(expired.problem!['detail'], /expired at/);
      // The next build deletes what has expired.
      assert.equal((await build(REQUESTER, shareId, 'CSV')).status, 201);
      assert.ok(!readdirSync(filesDir).some((f) => f.startsWith(fileId)), 'the expired file is gone from FILES_DIR');
    } finally {
      clock.advance(-TTL_S * 1000);
    }
  });

  test("SUS-01, SUS-03: a suspended share's file is refused with 403 naming SUSPENDED (and no new file is built); resumed, the same link serves it again; terminated, never again", async () => {
    const { shareId } = await setUp();
    const built = await build(REQUESTER, shareId, 'CSV');
    const url = built.body!['download']['url'] as string;
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'BEYOND_SCOPE', findings: 'file passed to a contractor', rectificationWorkingDays: 5 });
    await shareIn(shareId, 'SUSPENDED');
    const cut = await fetchFile(REQUESTER, url);
    assert.equal(cut.status, 403);
    assert.equal(cut.problem!['rule'], 'SUS-01');
    assert.match(cut.problem!['detail'], /is SUSPENDED/);
    assert.deepEqual(cut.problem!['violations'], [{ field: 'share.state', description: 'SUSPENDED' }]);
    assert.equal((await build(REQUESTER, shareId, 'CSV')).status, 403);
    await requestCmd(REQUESTER, shareId, 'rectification', { description: 'contract ended, copies deleted' });
    await requestCmd('dept-data-bureau', shareId, 'resumption', { note: 'accepted' });
    await shareIn(shareId, 'ACTIVE');
    const again = await fetchFile(REQUESTER, url);
    assert.equal(again.status, 200, 'resumption reopens the link');
    assert.equal(createHash('sha256').update(again.bytes).digest('hex'), built.body!['manifest']['sha256']);
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'BEYOND_SCOPE', findings: 'again', rectificationWorkingDays: 5 });
    await requestCmd(REQUESTER, shareId, 'rectification', { description: 'said so' });
    await requestCmd('dept-data-bureau', shareId, 'termination', { reason: 'rectification inadequate' });
    await shareIn(shareId, 'TERMINATED');
    const ended = await fetchFile(REQUESTER, url);
    assert.equal(ended.status, 403);
    assert.match(ended.problem!['detail'], /is TERMINATED/);
  });
});
