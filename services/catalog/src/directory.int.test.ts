import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { uuidv7, type PlatformFile } from '@govmesh/backbone';
import { waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import type { CatalogService } from './app.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { restAs, startTestCatalog } from './testing.ts';

// Issue 13, defect 9: services read the directory once, at start, so a department removed or
// whose roles changed kept its rights until every service restarted. Now every service follows
// the directory's events: when the directory is synced from a changed platform file (here by a
// second catalog replica started on it, as a rolling restart does), the running one applies the
// change at once.
let running: CatalogService;
let rolled: CatalogService | undefined;
let platform: TestPlatform;
before(async () => {
  ({ service: running, platform } = await startTestCatalog());
});
after(async () => {
  await rolled?.stop();
  await running?.stop();
});

test('EDGE: SEC-14: a department removed from the directory, or whose roles changed, is refused by a running service without a restart (defect 9)', async () => {
  const as = (dept: string) => restAs(running.httpUrl, platform.token(dept));
  const draft = (dept: string) => as(dept).post('/v1/entries', { entryId: `ce-${uuidv7()}`, content: { ...conditionalContent(), provider: dept, sourceDepartment: dept } });
  assert.equal((await draft('dept-civil-affairs')).status, 201);
  assert.equal((await as('dept-human-resources').get('/v1/entries?limit=1')).status, 200);

  // The operator drops human resources and takes the provider role from civil affairs.
  const file = JSON.parse(readFileSync(platform.file, 'utf8')) as PlatformFile;
  file.departments = file.departments
    .filter((d) => d.id !== 'dept-human-resources')
    .map((d) => (d.id === 'dept-civil-affairs' ? { ...d, roles: ['requester'] } : d));
  const changed = join(dirname(platform.file), 'platform-changed.json');
  writeFileSync(changed, JSON.stringify(file));
  ({ service: rolled } = await startTestCatalog({ platform, env: { PLATFORM_CONFIG: changed } }));

  await waitFor('human resources refused by the running service', async () => ((await as('dept-human-resources').get('/v1/entries?limit=1')).status === 401 ? true : undefined));
  const denied = await waitFor('civil affairs no longer a provider', async () => {
    const r = await draft('dept-civil-affairs');
    return r.status === 403 ? r : undefined;
  });
  assert.equal(denied.body!['code'], 'GOV_ERR_AUTH_FORBIDDEN');
  // Nothing else changed.
  assert.equal((await draft('dept-public-security')).status, 201);
});
