import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlledClock, ID_MAX_LENGTH, uuidv7 } from '@govmesh/backbone';
import { assertProblem, rawAs, testPlatform, unboundedFields, waitFor, type OpenApiDoc, type TestPlatform } from '@govmesh/backbone/testing';
import type { CatalogService } from '../../catalog/src/app.ts';
import { publishOverRest, restAs, startTestCatalog } from '../../catalog/src/testing.ts';
import type { RequestService } from './app.ts';
import { startTestRequest } from './testing.ts';

// Issue 13 reproduced on the request service's own routes, on the real stack (a catalog service
// publishes the entry the requests name).
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let platform: TestPlatform;
let catalog: CatalogService;
let svc: RequestService;

before(async () => {
  platform = testPlatform();
  ({ service: catalog } = await startTestCatalog({ clock, platform }));
  ({ service: svc } = await startTestRequest({ clock, platform }));
});
after(async () => {
  await svc?.stop();
  await catalog?.stop();
});

const REQUESTER = 'dept-civil-affairs';
const PROVIDER = 'dept-public-security';
const as = (dept: string) => restAs(svc.httpUrl, platform.token(dept));

const raw = (dept: string, method: string, path: string, body?: unknown) => rawAs(svc.httpUrl, platform.token(dept))(method, path, body);
const problem = assertProblem;

const content = (entryId: string, over: Record<string, unknown> = {}) => ({
  entryId,
  dataItems: ['citizen_id'],
  legalBasis: '社会救助暂行办法 Art. 11',
  useScenario: 'minimum living allowance eligibility checks',
  useScope: 'civil affairs case officers',
  shareMethod: 'API',
  periodFrom: '2026-09-01',
  periodUntil: '2027-08-31',
  commitment: { genuine: true, lawful: true, necessary: true, secure: true },
  ...over,
});

let entry: string | undefined;
const publishedEntry = async (): Promise<string> => {
  if (entry !== undefined) return entry;
  const entryId = `ce-${uuidv7()}`;
  await publishOverRest(catalog, platform, entryId);
  await waitFor(`${entryId} in the request service's catalog view`, async () => {
    const r = await as(REQUESTER).get(`/v1/requestable-entries/${entryId}`);
    return r.status === 200 && r.body!['status'] === 'PUBLISHED' ? r.body : undefined;
  });
  entry = entryId;
  return entryId;
};

