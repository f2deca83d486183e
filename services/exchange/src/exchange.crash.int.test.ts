import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, uuidv7, type Database } from '@govmesh/backbone';
import { restAs, spawnService, stackEnv, testPlatform, waitFor, type ServiceProcess } from '@govmesh/backbone/testing';
import type { CatalogService } from '../../catalog/src/app.ts';
import { publishOverRest, startTestCatalog } from '../../catalog/src/testing.ts';
import { PROVIDER, gradedContent } from './testing.ts';

/**
 * SIGKILL the exchange in the middle of a load (while rows stream into staging) and just before
 * the load's commit; start it again and check that nothing of the load is visible, then that the
 * client's retry with the same loadId loads it exactly once.
 */
const platform = testPlatform('xcrash');
let catalog: CatalogService;
let current: ServiceProcess | undefined;
let db: Database;

before(async () => {
  ({ service: catalog } = await startTestCatalog({ platform }));
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
});
after(async () => {
  current?.process.kill('SIGKILL');
  await catalog?.stop();
  await db?.close();
});

const start = async (failpoints = '') => {
  current = await spawnService('exchange', platform, { FAILPOINTS: failpoints });
  return current;
};
const person = (i: number, over: Record<string, unknown> = {}) => ({ citizen_id: `11010119900307${String(i).padStart(4, '0')}`, name: `居民${i}`, household_size: (i % 5) + 1, income: 1000 + i, ...over });
const upload = async (url: string, entryId: string, loadId: string, rows: unknown[]) => {
  try {
    const res = await fetch(`${url}/v1/datasets/${entryId}/records?key=citizen_id&loadId=${loadId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.token(PROVIDER)}`, 'content-type': 'application/x-ndjson' },
      body: rows.map((r) => JSON.stringify(r)).join('\n'),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  } catch (err) {
    return { status: 0, body: { error: (err as Error).message } };
  }
};
const records = async (entryId: string) => (await db.query<{ record_key: string; data: Record<string, unknown> | null }>('select record_key, data from exchange.dataset_records where entry_id = $1', [entryId]));
const version = async (url: string, entryId: string) => (await restAs(url, platform.token(PROVIDER)).get(`/v1/datasets/${entryId}`)).body!['currentVersion'] as number;

describe('a kill of the exchange during a load', () => {
  test('DLV-04: killed while rows stream into staging, or just before the commit: nothing of the load is visible after the restart, and the retry with the same loadId loads it once', async () => {
    const entryId = `ce-${uuidv7()}`;
    await publishOverRest(catalog, platform, entryId, gradedContent());
    const rows = Array.from({ length: 2500 }, (_, i) => person(i));

    let svc = await start('load.staging');
    await waitFor('the exchange knows the entry published', async () => (await db.query<{ status: string }>('select status from exchange.catalog_entries where entry_id = $1', [entryId]))[0]?.status === 'PUBLISHED', 30000);
    const killed = await upload(svc.url, entryId, 'nightly-1', rows);
    assert.equal(killed.status, 0, 'the client got no answer');
    assert.equal(await svc.exited, -9);
    svc = await start();
    assert.equal(await version(svc.url, entryId), 0);
    assert.equal((await records(entryId)).length, 0, 'no record of the interrupted load');
    const retried = await upload(svc.url, entryId, 'nightly-1', rows);
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    assert.deepEqual([retried.body['datasetVersion'], retried.body['recordCount']], [1, 2500]);
    await svc.stop();

    svc = await start('store.before-commit:DatasetVersionLoaded');
    const changed = rows.slice(0, 1200).map((r, i) => ({ ...r, name: `改${i}` }));
    assert.equal((await upload(svc.url, entryId, 'nightly-2', changed)).status, 0);
    assert.equal(await svc.exited, -9);
    svc = await start();
    assert.equal(await version(svc.url, entryId), 1);
    assert.ok((await records(entryId)).every((r) => String(r.data!['name']).startsWith('居民')), 'the merge died with its transaction');
    const again = await upload(svc.url, entryId, 'nightly-2', changed);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body['datasetVersion'], 2);
    assert.equal((await upload(svc.url, entryId, 'nightly-2', changed)).status, 200, 'and once only');
    assert.equal((await records(entryId)).filter((r) => String(r.data!['name']).startsWith('改')).length, 1200);
    await svc.stop();
  });
});
