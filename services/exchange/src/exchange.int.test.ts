import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { ControlledClock, openDatabase, uuidv7, type Principal } from '@govmesh/backbone';
import { stackEnv, waitFor } from '@govmesh/backbone/testing';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestExchange, startTestMesh, type TestMesh } from './testing.ts';

// Real Kafka and PostgreSQL (scripts/infra). Catalog, request and exchange services run in-process
// on one fresh test platform; the exchange learns entries and shares from their topics only.
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let m: TestMesh;

before(async () => {
  m = await startTestMesh(clock);
});
after(async () => {
  await m?.stop();
});

describe('what the exchange knows, from events only', () => {
  test('DLV-04: a published entry: its provider and its current version with the items, their types and grades (from the catalog topic)', async () => {
    const entryId = await publishEntry(m);
    const r = await m.as(PROVIDER).get(`/v1/datasets/${entryId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { entryId, provider: PROVIDER, currentVersion: 0, keyItem: '', recordCount: 0, history: [] });
    assert.equal((await m.as(OTHER).get(`/v1/datasets/${entryId}`)).status, 403, 'SEC-14: another department does not read a dataset');
    assert.equal((await m.as(PROVIDER).get('/v1/datasets/e-unknown')).status, 404);
    const asProvider = { department: { id: PROVIDER, platform: m.platform.id, roles: ['provider'] } } as unknown as Principal;
    const { fields } = await m.exchange.commands.prepareLoad(asProvider, entryId, 'citizen_id');
    assert.deepEqual(fields, [
      { name: 'citizen_id', kind: 'string', maxLength: 18 },
      { name: 'name', kind: 'string', maxLength: 4096 },
      { name: 'household_size', kind: 'integer', maxLength: 4096 },
      { name: 'income', kind: 'number', maxLength: 4096 },
    ]);
  });

  test('USE-01: a share: requester, provider, approved items, method, period and state, from the request topic', async () => {
    const entryId = await publishEntry(m);
    const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name'] });
    const r = await m.as(REQUESTER).get(`/v1/shares/${shareId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      { ...r.body },
      { shareId, state: 'APPROVED', requester: REQUESTER, provider: PROVIDER, entryId, shareMethod: 'API', requestedItems: ['citizen_id', 'name'], approvedItems: ['citizen_id', 'name'], periodFrom: '2026-09-01', periodUntil: '2027-08-31' },
    );
    assert.equal((await m.as(PROVIDER).get(`/v1/shares/${shareId}`)).status, 200, 'the provider reads it too');
    assert.equal((await m.as(OTHER).get(`/v1/shares/${shareId}`)).status, 403, 'SEC-14: a third department does not');
  });

  test('the views apply each event exactly once: a second replica that reads both topics again from the start changes no row (inbox)', async () => {
    const entryId = await publishEntry(m);
    const shareId = await approvedShare(m, entryId);
    const db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
    try {
      const revision = async () => (await db.query<{ revision: number }>('select revision from exchange.shares where share_id = $1', [shareId]))[0]?.revision;
      const versions = async () => Number((await db.query<{ n: string }>('select count(*) as n from exchange.catalog_entry_versions where entry_id = $1', [entryId]))[0]!.n);
      assert.equal(await revision(), 4, 'drafted, consented, submitted, approved');
      assert.equal(await versions(), 1);
      // Consumer groups of its own: every record of the catalog and request topics is delivered again.
      const prefix = `exchange-again-${uuidv7()}`;
      const { service: again } = await startTestExchange({ clock, platform: m.platform, env: { CONSUMER_GROUP_PREFIX: prefix } });
      const kafka = new kafkajs.Kafka({ clientId: 'lag-probe', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        // Both of the replica's groups have committed the end of their topic: every record was delivered to it again.
        for (const [name, stream] of [['share-view', 'request'], ['catalog-view', 'catalog']] as const) {
          const topic = `${m.platform.id}.${stream}.events`;
          const ends = await admin.fetchTopicOffsets(topic);
          await waitFor(`${name} of the second replica at the end of ${topic}`, async () => {
            const [committed] = await admin.fetchOffsets({ groupId: `${prefix}-${name}-${m.platform.id}`, topics: [topic] });
            return ends.every((e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high || e.high === '0');
          });
        }
        assert.equal(await revision(), 4, 'no event applied twice');
        assert.equal(await versions(), 1);
      } finally {
        await admin.disconnect();
        await again.stop();
      }
    } finally {
      await db.close();
    }
  });
});
