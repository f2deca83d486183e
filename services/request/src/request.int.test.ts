import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import kafkajs from 'kafkajs';
import { ControlledClock, REPO_ROOT, SchemaRegistry, envelopeToHeaders, headersToStrings, uuidv7, type Envelope } from '@govmesh/backbone';
import { readTopic, stackEnv, testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import { RequestIngestEventNamespace } from '@govmesh/contracts/avro';
import * as pb from '@govmesh/contracts/request/v1';
import type { CatalogService } from '../../catalog/src/app.ts';
import { conditionalContent } from '../../catalog/src/domain/fixtures.ts';
import { plainAvscDecoder, publishOverRest, restAs, startTestCatalog } from '../../catalog/src/testing.ts';
import type { RequestService } from './app.ts';
import { requestTopics } from './events/topics.ts';
import { startTestRequest } from './testing.ts';

// Real Kafka and PostgreSQL (scripts/infra). A catalog service and two replicas of the request
// service run in-process on one fresh test platform (its own topics); the request service learns
// the catalog only from the catalog topic. The replicas share the database and the consumer groups;
// the second one is configured to grant unconditional data automatically.
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let platform: TestPlatform;
let catalog: CatalogService;
let svc: RequestService;
let autoGrantReplica: RequestService;

before(async () => {
  platform = testPlatform();
  ({ service: catalog } = await startTestCatalog({ clock, platform }));
  [{ service: svc }, { service: autoGrantReplica }] = await Promise.all([startTestRequest({ clock, platform }), startTestRequest({ clock, platform, env: { UNCONDITIONAL_AUTO_GRANT: 'true' } })]);
});
after(async () => {
  await autoGrantReplica?.stop();
  await svc?.stop();
  await catalog?.stop();
});

const REQUESTER = 'dept-civil-affairs';
const PROVIDER = 'dept-public-security';
const as = (dept: string, url?: string) => restAs(url ?? svc.httpUrl, platform.token(dept));
const requester = () => as(REQUESTER);
const provider = () => as(PROVIDER);
const competent = () => as('dept-data-bureau');
const endOf = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();

const ok = <T extends { status: number; body?: unknown }>(r: T): T => {
  assert.ok(r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  return r;
};

/** Publishes an entry through the catalog service and waits until the request service's view has it. */
const publishEntry = async (content = conditionalContent()): Promise<string> => {
  const entryId = `ce-${uuidv7()}`;
  await publishOverRest(catalog, platform, entryId, content);
  await waitFor(`${entryId} in the request service's catalog view`, async () => {
    const r = await requester().get(`/v1/requestable-entries/${entryId}`);
    return r.status === 200 && r.body!['status'] === 'PUBLISHED' ? r.body : undefined;
  });
  return entryId;
};

const requestBody = (entryId: string, over: Record<string, unknown> = {}) => ({
  content: {
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
  },
});

/** Draft, the office head's consent, submission (through the given replica): returns the share id. */
const fileRequest = async (entryId: string, url?: string): Promise<string> => {
  const shareId = `sr-${uuidv7()}`;
  const r = as(REQUESTER, url);
  ok(await r.post('/v1/requests', { shareId, ...requestBody(entryId) }));
  ok(await r.post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' }));
  ok(await r.post(`/v1/requests/${shareId}/submission`));
  return shareId;
};

const projected = (shareId: string, predicate: (s: Record<string, any>) => boolean, q = '') =>
  waitFor(`${shareId} projected`, async () => {
    const r = await competent().get(`/v1/requests?limit=500${q}`);
    const s = (r.body!['shares'] as Record<string, any>[]).find((x) => x['shareId'] === shareId);
    return s !== undefined && predicate(s) ? s : undefined;
  });

const historyOf = async (shareId: string) => ((await requester().get(`/v1/requests/${shareId}`)).body!['history'] as { type: string; data: Record<string, unknown> }[]);

describe('share request workflow on the real stack', () => {
  test('REQ-02, APR-01, APR-02, DLV-01: draft -> consent -> submitted -> approved -> active; every step is an event on the request topic, decodable from its .avsc alone', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const entryId = await publishEntry();
    const shareId = await fileRequest(entryId);
    const submitted = (await requester().get(`/v1/requests/${shareId}`)).body!['share'];
    // APR-02: 10 working days from Monday 21 Sep: 22-24 Sep (25-27 Sep are Mid-Autumn), 28-30 Sep (1-7 Oct are
    // National Day), 8 and 9 Oct, Saturday 10 Oct (make-up working day), Monday 12 Oct.
    assert.equal(submitted['status'], 'SUBMITTED');
    assert.equal(submitted['replyDueAt'], endOf('2026-10-12'));
    assert.equal(submitted['content']['provider'], PROVIDER, 'the provider comes from the catalog view');
    assert.equal(submitted['content']['entryVersion'], 1);

    const approved = ok(await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang', conditions: 'case checks only', disposalRequirement: 'delete all copies' }));
    assert.equal(approved.body!['status'], 'APPROVED');
    const got = (await provider().get(`/v1/requests/${shareId}`)).body!['share'];
    assert.equal(got['deliveryDueAt'], endOf('2026-10-26'), 'DLV-01: 20 working days from 21 Sep, across Mid-Autumn and National Day');

    // Delivery starts: the provider's system reports it on the ingest topic (until the exchange service exists).
    const t = requestTopics(platform.id);
    const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
    const kafka = new kafkajs.Kafka({ clientId: 'ingest-test', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const headers = (dept: string): Record<string, string> => {
      const env: Envelope = {
        id: uuidv7(), type: `${RequestIngestEventNamespace}.DeliveryStarted`, source: `/departments/${dept}/systems/exchange-gw`, subject: shareId,
        time: new Date().toISOString(), specversion: '1.0', datacontenttype: 'application/avro', dataschema: '', correlationid: shareId, causationid: '', partitionkey: shareId, sequence: '',
      };
      return { ...envelopeToHeaders(env), authorization: `Bearer ${platform.token(dept)}` };
    };
    const value = registry.encode(`${RequestIngestEventNamespace}.DeliveryStarted`, { shareId, shareMethod: 'API' });
    await producer.send({ topic: t.ingest, messages: [{ key: shareId, value, headers: headers(REQUESTER) }, { key: shareId, value, headers: headers(PROVIDER) }] });
    await producer.disconnect();
    await projected(shareId, (s) => s['status'] === 'ACTIVE');
    const dlq = await waitFor('the requester-signed delivery report in the dead-letter topic', async () => {
      const recs = await readTopic(stackEnv().KAFKA_BROKERS, `${t.ingest}.dlq`).catch(() => []);
      return recs.length >= 1 ? headersToStrings(recs[0]!.headers) : undefined;
    });
    assert.equal(dlq['x-error-code'], 'GOV_ERR_AUTH_FORBIDDEN');
    assert.equal(dlq['x-error-rule'], 'DLV-01');

    const history = await historyOf(shareId);
    const expected = ['ShareRequestDrafted', 'ShareRequestInternallyApproved', 'ShareRequestSubmitted', 'ShareRequestApproved', 'ShareActivated'];
    assert.deepEqual(history.map((h) => h.type), expected);

    const decode = plainAvscDecoder();
    const records = await waitFor('all five events relayed', async () => {
      const recs = (await readTopic(stackEnv().KAFKA_BROKERS, t.events)).filter((r) => r.key?.toString() === shareId);
      return recs.length >= expected.length ? recs : undefined;
    });
    const seen: string[] = [];
    for (const r of records) {
      const h = headersToStrings(r.headers);
      const d = decode(r.value!);
      assert.equal(d.name, h['ce_type'], 'ce_type names the Avro record');
      assert.equal(d.value['shareId'], shareId);
      assert.equal(h['ce_subject'], shareId, 'subject = share id');
      assert.equal(h['ce_correlationid'], shareId, 'correlation id = share id');
      assert.equal(h['content-type'], 'application/avro');
      assert.match(h['ce_id']!, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'ce_id is a UUIDv7');
      seen.push(`${h['ce_aggregateversion']}:${d.name.split('.').pop()}`);
    }
    assert.deepEqual(seen, expected.map((type, i) => `${i + 1}:${type}`), 'keyed by share id, in order, versions contiguous');
    const drafted = decode(records[0]!.value!).value as { content: { legalBasis: string; commitment: { genuine: boolean } } };
    assert.equal(drafted.content.legalBasis, '社会救助暂行办法 Art. 11');
    assert.equal(drafted.content.commitment.genuine, true);
  });

  test('REQ-05: over REST a refusal for incompleteness alone is refused with a pointer to the notice; the one notice and the resubmission restart the clock', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const shareId = await fileRequest(await publishEntry());
    const bare = await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'INCOMPLETE_MATERIALS', detail: 'no legal basis document' }] });
    assert.equal(bare.status, 409);
    assert.equal(bare.body!['rule'], 'REQ-05');
    assert.match(String(bare.body!['detail']), new RegExp(`/v1/requests/${shareId}/missing-materials`));
    ok(await provider().post(`/v1/requests/${shareId}/missing-materials`, { items: [{ name: 'legal basis document', description: 'copy of Art. 11' }] }));
    const second = await provider().post(`/v1/requests/${shareId}/missing-materials`, { items: [{ name: 'more' }] });
    assert.equal(second.status, 409);
    assert.equal(second.body!['rule'], 'REQ-05');
    clock.set('2026-09-30T15:00:00+08:00');
    ok(await requester().post(`/v1/requests/${shareId}/resubmission`, { supplied: [{ name: 'legal basis document', reference: 'DOC-2026-11' }] }));
    const share = (await requester().get(`/v1/requests/${shareId}`)).body!['share'];
    assert.equal(share['replyDueAt'], endOf('2026-10-20'), 'a full 10 working days from the resubmission, across National Day');
  });
});

