// Issue 13, defect 13, the audit side: the ledger's writer lock lives in a database session, and a
// database outage ended it; the service then exited (70), which under npm start took the whole
// mesh down. Now it stays up, not ready, takes the lock again and goes on ledgering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7 } from '@govmesh/backbone';
import { restAs, spawnService, startTestPostgres, testPlatform, waitFor, type ServiceProcess, type TestPostgres } from '@govmesh/backbone/testing';
import { startTestCatalog } from '../../catalog/src/testing.ts';
import { conditionalContent } from '../../catalog/src/domain/fixtures.ts';
import type { CatalogService } from '../../catalog/src/app.ts';
import { auditTestEnv } from './testing.ts';

const platform = testPlatform('aoutage');
let pg: TestPostgres;
let audit: ServiceProcess | undefined;
let catalog: CatalogService;

before(async () => {
  pg = await startTestPostgres();
  ({ service: catalog } = await startTestCatalog({ platform }));
});
after(async () => {
  audit?.process.kill('SIGKILL');
  await catalog?.stop();
  pg?.remove();
});

test('OUTAGE: the audit service rides out a database outage: not ready while it lasts, then it takes the writer lock again and ledgers what came meanwhile', async () => {
  audit = await spawnService('audit', platform, { ...auditTestEnv(platform), DATABASE_URL: pg.url });
  const logs: string[] = [];
  audit.process.stdout!.on('data', (d: Buffer) => logs.push(...String(d).split('\n').filter(Boolean)));
  const auditor = restAs(audit.url, platform.token('dept-audit-office'));
  const size = async () => Number((await auditor.get('/v1/ledger/checkpoint')).body?.['size'] ?? -1);
  const ready = async () => (await fetch(`${audit!.url}/readyz`)).status;
  const provider = restAs(catalog.httpUrl, platform.token('dept-public-security'));
  const draft = async () => assert.equal((await provider.post('/v1/entries', { entryId: `ce-${uuidv7()}`, content: conditionalContent() })).status, 201);

  await draft();
  await waitFor('the first draft ledgered', async () => (await size()) >= 1, 30000);
  const base = await size();
  pg.stop();
  await waitFor('not ready during the outage', async () => (await ready()) === 503, 30000);
  await draft(); // the catalog's own database is up: its events keep coming
  // Longer than the writer lock's session check (5 s): the lock is lost now.
  await new Promise((r) => setTimeout(r, 7000));
  assert.equal(audit.process.exitCode, null, `the audit service is still running: ${logs.slice(-3).join('\n')}`);
  pg.start();
  await waitFor('ready again', async () => (await ready()) === 200, 60000);
  await waitFor('the draft made during the outage ledgered', async () => (await size()) >= base + 1, 60000);
  await draft();
  await waitFor('and the next one', async () => (await size()) >= base + 2, 30000);
  assert.equal(audit.process.exitCode, null, 'the same process throughout');
});
