import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headersToStrings, openDatabase, uuidv7, type Database } from '@govmesh/backbone';
import { crashAndRetry, readTopic, spawnService, stackEnv, testPlatform, waitFor, type ServiceProcess } from '@govmesh/backbone/testing';
import { catalogTopics } from './events/topics.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { restAs } from './testing.ts';

/**
 * SIGKILL at each point of a publish (before the commit, after the commit before the relay,
 * mid-relay after Kafka has the batch, after the projection commit before the offset commit),
 * restart, and check: no event lost (store and topic agree), none applied twice (projection
 * revision and inbox count).
 */
const platform = testPlatform('crash');
let current: ServiceProcess | undefined;
let db: Database | undefined;

const start = async (failpoints = ''): Promise<ServiceProcess> => {
  current = await spawnService('catalog', platform, { DEADLINE_SCAN_MS: '3600000', FAILPOINTS: failpoints });
  return current;
};
const stopGracefully = async (): Promise<void> => current?.stop();

after(async () => {
  current?.process.kill('SIGKILL');
  await db?.close();
});

const provider = (url: string) => restAs(url, platform.token('dept-public-security'));
const competent = (url: string) => restAs(url, platform.token('dept-data-bureau'));

const prepareSubmitted = async (url: string, id: string) => {
  for (const step of [
    () => provider(url).post('/v1/entries', { entryId: id, content: conditionalContent() }),
    () => provider(url).post(`/v1/entries/${id}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR', conclusion: 'ok' }),
    () => provider(url).post(`/v1/entries/${id}/assessments`, { kind: 'PERSONAL_INFORMATION', reference: 'PI', conclusion: 'ok' }),
    () => provider(url).post(`/v1/entries/${id}/head-approval`, { approver: 'Head' }),
    () => provider(url).post(`/v1/entries/${id}/submission`),
  ]) {
    const r = await step();
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
};

const checkExactlyOnce = async (url: string, id: string) => {
  db ??= await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
  const projected = await waitFor('projection caught up', async () => {
    const r = await provider(url).get(`/v1/entries?provider=dept-public-security&status=PUBLISHED&limit=500`);
    return (r.body!['entries'] as { entryId: string; revision: number }[]).find((e) => e.entryId === id);
  }, 60000);
  const stored = await db.query<{ event_id: string; event_type: string }>(`select event_id::text, event_type from catalog.events where aggregate_id = $1 order by version`, [id]);
  assert.equal(stored.length, 6, 'six events in the store');
  assert.equal(stored.filter((e) => e.event_type.endsWith('CatalogEntryPublished')).length, 1, 'published exactly once');
  assert.equal(projected.revision, 6, 'projection applied each event once');
  const inbox = await db.query<{ n: string }>(`select count(*) as n from catalog.inbox where event_id = any($1::text[])`, [stored.map((e) => e.event_id)]);
  assert.equal(Number(inbox[0]!.n), 6, 'one inbox row per event');
  const onTopic = await waitFor('all events on the topic', async () => {
    const recs = (await readTopic(stackEnv().KAFKA_BROKERS, catalogTopics(platform.id).events)).filter((r) => r.key?.toString() === id);
    const ids = new Set(recs.map((r) => headersToStrings(r.headers)['ce_id']));
    return ids.size === 6 ? { ids, records: recs.length } : undefined;
  });
  assert.deepEqual([...onTopic.ids].sort(), stored.map((e) => e.event_id).sort(), 'the topic holds exactly the stored events');
  return onTopic.records;
};

describe('SIGKILL during a publish loses nothing and applies nothing twice', { concurrency: false }, () => {
  for (const failpoint of ['store.before-commit', 'relay.before-send', 'relay.after-send', 'projection.after-commit']) {
    test(`killed at ${failpoint}`, async () => {
      const id = `ce-crash-${failpoint.replace(/\W/g, '-')}-${uuidv7()}`;
      let svc = await start();
      await prepareSubmitted(svc.url, id);
      await stopGracefully();

      svc = await crashAndRetry({ start, failpoint, eventType: 'CatalogEntryPublished', call: (url) => competent(url).post(`/v1/entries/${id}/publication`) });
      const records = await checkExactlyOnce(svc.url, id);
      if (failpoint === 'relay.after-send') assert.ok(records >= 6, 'a resend may duplicate records on the topic; consumers dedupe by ce_id');
      await stopGracefully();
    });
  }
});