describe('unconditional data', () => {
  test('APR-02: with UNCONDITIONAL_AUTO_GRANT=true the platform grants a complete request at submission; with false the provider replies within 1 working day', async () => {
    clock.set('2026-09-18T10:00:00+08:00');
    const entryId = await publishEntry(conditionalContent({ shareAttribute: 'UNCONDITIONAL', conditions: null }));
    const manual = await fileRequest(entryId);
    const waiting = (await requester().get(`/v1/requests/${manual}`)).body!['share'];
    assert.equal(waiting['status'], 'SUBMITTED');
    assert.equal(waiting['replyDueAt'], endOf('2026-09-20'), '1 working day from Friday 18 Sep: Sunday 20 Sep is a make-up working day');
    const auto = await fileRequest(entryId, autoGrantReplica.httpUrl);
    const history = await historyOf(auto);
    assert.deepEqual(history.map((h) => h.type), ['ShareRequestDrafted', 'ShareRequestInternallyApproved', 'ShareRequestSubmitted', 'ShareRequestApproved']);
    assert.equal(history[3]!.data['automatic'], true);
    assert.equal(history[3]!.data['approvedBy'], `platform:${platform.id}`);
  });
});

describe('after the reply, over REST', () => {
  test('USE-01, REC-01, SUS-01, SUS-02, REC-05, USE-02: scope change, usage record, suspension, service change, end of use and disposal are each an event', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const shareId = await fileRequest(await publishEntry());
    ok(await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang', disposalRequirement: 'delete all copies' }));
    ok(await provider().post(`/v1/requests/${shareId}/delivery`, { shareMethod: 'API' }));
    const change = { dataItems: ['citizen_id', 'name'], useScenario: 'allowance notices', useScope: 'civil affairs case officers', periodUntil: '2027-08-31' };
    ok(await requester().post(`/v1/requests/${shareId}/scope-changes`, { change, reason: 'names are needed on the notices' }));
    assert.equal((await requester().post(`/v1/requests/${shareId}/scope-changes/decision`, { approve: true, headApprover: 'Director Zhao' })).status, 403, 'USE-01: only the provider consents');
    ok(await provider().post(`/v1/requests/${shareId}/scope-changes/decision`, { approve: true, headApprover: 'Director Wang' }));
    ok(await requester().post(`/v1/requests/${shareId}/usage-records`, { process: '1,200 eligibility checks', outcomes: '37 fraudulent claims stopped', storage: 'encrypted case database' }));
    ok(await competent().post(`/v1/requests/${shareId}/suspension`, { misuse: 'THIRD_PARTY', findings: 'data passed to a contractor', rectificationWorkingDays: 5 }));
    const early = await competent().post(`/v1/requests/${shareId}/termination`, { reason: 'x' });
    assert.equal(early.status, 409);
    assert.equal(early.body!['rule'], 'SUS-01');
    ok(await requester().post(`/v1/requests/${shareId}/rectification`, { description: 'contractor access revoked' }));
    ok(await competent().post(`/v1/requests/${shareId}/resumption`, { note: 'accepted' }));
    const direct = await provider().post(`/v1/requests/${shareId}/termination`, { reason: 'system retired' });
    assert.equal(direct.body!['rule'], 'SUS-02');
    ok(await provider().post(`/v1/requests/${shareId}/service-changes`, { kind: 'CHANGE', reason: 'new interface standard', description: 'API v2' }));
    ok(await requester().post(`/v1/requests/${shareId}/service-changes/negotiation`, { requesterAgrees: true, notes: 'agreed to move to v2 in November' }));
    ok(await competent().post(`/v1/requests/${shareId}/service-changes/filing`, { reference: 'BA-2026-7' }));
    ok(await requester().post(`/v1/requests/${shareId}/end-of-use`, { reason: 'PURPOSE_ACHIEVED', note: 'review finished' }));
    const disposed = ok(await requester().post(`/v1/requests/${shareId}/disposal`, { method: 'secure deletion', reference: 'destruction record D-1' }));
    assert.equal(disposed.body!['status'], 'DISPOSED');
    const share = (await competent().get(`/v1/requests/${shareId}`)).body!;
    assert.deepEqual(share['share']['state']['terms']['dataItems'], ['citizen_id', 'name']);
    assert.deepEqual(share['history'].map((h: { type: string }) => h.type).slice(5), [
      'ScopeChangeRequested', 'ScopeChangeApproved', 'UsageRecorded', 'ShareSuspended', 'RectificationReported', 'ShareResumed',
      'ServiceChangeProposed', 'ServiceChangeNegotiated', 'ServiceChangeFiled', 'ShareUseEnded', 'DataDisposalConfirmed',
    ]);
  });

  test('DSP-01: a refusal walks the dispute ladder, each step recorded, until the government decision grants the share', async () => {
    const shareId = await fileRequest(await publishEntry());
    ok(await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'NOT_NECESSARY', detail: 'names suffice' }] }));
    ok(await requester().post(`/v1/requests/${shareId}/dispute`, { grounds: 'the allowance rules require citizen ids' }));
    ok(await requester().post(`/v1/requests/${shareId}/dispute/escalation`, { reason: 'negotiation failed' }));
    ok(await competent().post(`/v1/requests/${shareId}/dispute/escalation`, { reason: 'coordination failed' }));
    const noRef = await competent().post(`/v1/requests/${shareId}/dispute/resolution`, { outcome: 'SHARE_GRANTED', decision: 'share' });
    assert.equal(noRef.status, 400);
    const granted = ok(await competent().post(`/v1/requests/${shareId}/dispute/resolution`, { outcome: 'SHARE_GRANTED', decision: 'the government decided to share', reference: '国办函〔2026〕1号' }));
    assert.equal(granted.body!['status'], 'APPROVED');
    const steps = (await historyOf(shareId)).filter((h) => h.type.startsWith('Dispute')).map((h) => `${h.type}:${String(h.data['toStage'] ?? h.data['stage'] ?? '')}`);
    assert.deepEqual(steps, ['DisputeOpened:', 'DisputeEscalated:COORDINATION', 'DisputeEscalated:GOVERNMENT_DECISION', 'DisputeResolved:GOVERNMENT_DECISION']);
    // Who decides at each step: the same-level competent authority from the platform directory, and the government at its level.
    const dispute = (await historyOf(shareId)).filter((h) => h.type.startsWith('Dispute'));
    assert.deepEqual(dispute.map((h) => h.data['authority'] ?? h.data['decidedBy']), ['dept-data-bureau', 'dept-data-bureau', 'dept-data-bureau', 'government:dept-data-bureau']);
  });
});

