import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { ControlledClock, ID_MAX_LENGTH, MAX_EVENT_BYTES, uuidv7 } from '@govmesh/backbone';
import { assertProblem, rawAs, unboundedFields, waitFor, type OpenApiDoc, type TestPlatform } from '@govmesh/backbone/testing';
import * as pb from '@govmesh/contracts/catalog/v1';
import type { CatalogService } from './app.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { publishOverRest, restAs, startTestCatalog } from './testing.ts';

// Issue 13 reproduced on the catalog's own routes, on the real stack: hostile input is refused at
// the edge with problem+json naming the field, before anything is committed.
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let svc: CatalogService;
let platform: TestPlatform;

before(async () => {
  ({ service: svc, platform } = await startTestCatalog({ clock }));
});
after(async () => {
  await svc?.stop();
});

const provider = () => restAs(svc.httpUrl, platform.token('dept-public-security'));
/** A raw call of the provider: status, headers and the problem body. */
const raw = (method: string, path: string, body?: string, contentType = 'application/json') => rawAs(svc.httpUrl, platform.token('dept-public-security'))(method, path, body, contentType);
const problem = assertProblem;
const draftBody = (entryId: string, over: Record<string, unknown> = {}) => JSON.stringify({ entryId, content: { ...conditionalContent(), ...over } });