/** Draft, the office head's consent, submission: a share waiting for the provider's reply. */
const submitted = async (): Promise<string> => {
  const shareId = `sr-${uuidv7()}`;
  const r = as(REQUESTER);
  for (const step of [() => r.post('/v1/requests', { shareId, content: content(entry!) }), () => r.post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Head Li' }), () => r.post(`/v1/requests/${shareId}/submission`)]) {
    const s = await step();
    assert.ok(s.status < 300, `${s.status} ${JSON.stringify(s.body)}`);
  }
  return shareId;
};

describe('request REST edge (issue 13)', () => {
  before(async () => {
    await publishedEntry();
  });

  test('EDGE: APR-01: a reply whose headApprover is the JSON number 0 is 400 naming it, not an approval recorded with approver "0"; a workingDays of "5" is not read as 5 (defect 6)', async () => {
    const shareId = await submitted();
    problem(await raw(PROVIDER, 'POST', `/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 0 }), 400, 'GOV_ERR_INPUT_INVALID', 'body.headApprover');
    problem(await raw(PROVIDER, 'POST', `/v1/requests/${shareId}/reply-extension`, { workingDays: '5', reason: 'large dataset' }), 400, 'GOV_ERR_INPUT_INVALID', 'body.workingDays');
    const share = await as(REQUESTER).get(`/v1/requests/${shareId}`);
    assert.equal(share.status, 200);
    assert.equal(share.body!['share'].status, 'SUBMITTED', 'no reply and no extension request was recorded');
  });

  test('EDGE: a NUL in a share id, a query filter or request content, or a lone surrogate in content, is 400 naming the field, not 500 or a request every projection dead-letters (defect 3)', async () => {
    problem(await raw(REQUESTER, 'GET', '/v1/requests/sr-1%00'), 400, 'GOV_ERR_INPUT_INVALID', 'params.shareId');
    problem(await raw(REQUESTER, 'GET', '/v1/requests?requester=a%00&limit=10'), 400, 'GOV_ERR_INPUT_INVALID', 'querystring.requester');
    problem(await raw(REQUESTER, 'GET', '/v1/requestable-entries/e%00'), 400, 'GOV_ERR_INPUT_INVALID', 'params.entryId');
    const shareId = `sr-${uuidv7()}`;
    problem(await raw(REQUESTER, 'POST', '/v1/requests', { shareId, content: content(entry!, { useScope: 'officers\u0000' }) }), 400, 'GOV_ERR_INPUT_INVALID', 'body.content.useScope');
    problem(await raw(REQUESTER, 'POST', '/v1/requests', { shareId, content: content(entry!, { legalBasis: 'Art. \ud800' }) }), 400, 'GOV_ERR_INPUT_INVALID', 'body.content.legalBasis');
    assert.equal((await as(REQUESTER).get(`/v1/requests/${shareId}`)).status, 404, 'nothing was drafted');
  });

  test(`EDGE: a share id or a named entry id that is not an id (over ${ID_MAX_LENGTH} characters, or with a slash) is 400 naming it, so every accepted id is reachable; an offset beyond range is 400 (defect 5)`, async () => {
    const tooLong = `sr-${uuidv7()}-`.padEnd(ID_MAX_LENGTH + 1, 'z');
    problem(await raw(REQUESTER, 'POST', '/v1/requests', { shareId: tooLong, content: content(entry!) }), 400, 'GOV_ERR_INPUT_INVALID', 'body.shareId');
    problem(await raw(REQUESTER, 'GET', `/v1/requests/${tooLong}`), 414, 'GOV_ERR_URI_TOO_LONG');
    problem(await raw(REQUESTER, 'POST', '/v1/requests', { content: content('e/1') }), 400, 'GOV_ERR_INPUT_INVALID', 'body.content.entryId');
    problem(await raw(REQUESTER, 'GET', '/v1/requests?limit=10&offset=99999999999999999999'), 400, 'GOV_ERR_INPUT_INVALID', 'querystring.offset');
    const longest = `sr-${uuidv7()}-`.padEnd(ID_MAX_LENGTH, 'z');
    assert.equal((await raw(REQUESTER, 'POST', '/v1/requests', { shareId: longest, content: content(entry!) })).status, 201);
    assert.equal((await as(REQUESTER).get(`/v1/requests/${longest}`)).status, 200);
  });

  test('EDGE: ids are typed: a share request cannot take a catalog entry\'s id, nor an entry a share\'s, over REST and gRPC; server ids carry the prefix (defect 2)', async () => {
    const entryId = entry!;
    problem(await raw(REQUESTER, 'POST', '/v1/requests', { shareId: entryId, content: content(entryId) }), 400, 'GOV_ERR_INPUT_INVALID', 'body.shareId');
    assert.equal((await as(REQUESTER).get(`/v1/requests/${entryId}`)).status, 404, 'no share under the entry id');
    problem(await raw(REQUESTER, 'POST', '/v1/requests', { shareId: 'share-7', content: content(entryId) }), 400, 'GOV_ERR_INPUT_INVALID', 'body.shareId');
    const shareId = await submitted();
    const provider = restAs(catalog.httpUrl, platform.token(PROVIDER));
    const stolen = await provider.post('/v1/entries', { entryId: shareId, content: (await import('../../catalog/src/domain/fixtures.ts')).conditionalContent() });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body!['violations'][0].field, 'body.entryId');
    // The commands refuse it too, whatever edge it came through (gRPC, ingest records).
    const drafted = await as(REQUESTER).post('/v1/requests', { content: content(entryId) });
    assert.match(drafted.body!['shareId'], /^sr-/);
  });

  test('EDGE: the published OpenAPI bounds every string, array and number of every request operation (defect 1)', async () => {
    const docs = await raw(REQUESTER, 'GET', '/docs/json');
    assert.equal(docs.status, 200);
    assert.deepEqual(unboundedFields(JSON.parse(docs.text) as OpenApiDoc), []);
  });
});