describe('bad input gets a clear error and leaves nothing behind', () => {
  test('REQ-03: REST missing legal field -> 400 problem+json naming the field; a blank one names the rule; no event written', async () => {
    const entryId = await publishEntry();
    const shareId = `sr-${uuidv7()}`;
    const body = requestBody(entryId);
    const { legalBasis: _omit, ...withoutBasis } = body.content;
    const missing = await requester().post('/v1/requests', { shareId, content: withoutBasis });
    assert.equal(missing.status, 400);
    assert.match(missing.contentType, /application\/problem\+json/);
    assert.equal(missing.body!['code'], 'GOV_ERR_INPUT_INVALID');
    assert.ok(missing.body!['violations'].some((v: { field: string }) => v.field === 'body.content.legalBasis'), JSON.stringify(missing.body));
    const blank = await requester().post('/v1/requests', { shareId, ...requestBody(entryId, { legalBasis: ' ', commitment: { genuine: true, lawful: true, necessary: false, secure: true } }) });
    assert.equal(blank.status, 400);
    assert.equal(blank.body!['rule'], 'REQ-03');
    assert.deepEqual(blank.body!['violations'].map((v: { field: string }) => v.field), ['content.legalBasis', 'content.commitment.necessary']);
    assert.equal((await requester().get(`/v1/requests/${shareId}`)).status, 404);
  });

  test('REQ-02, CAT-04: an unpublished, unknown or not-shared entry, or an unknown data item, is refused naming the field and the rule', async () => {
    const draftOnly = `ce-${uuidv7()}`;
    ok(await restAs(catalog.httpUrl, platform.token(PROVIDER)).post('/v1/entries', { entryId: draftOnly, content: conditionalContent() }));
    // Only its provider (and the competent department) sees a draft in the view (issue 13, defect 8).
    await waitFor('the draft in the catalog view', async () => ((await provider().get(`/v1/requestable-entries/${draftOnly}`)).body?.['status'] === 'UNPUBLISHED' ? true : undefined));
    const unpublished = await requester().post('/v1/requests', requestBody(draftOnly));
    assert.equal(unpublished.status, 400);
    assert.equal(unpublished.body!['rule'], 'REQ-02');
    assert.deepEqual(unpublished.body!['violations'], [{ field: 'content.entryId', description: `entry ${draftOnly} is not published: requests name published catalog entries only` }]);

    const unknown = await requester().post('/v1/requests', requestBody('no-such-entry'));
    assert.equal(unknown.status, 400);
    assert.match(unknown.body!['violations'][0].description, /not in the platform catalog/);

    const notShared = await publishEntry(conditionalContent({ shareAttribute: 'NOT_SHARED', shareMethods: [], conditions: null, notSharedReason: 'state secret', notSharedLegalBasis: '保守国家秘密法 Art. 2' }));
    const refused = await requester().post('/v1/requests', requestBody(notShared));
    assert.equal(refused.status, 400);
    assert.equal(refused.body!['rule'], 'CAT-04');
    assert.equal(refused.body!['violations'][0].field, 'content.entryId');

    const entryId = await publishEntry();
    const item = await requester().post('/v1/requests', requestBody(entryId, { dataItems: ['citizen_id', 'bank_account'] }));
    assert.equal(item.status, 400);
    assert.deepEqual(item.body!['violations'], [{ field: 'content.dataItems[1]', description: `entry ${entryId} (version 1) has no data item 'bank_account'` }]);
  });

  test('REQ-03: gRPC missing legal field -> INVALID_ARGUMENT naming the field; wrong role -> PERMISSION_DENIED', async () => {
    const entryId = await publishEntry();
    const client = new pb.RequestServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = (dept: string) => {
      const m = new grpc.Metadata();
      m.set('authorization', `Bearer ${platform.token(dept)}`);
      return m;
    };
    const call = (req: pb.DraftRequestRequest, dept: string) => new Promise<{ err: grpc.ServiceError | null; res?: pb.ShareResponse }>((resolve) => client.draftRequest(req, md(dept), (err, res) => resolve({ err, res })));
    const content: pb.RequestContent = {
      entryId, entryVersion: 0, provider: '', dataItems: ['citizen_id'], legalBasis: '', useScenario: 'allowance checks', useScope: 'case officers',
      shareMethod: pb.ShareMethod.SHARE_METHOD_API, periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
    };
    const bad = await call({ shareId: '', content }, REQUESTER);
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.err!.details, /content\.legalBasis/);
    assert.equal(bad.err!.metadata.get('x-error-fields')[0], 'content.legalBasis');
    assert.equal(bad.err!.metadata.get('x-error-rule')[0], 'REQ-03');
    const denied = await call({ shareId: '', content: { ...content, legalBasis: 'x' } }, 'dept-audit-office');
    assert.equal(denied.err?.code, grpc.status.PERMISSION_DENIED);
    const good = await call({ shareId: '', content: { ...content, legalBasis: '社会救助暂行办法 Art. 11' } }, REQUESTER);
    assert.equal(good.err, null);
    assert.equal(good.res?.status, 'DRAFT');
    const got = await new Promise<pb.GetShareResponse>((resolve, reject) => client.getShare({ shareId: good.res!.shareId }, md(PROVIDER), (e, r) => (e ? reject(e) : resolve(r!))));
    assert.equal(got.share?.provider, PROVIDER);
    assert.deepEqual(got.history.map((h) => h.type), ['ShareRequestDrafted']);
    client.close();
  });
});

