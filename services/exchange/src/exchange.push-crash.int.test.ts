import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, uuidv7, type Database } from '@govmesh/backbone';
import { restAs, spawnService, stackEnv, testPlatform, waitFor, type ServiceProcess } from '@govmesh/backbone/testing';
import type { CatalogService } from '../../catalog/src/app.ts';
import { publishOverRest, startTestCatalog } from '../../catalog/src/testing.ts';
import type { RequestService } from '../../request/src/app.ts';
import { startTestRequest } from '../../request/src/testing.ts';
import type { ShareGrant } from './domain/share.ts';
import { duplicates, pushableContent, waitForPushed, type Pushed } from './push-testing.ts';
import { PROVIDER, REQUESTER, approvedShare, type TestMesh } from './testing.ts';

/**
 * SIGKILL the exchange in the middle of a batch push: after Kafka acknowledged a batch but before
 * its checkpoint committed, and after the batch was marked but before it was sent. Started again,
 * the push continues: every record version reaches the requester's topic, none twice.
 */
const platform = testPlatform('xpush');
let catalog: CatalogService;
let request: RequestService;
let current: ServiceProcess | undefined;
let db: Database;

before(async () => {
  // One after the other: both ensure the platform's directory topic.
  ({ service: catalog } = await startTestCatalog({ platform }));
  ({ service: request } = await startTestRequest({ platform }));
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
});
after(async () => {
  current?.process.kill('SIGKILL');
  await Promise.all([catalog?.stop(), request?.stop()]);
  await db?.close();
});

const start = async (failpoints = '') => {
  current = await spawnService('exchange', platform, { FAILPOINTS: failpoints, PUSH_POLL_MS: '100', PUSH_BATCH: '500' });
  return current;
};
const person = (i: number, over: Record<string, unknown> = {}) => ({ citizen_id: `1101011990${String(i).padStart(8, '0')}`, name: `居民${i}`, household_size: (i % 5) + 1, income: 1000 + i, ...over });
const load = async (url: string, entryId: string, rows: unknown[]) => {
  const res = await fetch(`${url}/v1/datasets/${entryId}/records?key=citizen_id`, {
    method: 'POST',
    headers: { authorization: `Bearer ${platform.token(PROVIDER)}`, 'content-type': 'application/x-ndjson' },
    body: rows.map((r) => JSON.stringify(r)).join('\n'),
  });
  assert.equal(res.status, 201, await res.text());
};
/** The mesh as approvedShare needs it: the request service over REST, the exchange's share view read from its table. */
const mesh = () =>
  ({
    request,
    as: (dept: string, svc: { httpUrl: string }) => restAs(svc.httpUrl, platform.token(dept)),
    exchange: { shares: { get: async (id: string) => (await db.query<{ state: ShareGrant }>('select state from exchange.shares where share_id = $1', [id]))[0]?.state ?? null } },
  }) as unknown as TestMesh;
/** Exactly `n` records of the share, once the push has had time to send any extra. */
const exactly = async (url: string, shareId: string, n: number): Promise<Pushed[]> => {
  await waitForPushed(url, platform.token(REQUESTER), shareId, n, 60000);
  await new Promise((r) => setTimeout(r, 1500));
  return waitForPushed(url, platform.token(REQUESTER), shareId, n);
};

describe('a kill of the exchange during a batch push', () => {
  test('DLV-02: killed after Kafka acknowledged a batch but before its checkpoint, then after marking one but before sending it: after each restart every record version arrives once, none is lost, none twice', { timeout: 240_000 }, async () => {
    const entryId = `ce-${uuidv7()}`;
    await publishOverRest(catalog, platform, entryId, pushableContent());
    let svc = await start('push.after-send');
    await waitFor('the exchange knows the entry published', async () => (await db.query<{ status: string }>('select status from exchange.catalog_entries where entry_id = $1', [entryId]))[0]?.status === 'PUBLISHED', 30000);
    const shareId = await approvedShare(mesh(), entryId, { items: ['citizen_id', 'name', 'income'], shareMethod: 'BATCH' });
    await load(svc.url, entryId, Array.from({ length: 2000 }, (_, i) => person(i)));
    assert.equal(await svc.exited, -9, 'killed after the first batch was acknowledged');
    const [mark] = await db.query<{ unconfirmed_through: string | null }>('select unconfirmed_through::text from exchange.push_checkpoints where share_id = $1', [shareId]);
    assert.notEqual(mark?.unconfirmed_through ?? null, null, 'the batch was left marked, its checkpoint not committed');
    svc = await start();
    const first = await exactly(svc.url, shareId, 2000);
    assert.equal(first.length, 2000, 'every record, the acknowledged batch not sent again');
    assert.deepEqual(duplicates(first), []);
    assert.equal(new Set(first.map((r) => r.value['name'])).size, 2000);
    await svc.stop();

    svc = await start('push.before-send');
    await load(svc.url, entryId, [...Array.from({ length: 600 }, (_, i) => person(i, { name: `改${i}` })), ...Array.from({ length: 100 }, (_, i) => ({ _op: 'delete', citizen_id: person(1000 + i)['citizen_id'] }))]);
    assert.equal(await svc.exited, -9, 'killed after marking a batch, before sending it');
    svc = await start();
    const all = await exactly(svc.url, shareId, 2700);
    assert.equal(all.length, 2700, 'the marked batch was sent after the restart, and the rest');
    assert.deepEqual(duplicates(all), []);
    const second = all.slice(2000);
    assert.ok(second.every((r) => r.datasetVersion === '2'));
    assert.equal(second.filter((r) => r.op === 'delete').length, 100);
    assert.deepEqual(new Set(second.filter((r) => r.op === 'upsert').map((r) => r.value['name'])), new Set(Array.from({ length: 600 }, (_, i) => `改${i}`)));
    const [cp] = await db.query<{ unconfirmed_through: string | null; records: string }>('select unconfirmed_through::text, records::text from exchange.push_checkpoints where share_id = $1', [shareId]);
    assert.deepEqual(cp, { unconfirmed_through: null, records: '2700' });
    await svc.stop();
  });
});
