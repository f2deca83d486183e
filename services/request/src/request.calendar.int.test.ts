import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ControlledClock, uuidv7 } from '@govmesh/backbone';
import { TEST_SCHEDULE_2027_PATH, testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import type { CatalogService } from '../../catalog/src/app.ts';
import { publishOverRest, restAs, startTestCatalog } from '../../catalog/src/testing.ts';
import { conditionalContent } from '../../catalog/src/domain/fixtures.ts';
import type { RequestService } from './app.ts';
import { startTestRequest } from './testing.ts';

// Real Kafka and PostgreSQL (scripts/infra). A request submitted on 2026-12-18, when the shipped
// calendar ends on 2026-12-31: its reply deadline is provisional in the event, the API and the
// read model; the request service restarted with 2027's schedule in its platform file recounts it
// once, as an event (ADR 0008).
const clock = new ControlledClock('2026-12-18T10:00:00+08:00');
let platform: TestPlatform;
let catalog: CatalogService;
let svc: RequestService | undefined;

before(async () => {
  // Tokens are real time (checked on the machine's clock), whatever the controlled clock says.
  platform = testPlatform();
  ({ service: catalog } = await startTestCatalog({ clock, platform }));
});
after(async () => {
  await svc?.stop();
  await catalog?.stop();
});

const as = (dept: string) => restAs(svc!.httpUrl, platform.token(dept));
const endOf = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();
type Recorded = { type: string; data: Record<string, unknown> };
const recomputed = (history: Recorded[]) => history.filter((e) => e.type === 'ShareDeadlineRecomputed');

test('APR-02: a reply deadline past the official calendar is provisional in the event, the API and the read model, and recounted once when a restart loads 2027\'s schedule', async () => {
  ({ service: svc } = await startTestRequest({ clock, platform }));
  const entryId = `ce-${uuidv7()}`;
  await publishOverRest(catalog, platform, entryId, conditionalContent());
  await waitFor(`${entryId} requestable`, async () => ((await as('dept-civil-affairs').get(`/v1/requestable-entries/${entryId}`)).body?.['status'] === 'PUBLISHED' ? true : undefined));
  const shareId = `sr-${uuidv7()}`;
  const r = as('dept-civil-affairs');
  const content = { entryId, dataItems: ['citizen_id'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'allowance checks', useScope: 'case officers', shareMethod: 'API', periodFrom: '2026-12-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true } };
  assert.equal((await r.post('/v1/requests', { shareId, content })).status, 201);
  assert.equal((await r.post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' })).status, 200);
  assert.equal((await r.post(`/v1/requests/${shareId}/submission`)).status, 200);

  const before = (await r.get(`/v1/requests/${shareId}`)).body!;
  assert.equal(before['share'].replyDueAt, endOf('2027-01-04'), "10 working days, New Year's Day skipped");
  assert.deepEqual(before['share'].provisionalDeadlines, ['replyDueAt']);
  const submitted = (before['history'] as { type: string; data: Record<string, unknown> }[]).find((e) => e.type === 'ShareRequestSubmitted')!;
  assert.equal(submitted.data['replyDueAtProvisional'], true);
  await waitFor('the read model marks it provisional', async () => {
    const list = (await as('dept-data-bureau').get('/v1/requests?limit=500')).body!['shares'] as Record<string, any>[];
    return list.find((s) => s['shareId'] === shareId)?.['provisionalDeadlines']?.[0] === 'replyDueAt' ? true : undefined;
  });
  // The scan at start finds it, but nothing changed: no event.
  assert.equal(await svc!.watcher.scanOnce(), 0);
  await svc!.stop();
  svc = undefined;

  // The operator loads 2027: a year file beside a platform file that names it, and a restart.
  const withSchedule = join(dirname(platform.file), 'platform-2027.json');
  writeFileSync(join(dirname(platform.file), '2027.json'), readFileSync(TEST_SCHEDULE_2027_PATH));
  writeFileSync(withSchedule, JSON.stringify({ ...JSON.parse(readFileSync(platform.file, 'utf8')), calendar: { schedules: ['2027.json'] } }));
  ({ service: svc } = await startTestRequest({ clock, platform, env: { PLATFORM_CONFIG: withSchedule, DEADLINE_SCAN_MS: '100' } }));
  const history = await waitFor('the deadline recounted', async () => {
    const h = (await as('dept-civil-affairs').get(`/v1/requests/${shareId}`)).body!['history'] as { type: string; data: Record<string, unknown> }[];
    return recomputed(h).length > 0 ? h : undefined;
  });
  assert.deepEqual(recomputed(history).map((e) => e.data), [{
    shareId, deadline: 'REPLY', previousDueAt: endOf('2027-01-04'), dueAt: endOf('2027-01-04'), provisional: false,
    countedFrom: submitted.data['receivedAt'], workingDays: 10, calendar: '2004-2027',
  }]);
  await waitFor('the read model no longer marks it', async () => {
    const list = (await as('dept-data-bureau').get('/v1/requests?limit=500')).body!['shares'] as Record<string, any>[];
    return (list.find((s) => s['shareId'] === shareId)?.['provisionalDeadlines'] as unknown[] | undefined)?.length === 0 ? true : undefined;
  });
  // Once: another pass, or another replica's, adds nothing.
  await svc!.stop();
  ({ service: svc } = await startTestRequest({ clock, platform, env: { PLATFORM_CONFIG: withSchedule } }));
  assert.equal(await svc!.watcher.scanOnce(), 0);
  assert.equal(recomputed((await as('dept-civil-affairs').get(`/v1/requests/${shareId}`)).body!['history'] as Recorded[]).length, 1);
});