describe('concurrency', () => {
  test('two replies racing on one request: one wins, the other gets 409', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const shareId = await fileRequest(await publishEntry());
    const [a, b] = await Promise.all([
      provider().post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang' }),
      provider().post(`/v1/requests/${shareId}/reply`, { decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'NOT_NECESSARY', detail: 'names suffice' }] }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409]);
    const loser = a.status === 409 ? a : b;
    assert.match(String(loser.body!['code']), /GOV_ERR_CONCURRENCY_CONFLICT|GOV_ERR_RULE_VIOLATED/);
    const replies = (await historyOf(shareId)).filter((h) => h.type === 'ShareRequestApproved' || h.type === 'ShareRequestRefused');
    assert.equal(replies.length, 1);
  });

  test('a reply racing the withdrawal: one wins, the other gets 409', async () => {
    const shareId = await fileRequest(await publishEntry());
    const [a, b] = await Promise.all([
      provider().post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang' }),
      requester().post(`/v1/requests/${shareId}/withdrawal`, { reason: 'no longer needed' }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409]);
    const status = (await requester().get(`/v1/requests/${shareId}`)).body!['share']['status'];
    assert.equal(status, a.status === 200 ? 'APPROVED' : 'WITHDRAWN');
  });
});

describe('deadlines on the real stack', () => {
  test('APR-03, APR-06: an extended reply deadline across the 2026 National Day week is flagged overdue exactly once, even with watchers racing on two replicas, and shows in queries', async () => {
    clock.set('2026-09-30T15:00:00+08:00');
    const shareId = await fileRequest(await publishEntry());
    await projected(shareId, (s) => s['replyDueAt'] === endOf('2026-10-20'));
    clock.set('2026-10-12T09:00:00+08:00');
    ok(await provider().post(`/v1/requests/${shareId}/reply-extension`, { workingDays: 5, reason: 'legal review of personal information' }));
    const byProvider = await provider().post(`/v1/requests/${shareId}/reply-extension/decision`, { grant: true });
    assert.equal(byProvider.status, 403, 'APR-03: the provider cannot approve its own extension');
    ok(await competent().post(`/v1/requests/${shareId}/reply-extension/decision`, { grant: true }));
    const notice = (await historyOf(shareId)).find((h) => h.type === 'ReplyDeadlineExtended')!;
    assert.equal(notice.data['replyDueAt'], endOf('2026-10-27'));
    assert.equal(notice.data['notifiedRequester'], REQUESTER);
    await projected(shareId, (s) => s['replyDueAt'] === endOf('2026-10-27'));

    // Other shares of this run may fall due too; what counts is this share's history.
    const overdueFlags = async () => (await historyOf(shareId)).filter((h) => h.type === 'ReplyOverdue');
    clock.set('2026-10-21T09:00:00+08:00');
    await svc.watcher.scanOnce();
    assert.deepEqual(await overdueFlags(), [], 'the old deadline no longer counts');
    clock.set('2026-10-27T23:00:00+08:00');
    await svc.watcher.scanOnce();
    assert.deepEqual(await overdueFlags(), [], 'not overdue on the last day');
    clock.set('2026-10-28T09:00:00+08:00');
    const flagged = await Promise.all([svc.watcher.scanOnce(), autoGrantReplica.watcher.scanOnce(), svc.watcher.scanOnce(), autoGrantReplica.watcher.scanOnce()]);
    const overdue = await overdueFlags();
    assert.equal(overdue.length, 1, `flag counts ${flagged.join(',')}`);
    assert.equal(overdue[0]!.data['dueAt'], endOf('2026-10-27'));
    const listed = await projected(shareId, (s) => s['replyOverdue'] === true, '&overdue=true');
    assert.equal(listed['status'], 'SUBMITTED');
    await svc.watcher.scanOnce();
    assert.equal((await overdueFlags()).length, 1, 'a later scan flags nothing more');
    const mine = await requester().get(`/v1/requests?requester=${REQUESTER}&overdue=true&limit=500`);
    assert.ok((mine.body!['shares'] as { shareId: string }[]).some((s) => s.shareId === shareId));
  });
});

