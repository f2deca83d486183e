// Issue 13, defect 13: a database outage does not take a service down for good. The catalog
// service runs as its own process (as under npm start) on a PostgreSQL of the test's own, which
// the test stops and starts again while drafts keep coming (the shared database stays up).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { headersToStrings, openDatabase, uuidv7 } from '@govmesh/backbone';
import { readTopic, spawnService, stackEnv, startTestPostgres, testPlatform, waitFor, type ServiceProcess, type TestPostgres } from '@govmesh/backbone/testing';
import { conditionalContent } from './domain/fixtures.ts';

const platform = testPlatform('outage');
let pg: TestPostgres;
let svc: ServiceProcess | undefined;
const logs: string[] = [];

before(async () => {
  pg = await startTestPostgres();
});
after(async () => {
  svc?.process.kill('SIGKILL');
  pg?.remove();
});

test('OUTAGE: while PostgreSQL is down commands get 503 problem+json with Retry-After and readiness is red; the service stays up, reconnects by itself and no acknowledged command is lost', async (t) => {
  svc = await spawnService('catalog', platform, { DATABASE_URL: pg.url, DEADLINE_SCAN_MS: '1000', LOG_LEVEL: 'info' });
  svc.process.stdout!.on('data', (d: Buffer) => logs.push(...String(d).split('\n').filter(Boolean)));
  svc.process.stderr!.on('data', (d: Buffer) => logs.push(...String(d).split('\n').filter(Boolean)));
  const url = svc.url;
  const ready = async () => (await fetch(`${url}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as { checks: Record<string, boolean> } })));
  assert.equal((await ready()).status, 200);

  // Drafts keep coming, one after another, all through the outage.
  const acknowledged: string[] = [];
  const answers: { status: number; retryAfter: string | null; contentType: string; code?: string }[] = [];
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const entryId = `ce-outage-${uuidv7()}`;
      const res = await fetch(`${url}/v1/entries`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.token('dept-public-security')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ entryId, content: conditionalContent() }),
      }).catch(() => undefined);
      if (res !== undefined) {
        const body = (await res.json().catch(() => ({}))) as { code?: string };
        answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), contentType: res.headers.get('content-type') ?? '', ...(body.code === undefined ? {} : { code: body.code }) });
        if (res.status === 201) acknowledged.push(entryId);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await waitFor('drafts accepted before the outage', async () => acknowledged.length >= 5, 20000);

    pg.stop();
    const during = answers.length;
    await waitFor('readiness red with the database down', async () => {
      const r = await ready();
      return r.status === 503 && r.body.checks['database'] === false;
    }, 20000);
    await waitFor('commands refused during the outage', async () => answers.slice(during).filter((a) => a.status !== 201).length >= 5, 20000);
    // Long enough for every retry loop (relay, consumers, deadline watcher) to hit the outage.
    await new Promise((r) => setTimeout(r, 3000));
    const refused = answers.slice(during).filter((a) => a.status !== 201);
    t.diagnostic(`answers during the outage: ${JSON.stringify([...new Set(refused.map((a) => `${a.status} ${a.code} retry-after=${a.retryAfter}`))])}`);
    for (const a of refused) {
      assert.equal(a.status, 503, `a command during the outage: ${JSON.stringify(a)}`);
      assert.match(a.contentType, /application\/problem\+json/);
      assert.equal(a.code, 'GOV_ERR_UNAVAILABLE');
      assert.ok(Number(a.retryAfter) >= 1, `Retry-After: ${a.retryAfter}`);
    }
    assert.equal(svc.process.exitCode, null, `the service is still running: ${logs.slice(-5).join('\n')}`);

    pg.start();
    await waitFor('ready again after the database returned', async () => (await ready()).status === 200, 60000);
    const after = acknowledged.length;
    await waitFor('drafts accepted again', async () => acknowledged.length >= after + 5, 30000);
  } finally {
    writing = false;
    await writer;
  }
  assert.equal(svc.process.exitCode, null, 'still the same process');
  assert.ok(!logs.some((l) => /"msg":"(shutting down: draining in-flight work|shutdown step failed)/.test(l)), 'it never began to shut down');

  // Every acknowledged draft is in the event store, in the read model and on the topic.
  const db = await openDatabase({ url: pg.url, poolSize: 2 });
  try {
    const stored = new Set((await db.query<{ aggregate_id: string }>(`select aggregate_id from catalog.events where event_type like '%CatalogEntryDrafted'`)).map((r) => r.aggregate_id));
    assert.deepEqual(acknowledged.filter((id) => !stored.has(id)), [], 'no acknowledged draft is missing from the event store');
    await waitFor('every acknowledged draft in the read model', async () => {
      const rows = new Set((await db.query<{ entry_id: string }>(`select entry_id from catalog.entries`)).map((r) => r.entry_id));
      return acknowledged.every((id) => rows.has(id));
    }, 30000);
  } finally {
    await db.close();
  }
  const onTopic = await waitFor('every acknowledged draft on the topic', async () => {
    const records = (await readTopic(stackEnv().KAFKA_BROKERS, `${platform.id}.catalog.events`)).map((m) => headersToStrings(m.headers)['ce_subject']);
    return acknowledged.every((id) => records.includes(id)) ? records : undefined;
  }, 30000);
  for (const id of acknowledged) assert.equal(onTopic.filter((s) => s === id).length, 1, `${id} drafted once on the topic`);
});