describe('catalog REST edge (issue 13)', () => {
  test('EDGE: a NUL in an entry id, a search keyword or entry content, or a lone surrogate in content, is 400 naming the field, not 500 or a draft every projection dead-letters (defect 3)', async () => {
    problem(await raw('GET', '/v1/entries/e-1%00'), 400, 'GOV_ERR_INPUT_INVALID', 'params.entryId');
    problem(await raw('GET', '/v1/entries?keyword=a%00b&limit=10'), 400, 'GOV_ERR_INPUT_INVALID', 'querystring.keyword');
    const id = `ce-${uuidv7()}`;
    problem(await raw('POST', '/v1/entries', draftBody(id, { name: 'a\u0000b' })), 400, 'GOV_ERR_INPUT_INVALID', 'body.content.name');
    problem(await raw('POST', '/v1/entries', draftBody(id, { abstract: 'x\ud800y' })), 400, 'GOV_ERR_INPUT_INVALID', 'body.content.abstract');
    problem(await raw('POST', `/v1/entries/${id}/assessments`, JSON.stringify({ kind: 'SECRECY_RISK', reference: 'R\u0000', conclusion: 'c' })), 400, 'GOV_ERR_INPUT_INVALID', 'body.reference');
    assert.equal((await provider().get(`/v1/entries/${id}`)).status, 404, 'nothing was drafted');
  });

  test(`EDGE: a field near the body limit is 400 naming it, and a draft whose event would be over ${MAX_EVENT_BYTES} bytes is 413 naming the field, before commit: the relay keeps publishing (defect 1)`, async () => {
    const id = `ce-${uuidv7()}`;
    problem(await raw('POST', '/v1/entries', draftBody(id, { abstract: 'x'.repeat(1_000_000) })), 400, 'GOV_ERR_INPUT_INVALID', 'body.content.abstract');
    const items = Array.from({ length: 100 }, (_, i) => ({ name: `item_${i}`, type: 'string', description: 'd'.repeat(4000), grade: 'GENERAL' }));
    problem(await raw('POST', '/v1/entries', draftBody(id, { dataItems: items })), 413, 'GOV_ERR_EVENT_TOO_LARGE', 'content.dataItems');
    assert.equal((await provider().get(`/v1/entries/${id}`)).status, 404, 'nothing was committed');
    // The next draft is published to Kafka and projected as usual: no row is stuck in the outbox.
    const next = `ce-${uuidv7()}`;
    assert.equal((await raw('POST', '/v1/entries', draftBody(next))).status, 201);
    await waitFor(`${next} projected`, async () => ((await provider().get(`/v1/entries?keyword=&status=DRAFT&limit=500`)).body!['entries'] as { entryId: string }[]).some((e) => e.entryId === next));
  });

  test('EDGE: a body over the 1 MiB limit is 413 problem+json, not 500; an unsupported media type is 415 (defects 4, 10)', async () => {
    problem(await raw('POST', '/v1/entries', draftBody(`ce-${uuidv7()}`, { abstract: 'x'.repeat(1_100_000) })), 413, 'GOV_ERR_BODY_TOO_LARGE');
    problem(await raw('POST', '/v1/entries', '<entry/>', 'application/xml'), 415, 'GOV_ERR_MEDIA_TYPE_UNSUPPORTED');
  });

  test(`EDGE: an entry id longer than ${ID_MAX_LENGTH} is refused (it would be unreachable: 414 on /v1/entries/{id}); one of ${ID_MAX_LENGTH} is drafted and read back; a search offset beyond range is 400, not 500 (defect 5)`, async () => {
    const tooLong = `ce-${uuidv7()}-${'a'.repeat(ID_MAX_LENGTH)}`;
    problem(await raw('POST', '/v1/entries', draftBody(tooLong)), 400, 'GOV_ERR_INPUT_INVALID', 'body.entryId');
    problem(await raw('GET', `/v1/entries/${tooLong}`), 414, 'GOV_ERR_URI_TOO_LONG');
    const longest = `ce-${uuidv7()}-`.padEnd(ID_MAX_LENGTH, 'z');
    assert.equal((await raw('POST', '/v1/entries', draftBody(longest))).status, 201);
    assert.equal((await provider().get(`/v1/entries/${longest}`)).status, 200);
    problem(await raw('GET', '/v1/entries?limit=10&offset=99999999999999999999'), 400, 'GOV_ERR_INPUT_INVALID', 'querystring.offset');
    problem(await raw('GET', '/v1/entries?limit=10&offset=1e30'), 400, 'GOV_ERR_INPUT_INVALID', 'querystring.offset');
    assert.equal((await raw('GET', '/v1/entries?limit=10&offset=9007199254740991')).status, 200);
  });

  test(`EDGE: a gRPC draft with an entry id over ${ID_MAX_LENGTH} characters or with a slash is INVALID_ARGUMENT naming entryId: REST could never reach it (defect 5)`, async () => {
    const client = new pb.CatalogServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${platform.token('dept-public-security')}`);
    const c = conditionalContent();
    const content: pb.EntryContent = {
      ...c, grade: pb.Grade.GRADE_IMPORTANT, dataItems: c.dataItems.map((i) => ({ ...i, grade: pb.Grade.GRADE_IMPORTANT })), updateFrequency: pb.UpdateFrequency.UPDATE_FREQUENCY_DAILY,
      shareAttribute: pb.ShareAttribute.SHARE_ATTRIBUTE_CONDITIONAL, shareMethods: [pb.ShareMethod.SHARE_METHOD_API], conditions: c.conditions!, notSharedReason: '', notSharedLegalBasis: '',
    };
    const draft = (entryId: string) => new Promise<{ err: grpc.ServiceError | null }>((resolve) => client.draftEntry({ entryId, content }, md, (err) => resolve({ err })));
    for (const entryId of [`ce-${uuidv7()}-`.padEnd(ID_MAX_LENGTH + 1, 'z'), 'e/1', 'e 1']) {
      const { err } = await draft(entryId);
      assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, entryId);
      assert.equal(err?.metadata.get('x-error-fields')[0], 'entryId');
      assert.equal((await provider().get(`/v1/entries/${encodeURIComponent(entryId)}`)).status === 200, false);
    }
    assert.equal((await draft(`ce-${uuidv7()}`)).err, null);
    client.close();
  });

  test('EDGE: CAT-08: an update whose changedAt is a leap second (23:59:60) or not a real date is 400 naming changedAt, not 500 (defect 5)', async () => {
    const id = await publishOverRest(svc, platform, `ce-${uuidv7()}`);
    for (const changedAt of ['2026-06-30T23:59:60Z', '2026-02-30T08:00:00+08:00']) {
      problem(await raw('POST', `/v1/entries/${id}/updates`, JSON.stringify({ trigger: 'LAW_CHANGE', changedAt, description: 'new law' })), 400, 'GOV_ERR_INPUT_INVALID', 'body.changedAt');
    }
    assert.equal((await raw('POST', `/v1/entries/${id}/updates`, JSON.stringify({ trigger: 'LAW_CHANGE', changedAt: '2026-09-20T23:59:59+08:00', description: 'new law' }))).status, 200);
  });

  test('EDGE: the published OpenAPI bounds every string, array and number of every catalog operation; every answer carries x-request-id and traceparent (defects 1, 10)', async () => {
    const docs = await raw('GET', '/docs/json');
    assert.match(docs.headers.get('x-request-id') ?? '', /.+/);
    assert.match(docs.headers.get('traceparent') ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const echoed = await fetch(`${svc.httpUrl}/v1/entries/e-none`, { headers: { authorization: `Bearer ${platform.token('dept-public-security')}`, 'x-request-id': 'catalog-client-1' } });
    assert.equal(echoed.status, 404);
    assert.equal(echoed.headers.get('x-request-id'), 'catalog-client-1');
    assert.equal(((await echoed.json()) as { requestId: string }).requestId, 'catalog-client-1');
    assert.deepEqual(unboundedFields(JSON.parse(docs.text) as OpenApiDoc), []);
  });
});