/** Publishes a new version of an entry through the catalog's update cycle and waits until the request service's view has it. */
const republish = async (entryId: string, content: ReturnType<typeof conditionalContent>, version: number): Promise<void> => {
  const p = restAs(catalog.httpUrl, platform.token(PROVIDER));
  ok(await p.post(`/v1/entries/${entryId}/updates`, { trigger: 'LAW_CHANGE', description: 'the law changed' }));
  ok(await p.put(`/v1/entries/${entryId}/content`, { content }));
  ok(await p.post(`/v1/entries/${entryId}/assessments`, { kind: 'SECRECY_RISK', reference: `SR-${version}`, conclusion: 'reviewed' }));
  ok(await p.post(`/v1/entries/${entryId}/assessments`, { kind: 'PERSONAL_INFORMATION', reference: `PIA-${version}`, conclusion: 'reviewed' }));
  ok(await p.post(`/v1/entries/${entryId}/head-approval`, { approver: 'Director Wang' }));
  ok(await p.post(`/v1/entries/${entryId}/submission`));
  ok(await restAs(catalog.httpUrl, platform.token('dept-data-bureau')).post(`/v1/entries/${entryId}/publication`));
  await waitFor(`${entryId} version ${version} in the request service's catalog view`, async () => {
    const r = await requester().get(`/v1/requestable-entries/${entryId}`);
    return r.status === 200 && r.body!['latestVersion'] === version ? r.body : undefined;
  });
};

