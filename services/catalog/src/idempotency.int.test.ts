import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/catalog/v1';
import { uuidv7 } from '@govmesh/backbone';
import { contentToProto } from './api/content-mapping.ts';
import type { CatalogService } from './app.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { restAs, startTestCatalog } from './testing.ts';
import type { TestPlatform } from '@govmesh/backbone/testing';

// Real Kafka and PostgreSQL (scripts/infra). Safe retries on the catalog's REST commands (issue 13,
// defect 7) and gRPC commands; the mechanism is the backbone's, the same for every service.
let svc: CatalogService;
let platform: TestPlatform;
before(async () => {
  ({ service: svc, platform } = await startTestCatalog());
});
after(async () => {
  await svc?.stop();
});

const provider = () => restAs(svc.httpUrl, platform.token('dept-public-security'));
const historyOf = async (entryId: string) => ((await provider().get(`/v1/entries/${entryId}`)).body!['history'] as { type: string }[]).map((e) => e.type);

test('EDGE: a retried draft with the same Idempotency-Key creates one entry and gets the first answer again; without a key a retry creates a second entry (defect 7)', async () => {
  const key = uuidv7();
  const first = await provider().post('/v1/entries', { content: conditionalContent() }, { 'idempotency-key': key });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const retry = await provider().post('/v1/entries', { content: conditionalContent() }, { 'idempotency-key': key });
  assert.equal(retry.status, 201);
  assert.deepEqual(retry.body, first.body, 'the same entry id, revision and event ids');
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await historyOf(first.body!['entryId']), ['CatalogEntryDrafted']);
  // The behaviour the key exists for: without it, a retry after a timeout is a new request.
  const a = await provider().post('/v1/entries', { content: conditionalContent() });
  const b = await provider().post('/v1/entries', { content: conditionalContent() });
  assert.notEqual(a.body!['entryId'], b.body!['entryId']);
});

