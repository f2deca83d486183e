import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import kafkajs from 'kafkajs';
import { ControlledClock, envelopeToHeaders, headersToStrings, REPO_ROOT, SchemaRegistry, uuidv7, type Envelope } from '@govmesh/backbone';
import { readTopic, stackEnv, waitFor } from '@govmesh/backbone/testing';
import { CatalogIngestEventNamespace } from '@govmesh/contracts/avro';
import * as pb from '@govmesh/contracts/catalog/v1';
import type { CatalogService } from './app.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { catalogTopics } from './events/topics.ts';
import { plainAvscDecoder, publishOverRest, restAs, startTestCatalog } from './testing.ts';
import type { TestPlatform } from '@govmesh/backbone/testing';

// Real Kafka and PostgreSQL (scripts/infra). Each run uses its own platform id, so its own topics.
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
const competent = () => restAs(svc.httpUrl, platform.token('dept-data-bureau'));
const projected = (entryId: string, status: string) =>
  waitFor(`${entryId} projected as ${status}`, async () => {
    const r = await provider().get(`/v1/entries?keyword=&status=${status}&limit=500`);
    return (r.body!['entries'] as { entryId: string }[]).find((e) => e.entryId === entryId);
  });

describe('catalog publish workflow on the real stack', () => {
  test('CAT-07: an entry goes draft -> assessed -> approved -> submitted -> published and every step is an event on the catalog topic', async () => {
    const id = `ce-${uuidv7()}`;
    await publishOverRest(svc, platform, id);
    const got = await provider().get(`/v1/entries/${id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body!['entry'].status, 'PUBLISHED');
    assert.equal(got.body!['entry'].publishedVersion, 1);
    assert.deepEqual(
      got.body!['history'].map((h: { type: string }) => h.type),
      ['CatalogEntryDrafted', 'CatalogAssessmentRecorded', 'CatalogAssessmentRecorded', 'CatalogEntryHeadApproved', 'CatalogEntrySubmitted', 'CatalogEntryPublished'],
    );
    await projected(id, 'PUBLISHED');
    const versions = await provider().get(`/v1/entries/${id}`);
    assert.equal(versions.body!['versions'].length, 1);
  });

  test('a plain kafkajs consumer that knows only the .avsc files decodes every event on the catalog topic', async () => {
    const id = `ce-${uuidv7()}`;
    await publishOverRest(svc, platform, id);
    await projected(id, 'PUBLISHED');
    const decode = plainAvscDecoder();
    const records = await readTopic(stackEnv().KAFKA_BROKERS, catalogTopics(platform.id).events);
    assert.ok(records.length >= 6);
    for (const r of records) {
      const h = headersToStrings(r.headers);
      const d = decode(r.value!);
      assert.equal(d.name, h['ce_type'], 'ce_type names the Avro record');
      assert.equal(r.key!.toString(), h['ce_subject'], 'key = aggregate id');
      assert.equal(h['ce_specversion'], '1.0');
      assert.match(h['ce_id']!, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'ce_id is a UUIDv7');
      assert.equal(h['content-type'], 'application/avro');
      assert.equal(typeof d.value['entryId'], 'string');
    }
    const mine = records.filter((r) => r.key!.toString() === id).map((r) => headersToStrings(r.headers)['ce_aggregateversion']);
    assert.deepEqual([...new Set(mine)], ['1', '2', '3', '4', '5', '6'], 'versions are contiguous');
  });

  test('search by provider, share attribute, grade and keyword', async () => {
    const a = `ce-${uuidv7()}`;
    const b = `ce-${uuidv7()}`;
    await publishOverRest(svc, platform, a, conditionalContent({ name: 'Household registry 户籍', code: 'HR-1' }));
    await publishOverRest(svc, platform, b, conditionalContent({ name: 'Vehicle registry', code: 'VR-1', grade: 'CORE', dataItems: [{ name: 'plate', type: 'string', description: 'number plate', grade: 'CORE' }] }));
    await projected(a, 'PUBLISHED');
    await projected(b, 'PUBLISHED');
    const ids = async (q: string) => ((await provider().get(`/v1/entries?${q}&limit=500`)).body!['entries'] as { entryId: string }[]).map((e) => e.entryId);
    assert.ok((await ids('keyword=户籍')).includes(a));
    assert.ok(!(await ids('keyword=户籍')).includes(b));
    assert.ok((await ids('grade=CORE')).includes(b));
    assert.ok(!(await ids('grade=CORE')).includes(a));
    assert.ok((await ids('provider=dept-public-security&shareAttribute=CONDITIONAL')).includes(a));
    assert.deepEqual(await ids('provider=dept-civil-affairs'), []);
  });
});

describe('bad input gets a clear error and leaves nothing behind', () => {
  test('CAT-03: REST missing legal field -> 400 problem+json naming the field, no event written', async () => {
    const id = `ce-${uuidv7()}`;
    const r = await provider().post('/v1/entries', { entryId: id, content: { ...conditionalContent(), format: undefined } });
    assert.equal(r.status, 400);
    assert.match(r.contentType, /application\/problem\+json/);
    assert.equal(r.body!['code'], 'GOV_ERR_INPUT_INVALID');
    assert.ok(r.body!['violations'].some((v: { field: string }) => v.field === 'body.content.format'));
    assert.equal((await provider().get(`/v1/entries/${id}`)).status, 404);
  });

  test('CAT-03: the update frequency is mandatory over REST: missing or null, 400 problem+json naming updateFrequency, never a silent IRREGULAR; no event written', async () => {
    const id = `ce-${uuidv7()}`;
    const { updateFrequency: _omit, ...withoutFrequency } = conditionalContent();
    for (const content of [withoutFrequency, { ...withoutFrequency, updateFrequency: null }]) {
      const r = await provider().post('/v1/entries', { entryId: id, content });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.contentType, /application\/problem\+json/);
      assert.equal(r.body!['code'], 'GOV_ERR_INPUT_INVALID');
      assert.ok(r.body!['violations'].some((v: { field: string }) => /(^|\.)content\.updateFrequency$/.test(v.field)), JSON.stringify(r.body));
    }
    assert.equal((await provider().get(`/v1/entries/${id}`)).status, 404);
    // Nor through a revision of a draft.
    const drafted = `ce-${uuidv7()}`;
    assert.equal((await provider().post('/v1/entries', { entryId: drafted, content: conditionalContent({ updateFrequency: 'WEEKLY' }) })).status, 201);
    const revised = await provider().put(`/v1/entries/${drafted}/content`, { content: withoutFrequency });
    assert.equal(revised.status, 400);
    assert.ok(revised.body!['violations'].some((v: { field: string }) => /(^|\.)content\.updateFrequency$/.test(v.field)), JSON.stringify(revised.body));
    assert.equal((await provider().get(`/v1/entries/${drafted}`)).body!['entry'].content.updateFrequency, 'WEEKLY');
  });

  test('CAT-10: wrong role -> 403 problem+json; no token -> 401', async () => {
    const r = await competent().post('/v1/entries', { content: conditionalContent({ provider: 'dept-data-bureau' }) });
    assert.equal(r.status, 403);
    assert.equal(r.body!['rule'], 'CAT-10');
    const anon = await fetch(`${svc.httpUrl}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anon.status, 401);
    const expired = await restAs(svc.httpUrl, platform.token('dept-public-security', 1, new Date(clock.now().getTime() - 10000))).get('/v1/entries');
    assert.equal(expired.status, 401);
  });

  test('unknown entry -> 404 over REST and NOT_FOUND over gRPC', async () => {
    assert.equal((await provider().post('/v1/entries/no-such-entry/submission')).status, 404);
    const client = new pb.CatalogServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${platform.token('dept-public-security')}`);
    const err = await new Promise<grpc.ServiceError>((resolve) => client.getEntry({ entryId: 'no-such-entry' }, md, (e) => resolve(e!)));
    assert.equal(err.code, grpc.status.NOT_FOUND);
    client.close();
  });

  test('CAT-06: gRPC invalid content -> INVALID_ARGUMENT naming the field; wrong role -> PERMISSION_DENIED', async () => {
    const client = new pb.CatalogServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = (dept: string) => {
      const m = new grpc.Metadata();
      m.set('authorization', `Bearer ${platform.token(dept)}`);
      return m;
    };
    const call = (req: pb.DraftEntryRequest, dept: string) => new Promise<{ err: grpc.ServiceError | null; res?: pb.EntryResponse }>((resolve) => client.draftEntry(req, md(dept), (err, res) => resolve({ err, res })));
    const base = {
      name: 'Population', code: 'P-1', abstract: 'a', provider: '', sourceDepartment: '', classification: '基础/人口',
      grade: pb.Grade.GRADE_GENERAL, dataItems: [{ name: 'id', type: 'string', description: 'id', grade: pb.Grade.GRADE_GENERAL }],
      format: 'table', updateFrequency: pb.UpdateFrequency.UPDATE_FREQUENCY_DAILY, shareAttribute: pb.ShareAttribute.SHARE_ATTRIBUTE_CONDITIONAL,
      shareMethods: [pb.ShareMethod.SHARE_METHOD_API], conditions: { scope: '', purpose: 'checks', other: '' }, notSharedReason: '', notSharedLegalBasis: '', personalInformation: false,
    };
    const bad = await call({ entryId: '', content: base }, 'dept-public-security');
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.err!.details, /content\.conditions\.scope/);
    assert.equal(bad.err!.metadata.get('x-error-fields')[0], 'content.conditions.scope');
    const denied = await call({ entryId: '', content: base }, 'dept-audit-office');
    assert.equal(denied.err?.code, grpc.status.PERMISSION_DENIED);
    const ok = await call({ entryId: '', content: { ...base, conditions: { scope: 'social security', purpose: 'checks', other: '' } } }, 'dept-public-security');
    assert.equal(ok.err, null);
    assert.equal(ok.res?.status, 'DRAFT');
    client.close();
  });

  test('a malformed event on the ingest topic goes to the dead-letter topic with its origin and error; a valid one drafts the entry, a duplicate changes nothing', async () => {
    const t = catalogTopics(platform.id);
    const kafka = new kafkajs.Kafka({ clientId: 'ingest-test', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
    const id = `ce-${uuidv7()}`;
    const envelope = (token: string | undefined): Record<string, string> => {
      const env: Envelope = {
        id: uuidv7(), type: `${CatalogIngestEventNamespace}.CatalogDraftProposed`, source: '/departments/dept-public-security/systems/rk', subject: id,
        time: new Date().toISOString(), specversion: '1.0', datacontenttype: 'application/avro', dataschema: '', correlationid: id, causationid: '', partitionkey: id, sequence: '',
      };
      return { ...envelopeToHeaders(env), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
    };
    const value = registry.encode(`${CatalogIngestEventNamespace}.CatalogDraftProposed`, { entryId: id, content: conditionalContent() });
    const revised = registry.encode(`${CatalogIngestEventNamespace}.CatalogDraftProposed`, { entryId: id, content: conditionalContent({ abstract: 'revised by the departmental system' }) });
    const proposal = envelope(platform.token('dept-public-security'));
    await producer.send({
      topic: t.ingest,
      messages: [
        { key: 'garbage', value: Buffer.from('{"not":"avro"}'), headers: envelope(platform.token('dept-public-security')) },
        { key: id, value, headers: envelope(undefined) },
        { key: id, value, headers: proposal },
        // Kafka may deliver a record twice (producer retry, replay): same ce_id, no second change.
        { key: id, value, headers: proposal },
        { key: id, value: revised, headers: envelope(platform.token('dept-public-security')) },
      ],
    });
    await producer.disconnect();
    const dlq = await waitFor('two dead letters', async () => {
      const recs = await readTopic(stackEnv().KAFKA_BROKERS, `${t.ingest}.dlq`).catch(() => []);
      return recs.length >= 2 ? recs.map((r) => headersToStrings(r.headers)) : undefined;
    });
    const undecodable = dlq.find((h) => h['x-error-code'] === 'GOV_ERR_EVENT_UNDECODABLE')!;
    assert.equal(undecodable['x-original-topic'], t.ingest);
    const ingested = await readTopic(stackEnv().KAFKA_BROKERS, t.ingest);
    const original = ingested.find((r) => r.offset === undecodable['x-original-offset'] && r.key?.toString() === 'garbage');
    assert.equal(original?.value?.toString(), '{"not":"avro"}', 'the dead letter points at the original record');
    assert.match(undecodable['x-original-partition']!, /^\d+$/);
    assert.ok(dlq.some((h) => h['x-error-code'] === 'GOV_ERR_AUTH_MISSING'), 'an event without a token is refused');
    const drafted = await waitFor('ingested draft and revision', async () => {
      const r = await provider().get(`/v1/entries/${id}`);
      return r.status === 200 && r.body!['history'].length >= 2 ? r.body : undefined;
    });
    assert.equal(drafted['entry'].status, 'DRAFT');
    assert.deepEqual(drafted['history'].map((h: { type: string }) => h.type), ['CatalogEntryDrafted', 'CatalogEntryRevised'], 'the duplicate record changed nothing');
    assert.equal(drafted['entry'].content.abstract, 'revised by the departmental system');
  });
});

describe('deadlines on the real stack', () => {
  test('CAT-08: an update overdue across the 2026 National Day holiday is flagged exactly once, even with racing watchers, and shows in queries', async () => {
    clock.set('2026-09-29T10:00:00+08:00');
    const id = `ce-${uuidv7()}`;
    await publishOverRest(svc, platform, id);
    const started = await provider().post(`/v1/entries/${id}/updates`, { trigger: 'LAW_CHANGE', changedAt: '2026-09-29T10:00:00+08:00', description: 'PIPL amendment' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await projected(id, 'UPDATING');
    clock.set('2026-10-19T23:00:00+08:00');
    assert.equal(await svc.watcher.scanOnce(), 0, 'not overdue on the last day');
    clock.set('2026-10-20T09:00:00+08:00');
    const flagged = await Promise.all([svc.watcher.scanOnce(), svc.watcher.scanOnce(), svc.watcher.scanOnce()]);
    const history = (await provider().get(`/v1/entries/${id}`)).body!['history'] as { type: string }[];
    assert.equal(history.filter((h) => h.type === 'CatalogUpdateOverdue').length, 1, `flag counts ${flagged.join(',')}`);
    const overdue = await waitFor('overdue in query', async () => {
      const r = await provider().get('/v1/entries?overdue=true&limit=500');
      return (r.body!['entries'] as { entryId: string; updateOverdue: boolean }[]).find((e) => e.entryId === id);
    });
    assert.equal(overdue.updateOverdue, true);
    assert.equal(await svc.watcher.scanOnce(), 0);
  });
});

describe('concurrency', () => {
  test('publish racing return on one entry: one wins, the other gets a clear error', async () => {
    const id = `ce-${uuidv7()}`;
    await publishOverRest(svc, platform, id);
    await provider().post(`/v1/entries/${id}/updates`, { trigger: 'DUTY_CHANGE', description: 'new duties' });
    for (const step of [
      () => provider().post(`/v1/entries/${id}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR-2', conclusion: 'ok' }),
      () => provider().post(`/v1/entries/${id}/assessments`, { kind: 'PERSONAL_INFORMATION', reference: 'PI-2', conclusion: 'ok' }),
      () => provider().post(`/v1/entries/${id}/head-approval`, { approver: 'Director Li' }),
      () => provider().post(`/v1/entries/${id}/submission`),
    ]) assert.equal((await step()).status, 200);
    const [a, b] = await Promise.all([competent().post(`/v1/entries/${id}/publication`), competent().post(`/v1/entries/${id}/return`, { reasons: ['incomplete'] })]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 409]);
    const loser = a.status === 409 ? a : b;
    assert.match(String(loser.body!['code']), /GOV_ERR_CONCURRENCY_CONFLICT|GOV_ERR_RULE_VIOLATED/);
  });
});
