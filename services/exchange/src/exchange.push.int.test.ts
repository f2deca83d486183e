import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlledClock } from '@govmesh/backbone';
import { waitFor } from '@govmesh/backbone/testing';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestMesh, type TestMesh, loadRecords, person } from './testing.ts';
import { duplicates, pushableContent, pushedRecords, servedPushSchema, waitForPushed } from './push-testing.ts';

// Real Kafka and PostgreSQL. Catalog, request and exchange in-process on one test platform: a
// provider loads its entry's records, the request service approves a BATCH share, and the
// exchange pushes the records to the requester's delivery topic, which the test reads as the
// department would (plain kafkajs, the schema the API serves).
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let m: TestMesh;

before(async () => {
  m = await startTestMesh(clock, { PUSH_POLL_MS: '100', PUSH_BATCH: '10' });
});
after(async () => {
  await m?.stop();
});

const load = (entryId: string, rows: unknown[]) => loadRecords(m, entryId, rows);
const token = () => m.platform.token(REQUESTER);
const pushed = (shareId: string, n: number) => waitForPushed(m.exchange.httpUrl, token(), shareId, n);
const shareIn = (shareId: string, state: string) => waitFor(`${shareId} ${state} in the exchange`, async () => (await m.exchange.shares.get(shareId))?.state === state);
const requestStatus = async (shareId: string) => (await m.as(REQUESTER, m.request).get(`/v1/requests/${shareId}`)).body!['share']['status'] as string;
const requestCmd = async (dept: string, shareId: string, step: string, body: unknown = {}) => {
  const r = await m.as(dept, m.request).post(`/v1/requests/${shareId}/${step}`, body);
  assert.ok(r.status < 300, `${step}: ${r.status} ${JSON.stringify(r.body)}`);
};

/** A BATCH share of a loaded entry, approved for citizen_id, name and income (not household_size). */
const setUp = async (records = 25) => {
  const entryId = await publishEntry(m, pushableContent());
  await load(entryId, Array.from({ length: records }, (_, i) => person(i)));
  const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name', 'income'], shareMethod: 'BATCH' });
  return { entryId, shareId };
};