describe('the ways around the rules, over REST', () => {
  test('CAT-04, CAT-05: a request naming an older version is judged against the current one: no old share attribute, clock or auto-grant; refused once the entry is not shared; a draft made before is refused at submission', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const entryId = await publishEntry(conditionalContent({ shareAttribute: 'UNCONDITIONAL', conditions: null }));
    await republish(entryId, conditionalContent(), 2);
    // Version 1 (unconditional) named on the auto-granting replica: judged as version 2 (conditional).
    const shareId = `sr-${uuidv7()}`;
    const r = as(REQUESTER, autoGrantReplica.httpUrl);
    ok(await r.post('/v1/requests', { shareId, ...requestBody(entryId, { entryVersion: 1 }) }));
    ok(await r.post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' }));
    // A second draft, made while version 2 is current, submitted only after version 3.
    const early = `sr-${uuidv7()}`;
    ok(await requester().post('/v1/requests', { shareId: early, ...requestBody(entryId) }));
    ok(await requester().post(`/v1/requests/${early}/internal-approval`, { approver: 'Director Zhao' }));
    ok(await r.post(`/v1/requests/${shareId}/submission`));
    const history = await historyOf(shareId);
    assert.deepEqual(history.map((h) => h.type), ['ShareRequestDrafted', 'ShareRequestInternallyApproved', 'ShareRequestSubmitted'], 'no automatic grant');
    assert.equal(history[0]!.data['shareAttribute'], 'CONDITIONAL');
    assert.equal(history[2]!.data['replyWorkingDays'], 10);
    assert.equal((history[0]!.data['content'] as Record<string, unknown>)['entryVersion'], 2);

    await republish(entryId, conditionalContent({ shareAttribute: 'NOT_SHARED', shareMethods: [], conditions: null, notSharedReason: 'state secret', notSharedLegalBasis: '保守国家秘密法 Art. 2' }), 3);
    for (const entryVersion of [1, 2, 0]) {
      const old = await requester().post('/v1/requests', requestBody(entryId, { entryVersion }));
      assert.equal(old.status, 400, `version ${entryVersion}`);
      assert.equal(old.body!['rule'], 'CAT-04');
    }
    const late = await requester().post(`/v1/requests/${early}/submission`);
    assert.equal(late.status, 400);
    assert.equal(late.body!['rule'], 'CAT-04');
    assert.equal((await requester().get(`/v1/requests/${early}`)).body!['share']['status'], 'INTERNAL_APPROVED');
  });

  test('CAT-05: an approval of unconditional data with added conditions is refused naming the field; without them it is granted', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const shareId = await fileRequest(await publishEntry(conditionalContent({ shareAttribute: 'UNCONDITIONAL', conditions: null })));
    const added = await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang', conditions: 'only for cases opened this year' });
    assert.equal(added.status, 409);
    assert.equal(added.body!['rule'], 'CAT-05');
    assert.match(String(added.body!['detail']), /conditions/);
    ok(await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang', disposalRequirement: 'delete all copies' }));
  });

  test('APR-06, REQ-05: a late notice restarts no clock, and the late reply is recorded late whatever the watcher did', async () => {
    clock.set('2026-09-21T09:00:00+08:00');
    const shareId = await fileRequest(await publishEntry()); // due at the end of 12 Oct 2026
    clock.set('2026-10-13T10:00:00+08:00');
    ok(await provider().post(`/v1/requests/${shareId}/missing-materials`, { items: [{ name: 'case list', description: 'the cases' }] }));
    clock.set('2026-10-14T10:00:00+08:00');
    ok(await requester().post(`/v1/requests/${shareId}/resubmission`, { supplied: [{ name: 'case list', reference: 'DOC-1' }] }));
    assert.equal((await requester().get(`/v1/requests/${shareId}`)).body!['share']['replyDueAt'], endOf('2026-10-12'), 'the missed deadline stays');
    ok(await provider().post(`/v1/requests/${shareId}/reply`, { decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'NOT_NECESSARY', detail: 'names suffice' }] }));
    const h = await historyOf(shareId);
    const of = (type: string) => h.find((e) => e.type === type)!.data;
    assert.deepEqual([of('MissingMaterialsNotified')['late'], of('MissingMaterialsNotified')['replyDueAt']], [true, endOf('2026-10-12')]);
    assert.deepEqual([of('ShareRequestRefused')['late'], of('ShareRequestRefused')['replyDueAt']], [true, endOf('2026-10-12')]);
  });
});
