import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headersToStrings, openDatabase, uuidv7, type Database } from '@govmesh/backbone';
import { crashAndRetry, readTopic, spawnService, stackEnv, testPlatform, waitFor, type ServiceProcess } from '@govmesh/backbone/testing';
import { publishOverRest, restAs, startTestCatalog } from '../../catalog/src/testing.ts';
import type { CatalogService } from '../../catalog/src/app.ts';
import { requestTopics } from './events/topics.ts';

/**
 * SIGKILL the request service at each point of a submission (before the commit, after the commit
 * before the relay, mid-relay, after the projection commit before the offset commit), restart,
 * and check: the acknowledged command is not lost, no event is applied twice.
 */
const platform = testPlatform('rcrash');
let catalog: CatalogService;
let entryId: string;
let current: ServiceProcess | undefined;
let db: Database;

before(async () => {
  ({ service: catalog } = await startTestCatalog({ platform }));
  entryId = await publishOverRest(catalog, platform, `ce-${uuidv7()}`);
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
});
after(async () => {
  current?.process.kill('SIGKILL');
  await catalog?.stop();
  await db?.close();
});

const start = async (failpoints = ''): Promise<ServiceProcess> => {
  current = await spawnService('request', platform, { DEADLINE_SCAN_MS: '3600000', FAILPOINTS: failpoints });
  return current;
};
const requester = (url: string) => restAs(url, platform.token('dept-civil-affairs'));
const body = (shareId: string) => ({
  shareId,
  content: {
    entryId, dataItems: ['citizen_id'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'eligibility checks', useScope: 'case officers',
    shareMethod: 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
  },
});

describe('SIGKILL during a submission loses nothing and applies nothing twice', { concurrency: false }, () => {
  for (const failpoint of ['store.before-commit', 'relay.before-send', 'relay.after-send', 'projection.after-commit']) {
    test(`killed at ${failpoint}`, async () => {
      const shareId = `sr-crash-${uuidv7()}`;
      let svc = await start();
      await waitFor('entry requestable', async () => ((await requester(svc.url).get(`/v1/requestable-entries/${entryId}`)).body?.['status'] === 'PUBLISHED' ? true : undefined), 30000);
      assert.equal((await requester(svc.url).post('/v1/requests', body(shareId))).status, 201);
      assert.equal((await requester(svc.url).post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' })).status, 200);
      await svc.stop();

      svc = await crashAndRetry({ start, failpoint, eventType: 'ShareRequestSubmitted', call: (url) => requester(url).post(`/v1/requests/${shareId}/submission`) });
      const stored = await db.query<{ event_id: string; event_type: string }>(`select event_id::text, event_type from request.events where aggregate_id = $1 order by version`, [shareId]);
      assert.deepEqual(stored.map((e) => e.event_type.split('.').pop()), ['ShareRequestDrafted', 'ShareRequestInternallyApproved', 'ShareRequestSubmitted']);
      const row = await waitFor('read model revision', async () => {
        const rows = await db.query<{ revision: number }>(`select revision from request.shares where share_id = $1`, [shareId]);
        return rows[0]?.revision === 3 ? rows[0] : undefined;
      }, 60000);
      assert.equal(row.revision, 3, 'projection applied each event once');
      const inbox = await db.query<{ n: string }>(`select count(*) as n from request.inbox where event_id = any($1::text[])`, [stored.map((e) => e.event_id)]);
      assert.equal(Number(inbox[0]!.n), 3, 'one inbox row per event');
      const onTopic = await waitFor('all events on the topic', async () => {
        const ids = new Set((await readTopic(stackEnv().KAFKA_BROKERS, requestTopics(platform.id).events)).filter((r) => r.key?.toString() === shareId).map((r) => headersToStrings(r.headers)['ce_id']));
        return ids.size === 3 ? ids : undefined;
      });
      assert.deepEqual([...onTopic].sort(), stored.map((e) => e.event_id).sort(), 'the topic holds exactly the stored events');
      await svc.stop();
    });
  }
});