describe('batch push on the real stack', () => {
  test("DLV-02, DLV-06, SEC-16: a BATCH share's records arrive on the requester's delivery topic, decodable with the served schema, only the approved items, masked; the first push activates the share", async () => {
    const { shareId } = await setUp();
    const served = await servedPushSchema(m.exchange.httpUrl, token(), shareId);
    assert.equal(served.topic, `${m.platform.id}.delivery.${REQUESTER}`);
    assert.deepEqual(served.fields.map((f) => [f.item, f.rule]), [['citizen_id', 'HASH'], ['name', 'NONE'], ['income', 'REDACT']]);
    const got = await pushed(shareId, 25);
    assert.equal(got.length, 25);
    for (const r of got) {
      assert.deepEqual(Object.keys(r.value), ['citizen_id', 'name', 'income'], 'household_size was not approved: it never leaves');
      assert.match(String(r.value['citizen_id']), /^[0-9a-fA-F]{32}$/, 'IMPORTANT: pseudonymised (its letter case carries the recipient fingerprint)');
      assert.equal(r.value['income'], null, 'CORE: withheld');
      assert.equal(r.recordKey, r.value['citizen_id'], 'the record key header is masked as its item');
      assert.deepEqual([r.op, r.datasetVersion], ['upsert', '1']);
    }
    assert.deepEqual(got.map((r) => r.value['name']).sort(), Array.from({ length: 25 }, (_, i) => `居民${i}`).sort(), 'GENERAL: in clear');
    assert.ok(!JSON.stringify(got.map((r) => r.value)).includes('110101199003070'), 'no identity number in clear');
    assert.deepEqual(duplicates(got), []);
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    const history = (await m.as(REQUESTER, m.request).get(`/v1/requests/${shareId}`)).body!['history'] as { type: string; data: Record<string, unknown> }[];
    assert.equal(history.find((h) => h.type === 'ShareActivated')!.data['shareMethod'], 'BATCH');
    // The schema is read by the share's parties only; an API share has none.
    assert.equal((await m.as(OTHER).get(`/v1/shares/${shareId}/push-schema`)).status, 403);
    assert.equal((await m.as(PROVIDER).get(`/v1/shares/${shareId}/push-schema`)).status, 200);
  });

  test('DLV-02: a new dataset version pushes only its changes from the checkpoint, deletions included (named by the masked key), each record version once', async () => {
    const { entryId, shareId } = await setUp();
    const first = await pushed(shareId, 25);
    const maskedKeyOf = new Map(first.map((r) => [r.value['name'], r.recordKey]));
    await load(entryId, [person(1, { name: '改名1' }), person(2, { name: '改名2' }), person(30), { _op: 'delete', citizen_id: person(3)['citizen_id'] }, { _op: 'delete', citizen_id: person(4)['citizen_id'] }]);
    const all = await pushed(shareId, 30);
    const changes = all.slice(25);
    assert.equal(all.length, 30, 'only the changes');
    assert.ok(changes.every((r) => r.datasetVersion === '2'));
    assert.deepEqual(changes.filter((r) => r.op === 'upsert').map((r) => r.value['name']).sort(), ['居民30', '改名1', '改名2']);
    const deleted = changes.filter((r) => r.op === 'delete');
    assert.deepEqual(deleted.map((r) => r.recordKey).sort(), [maskedKeyOf.get('居民3'), maskedKeyOf.get('居民4')].sort(), 'a deletion names the record it removes, masked as before');
    assert.deepEqual(deleted.map((r) => r.value['name']), [null, null]);
    assert.ok(all.every((r, i) => i === 0 || r.seq > all[i - 1]!.seq), 'in change order');
    assert.deepEqual(duplicates(all), []);
  });

  test('SUS-01, SUS-03: a suspension stops the push at once; the resumption continues from the checkpoint, without duplicates', async () => {
    const { entryId, shareId } = await setUp(10);
    await pushed(shareId, 10);
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'BEYOND_SCOPE', findings: 'records passed to a contractor', rectificationWorkingDays: 5 });
    await shareIn(shareId, 'SUSPENDED');
    await load(entryId, Array.from({ length: 30 }, (_, i) => person(100 + i)));
    const served = await servedPushSchema(m.exchange.httpUrl, token(), shareId);
    // Ten poll intervals: nothing more leaves.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await pushedRecords(served.topic, shareId, served)).length, 10, 'nothing is pushed to a suspended share');
    await requestCmd(REQUESTER, shareId, 'rectification', { description: 'contract ended, copies deleted' });
    await requestCmd('dept-data-bureau', shareId, 'resumption', { note: 'accepted' });
    await shareIn(shareId, 'ACTIVE');
    const all = await pushed(shareId, 40);
    assert.equal(all.length, 40);
    assert.deepEqual(duplicates(all), []);
    assert.deepEqual(all.slice(10).map((r) => r.datasetVersion), Array(30).fill('2'), 'resumed from the checkpoint: the second version only');
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'BEYOND_SCOPE', findings: 'again', rectificationWorkingDays: 5 });
    await requestCmd(REQUESTER, shareId, 'rectification', { description: 'said so' });
    await requestCmd('dept-data-bureau', shareId, 'termination', { reason: 'rectification inadequate' });
    await shareIn(shareId, 'TERMINATED');
    await load(entryId, [person(500)]);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await pushedRecords(served.topic, shareId, served)).length, 40, 'terminated: never again');
  });

  test('USE-01: a share approved for API is not pushed, and has no push schema', async () => {
    const entryId = await publishEntry(m, pushableContent());
    await load(entryId, [person(1)]);
    const shareId = await approvedShare(m, entryId, { items: ['name'], shareMethod: 'API' });
    const schema = await m.as(REQUESTER).get(`/v1/shares/${shareId}/push-schema`);
    assert.equal(schema.status, 403);
    assert.equal(schema.body!['rule'], 'DLV-02');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await m.exchange.shares.get(shareId).then((s) => s?.state), 'APPROVED', 'nothing delivered: not activated');
  });
});