test('EDGE: an Idempotency-Key reused with another body is 409 naming the header; another department\'s same key is its own (defect 7)', async () => {
  const key = uuidv7();
  const entryId = `ce-${uuidv7()}`;
  assert.equal((await provider().post('/v1/entries', { entryId, content: conditionalContent() }, { 'idempotency-key': key })).status, 201);
  const reused = await provider().post(`/v1/entries/${entryId}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR-1', conclusion: 'none' }, { 'idempotency-key': key });
  assert.equal(reused.status, 409);
  assert.equal(reused.body!['code'], 'GOV_ERR_IDEMPOTENCY_KEY_REUSED');
  assert.equal(reused.body!['violations'][0].field, 'headers.idempotency-key');
  assert.deepEqual(await historyOf(entryId), ['CatalogEntryDrafted']);
  const other = restAs(svc.httpUrl, platform.token('dept-civil-affairs'));
  assert.equal((await other.post('/v1/entries', { content: conditionalContent({ provider: 'dept-civil-affairs' }) }, { 'idempotency-key': key })).status, 201);
  assert.equal((await provider().post('/v1/entries', { content: conditionalContent() }, { 'idempotency-key': 'bad key with spaces' })).status, 400);
});

test('EDGE: racing retries with one Idempotency-Key commit one command; each answer is the first one or a retryable 409 (defect 7)', async () => {
  const entryId = `ce-${uuidv7()}`;
  assert.equal((await provider().post('/v1/entries', { entryId, content: conditionalContent() })).status, 201);
  const key = uuidv7();
  const body = { kind: 'SECRECY_RISK', reference: 'SR-2026-9', conclusion: 'no state secrets' };
  const answers = await Promise.all(Array.from({ length: 6 }, () => provider().post(`/v1/entries/${entryId}/assessments`, body, { 'idempotency-key': key })));
  const ok = answers.filter((a) => a.status === 200);
  assert.ok(ok.length >= 1);
  for (const a of ok) assert.deepEqual(a.body, ok[0]!.body);
  for (const a of answers.filter((x) => x.status !== 200)) {
    assert.equal(a.status, 409);
    assert.ok(['GOV_ERR_IDEMPOTENCY_IN_PROGRESS', 'GOV_ERR_CONCURRENCY_CONFLICT'].includes(a.body!['code']), a.body!['code']);
  }
  assert.deepEqual(await historyOf(entryId), ['CatalogEntryDrafted', 'CatalogAssessmentRecorded']);
  const after = await provider().post(`/v1/entries/${entryId}/assessments`, body, { 'idempotency-key': key });
  assert.deepEqual([after.status, after.body], [200, ok[0]!.body]);
});

test('EDGE: If-Match applies a command only at the revision the client read: a stale revision is 412 and changes nothing (defect 7)', async () => {
  const entryId = `ce-${uuidv7()}`;
  const drafted = await provider().post('/v1/entries', { entryId, content: conditionalContent() });
  assert.equal(drafted.body!['revision'], 1);
  const stale = await provider().post(`/v1/entries/${entryId}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR-1', conclusion: 'none' }, { 'if-match': '"0"' });
  assert.equal(stale.status, 412);
  assert.equal(stale.body!['code'], 'GOV_ERR_PRECONDITION_FAILED');
  assert.deepEqual(await historyOf(entryId), ['CatalogEntryDrafted']);
  const current = await provider().post(`/v1/entries/${entryId}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR-1', conclusion: 'none' }, { 'if-match': '"1"' });
  assert.equal(current.status, 200, JSON.stringify(current.body));
  assert.equal(current.body!['revision'], 2);
  assert.equal((await provider().post(`/v1/entries/${entryId}/head-approval`, { approver: 'x' }, { 'if-match': 'three' })).status, 400);
});

test('EDGE: over gRPC, idempotency-key metadata makes a retried command run once with the first answer; another request under it and a stale if-match are refused (defect 7)', async () => {
  const client = new pb.CatalogServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
  const md = (extra: Record<string, string>) => {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${platform.token('dept-public-security')}`);
    for (const [k, v] of Object.entries(extra)) m.set(k, v);
    return m;
  };
  const draft = (req: pb.DraftEntryRequest, extra: Record<string, string>) =>
    new Promise<{ err: grpc.ServiceError | null; res?: pb.EntryResponse; replayed?: string }>((resolve) => {
      let replayed: string | undefined;
      const call = client.draftEntry(req, md(extra), (err, res) => resolve({ err, ...(res === undefined ? {} : { res }), ...(replayed === undefined ? {} : { replayed }) }));
      call.on('metadata', (m) => (replayed = m.get('idempotent-replayed')[0]?.toString()));
    });
  const assess = (req: pb.RecordAssessmentRequest, extra: Record<string, string>) =>
    new Promise<{ err: grpc.ServiceError | null; res?: pb.EntryResponse }>((resolve) => client.recordAssessment(req, md(extra), (err, res) => resolve({ err, ...(res === undefined ? {} : { res }) })));
  try {
    const content = contentToProto(conditionalContent());
    const key = uuidv7();
    const first = await draft({ entryId: '', content }, { 'idempotency-key': key });
    assert.equal(first.err, null, first.err?.details);
    const retry = await draft({ entryId: '', content }, { 'idempotency-key': key });
    assert.equal(retry.err, null);
    assert.deepEqual(retry.res, first.res, 'the same entry id, revision and event ids');
    assert.equal(retry.replayed, 'true');
    assert.deepEqual(await historyOf(first.res!.entryId), ['CatalogEntryDrafted']);

    const entryId = first.res!.entryId;
    const reused = await assess({ entryId, kind: pb.AssessmentKind.ASSESSMENT_KIND_SECRECY_RISK, reference: 'SR-1', conclusion: 'none' }, { 'idempotency-key': key });
    assert.equal(reused.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(reused.err?.metadata.get('x-error-code')[0], 'GOV_ERR_IDEMPOTENCY_KEY_REUSED');
    assert.equal(reused.err?.metadata.get('x-error-fields')[0], 'metadata.idempotency-key');

    const stale = await assess({ entryId, kind: pb.AssessmentKind.ASSESSMENT_KIND_SECRECY_RISK, reference: 'SR-1', conclusion: 'none' }, { 'if-match': '"0"' });
    assert.equal(stale.err?.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(stale.err?.metadata.get('x-error-code')[0], 'GOV_ERR_PRECONDITION_FAILED');
    assert.deepEqual(await historyOf(entryId), ['CatalogEntryDrafted'], 'nothing changed');
    const current = await assess({ entryId, kind: pb.AssessmentKind.ASSESSMENT_KIND_SECRECY_RISK, reference: 'SR-1', conclusion: 'none' }, { 'if-match': '"1"', 'idempotency-key': uuidv7() });
    assert.equal(current.err, null, current.err?.details);
    assert.equal(current.res?.revision, 2);
  } finally {
    client.close();
  }
});
