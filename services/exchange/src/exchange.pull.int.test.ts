import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/exchange/v1';
import { ControlledClock, openDatabase } from '@govmesh/backbone';
import { readTopic, stackEnv, waitFor } from '@govmesh/backbone/testing';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestMesh, type TestMesh, loadRecords, person } from './testing.ts';

// Real Kafka and PostgreSQL. Catalog, request and exchange in-process on one test platform: a
// provider loads its entry's records, the request service approves a share, the requester pulls.
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let m: TestMesh;

before(async () => {
  m = await startTestMesh(clock);
});
after(async () => {
  await m?.stop();
});

const load = (entryId: string, rows: unknown[]) => loadRecords(m, entryId, rows);
type Line = { cursor: string; record?: Record<string, unknown>; deleted?: Record<string, unknown> };
const pull = async (dept: string, shareId: string, query = '') => {
  const res = await fetch(`${m.exchange.httpUrl}/v1/shares/${shareId}/records${query}`, { headers: { authorization: `Bearer ${m.platform.token(dept)}` } });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    datasetVersion: res.headers.get('x-dataset-version'),
    lines: type.startsWith('application/x-ndjson') ? text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line) : [],
    problem: type.startsWith('application/problem+json') ? (JSON.parse(text) as Record<string, any>) : undefined,
  };
};
const shareIn = (shareId: string, state: string) => waitFor(`${shareId} ${state} in the exchange`, async () => (await m.exchange.shares.get(shareId))?.state === state);
const requestStatus = async (shareId: string) => (await m.as(REQUESTER, m.request).get(`/v1/requests/${shareId}`)).body!['share']['status'] as string;
const requestCmd = async (dept: string, shareId: string, step: string, body: unknown = {}) => {
  const r = await m.as(dept, m.request).post(`/v1/requests/${shareId}/${step}`, body);
  assert.ok(r.status < 300, `${step}: ${r.status} ${JSON.stringify(r.body)}`);
};

/** An entry with 25 records and a share approved for citizen_id, name and income (not household_size). */
const setUp = async () => {
  const entryId = await publishEntry(m);
  await load(entryId, Array.from({ length: 25 }, (_, i) => person(i)));
  const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name', 'income'] });
  return { entryId, shareId };
};

describe('API pull on the real stack', () => {
  test('USE-01, SEC-16: the requester streams only the approved items, masked by grade (general in clear, important pseudonymised, core withheld)', async () => {
    const { shareId } = await setUp();
    const r = await pull(REQUESTER, shareId);
    assert.equal(r.status, 200);
    assert.match(r.type, /^application\/x-ndjson/);
    assert.equal(r.datasetVersion, '1');
    assert.equal(r.lines.length, 25);
    for (const l of r.lines) {
      assert.deepEqual(Object.keys(l.record!).sort(), ['citizen_id', 'income', 'name'], 'household_size was not approved: it never leaves');
      assert.match(String(l.record!['citizen_id']), /^[0-9a-fA-F]{32}$/, 'IMPORTANT: a keyed pseudonym by default (its letter case carries the recipient fingerprint, SEC-17)');
      assert.equal(l.record!['income'], null, 'CORE: withheld by default');
    }
    assert.deepEqual(r.lines.map((l) => l.record!['name']).sort(), Array.from({ length: 25 }, (_, i) => `居民${i}`).sort(), 'GENERAL: in clear');
    assert.ok(!JSON.stringify(r.lines).includes('110101199003070'), 'no identity number in clear');
  });

  test('a pull resumes from the last cursor received, and changedSince gives only what later versions changed, deletions included', async () => {
    // The cursors cross a power of ten (e.g. 99999 -> 100000): they are ordered as numbers, not as text.
    // Each run on a long-lived database moves the sequence to the next power: from 10^15 on, it stays
    // (a bigint ends at 9.2 * 10^18; a fresh stack, as in CI, always crosses one).
    const db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 1 });
    try {
      await db.query(`select setval('exchange.dataset_record_seq', greatest(last_value, power(10, length(last_value::text))::bigint - 12)) from exchange.dataset_record_seq where length(last_value::text) < 16`);
    } finally {
      await db.close();
    }
    const { entryId, shareId } = await setUp();
    const seen: string[] = [];
    let cursor = '';
    for (const expected of [10, 10, 5, 0]) {
      const r = await pull(REQUESTER, shareId, `?limit=10${cursor === '' ? '' : `&cursor=${cursor}`}`);
      assert.equal(r.lines.length, expected);
      seen.push(...r.lines.map((l) => String(l.record!['citizen_id'])));
      if (r.lines.length > 0) cursor = r.lines.at(-1)!.cursor;
    }
    assert.equal(new Set(seen).size, 25, 'every record once across the pages');
    await load(entryId, [person(3, { name: '改名' }), { _op: 'delete', citizen_id: person(4)['citizen_id'] }]);
    const changed = await pull(REQUESTER, shareId, '?changedSince=1');
    assert.equal(changed.datasetVersion, '2');
    assert.equal(changed.lines.length, 2);
    assert.equal(changed.lines.find((l) => l.record !== undefined)!.record!['name'], '改名');
    const gone = changed.lines.find((l) => l.deleted !== undefined)!;
    assert.match(String(gone.deleted!['citizen_id']), /^[0-9a-fA-F]{32}$/, 'a deletion names its record by the masked key');
    assert.equal((await pull(REQUESTER, shareId)).lines.length, 24, 'a full pull has the live records only');
    assert.equal((await pull(REQUESTER, shareId, '?cursor=abc')).status, 400);
  });

  test("SUS-04: another department's share is refused (403), the provider cannot pull it either, an unknown share is 404", async () => {
    const { shareId } = await setUp();
    const other = await pull(OTHER, shareId);
    assert.equal(other.status, 403);
    assert.equal(other.problem!['rule'], 'SUS-04');
    assert.equal((await pull(PROVIDER, shareId)).status, 403);
    assert.equal((await pull(REQUESTER, 'sr-unknown')).status, 404);
  });

  test('USE-01: a share that is not approved delivers nothing: 403 naming its state', async () => {
    const entryId = await publishEntry(m);
    const shareId = `sr-${Date.now()}`;
    const requester = m.as(REQUESTER, m.request);
    assert.equal((await requester.post('/v1/requests', { shareId, content: { entryId, dataItems: ['name'], legalBasis: 'b', useScenario: 's', useScope: 's', shareMethod: 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true } } })).status, 201);
    await shareIn(shareId, 'REQUESTED');
    const r = await pull(REQUESTER, shareId);
    assert.equal(r.status, 403);
    assert.equal(r.problem!['rule'], 'USE-01');
    assert.match(r.problem!['detail'], /is REQUESTED/);
    assert.deepEqual(r.problem!['violations'], [{ field: 'share.state', description: 'REQUESTED' }]);
  });

  test('DLV-01: approval -> first pull -> the share is ACTIVE in the request service, activated by the exchange (one ShareDeliveryStarted, however many pulls)', async () => {
    const { shareId } = await setUp();
    assert.equal(await requestStatus(shareId), 'APPROVED');
    assert.equal((await pull(REQUESTER, shareId)).status, 200);
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    const history = (await m.as(REQUESTER, m.request).get(`/v1/requests/${shareId}`)).body!['history'] as { type: string; data: Record<string, unknown> }[];
    const activated = history.find((h) => h.type === 'ShareActivated')!;
    assert.equal(activated.data['startedBy'], `system:${m.platform.id}:exchange`);
    assert.equal(activated.data['shareMethod'], 'API');
    assert.equal(activated.data['late'], false);
    await shareIn(shareId, 'ACTIVE');
    assert.equal((await pull(REQUESTER, shareId)).status, 200);
    const started = (await readTopic(stackEnv().KAFKA_BROKERS, `${m.platform.id}.exchange.events`)).filter((x) => x.key?.toString() === `delivery:${shareId}`);
    assert.deepEqual(started.map((x) => x.headers!['ce_type']!.toString()), ['govmesh.exchange.v1.ShareDeliveryStarted']);
    assert.equal(started[0]!.headers!['ce_correlationid']!.toString(), shareId, "in the share's lifecycle");
  });

  test('DLV-01: the hand-reported start stays the fallback (data delivered outside the platform): the share is active and a later pull raises no delivery event', async () => {
    const { shareId } = await setUp();
    await requestCmd(PROVIDER, shareId, 'delivery', { shareMethod: 'API' });
    await shareIn(shareId, 'ACTIVE');
    assert.equal((await pull(REQUESTER, shareId)).status, 200);
    await new Promise((r) => setTimeout(r, 300));
    const started = (await readTopic(stackEnv().KAFKA_BROKERS, `${m.platform.id}.exchange.events`)).filter((x) => x.key?.toString() === `delivery:${shareId}`);
    assert.equal(started.length, 0);
  });

  test('SUS-01: a suspended share is refused with 403 naming SUSPENDED; resumed, it delivers again; terminated, never again', async () => {
    const { shareId } = await setUp();
    assert.equal((await pull(REQUESTER, shareId)).status, 200);
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'BEYOND_SCOPE', findings: 'records passed to a contractor', rectificationWorkingDays: 5 });
    await shareIn(shareId, 'SUSPENDED');
    const cut = await pull(REQUESTER, shareId);
    assert.equal(cut.status, 403);
    assert.equal(cut.problem!['rule'], 'SUS-01');
    assert.match(cut.problem!['detail'], /is SUSPENDED/);
    await requestCmd(REQUESTER, shareId, 'rectification', { description: 'contract ended, copies deleted' });
    await requestCmd('dept-data-bureau', shareId, 'resumption', { note: 'accepted' });
    await shareIn(shareId, 'ACTIVE');
    assert.equal((await pull(REQUESTER, shareId)).lines.length, 25, 'resumption reopens it');
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'BEYOND_SCOPE', findings: 'again', rectificationWorkingDays: 5 });
    await requestCmd(REQUESTER, shareId, 'rectification', { description: 'said so' });
    await requestCmd('dept-data-bureau', shareId, 'termination', { reason: 'rectification inadequate' });
    await shareIn(shareId, 'TERMINATED');
    const ended = await pull(REQUESTER, shareId);
    assert.equal(ended.status, 403);
    assert.match(ended.problem!['detail'], /is TERMINATED/);
  });

  test('SUS-03: a pull stream in progress is cut once the suspension reaches the exchange (at its next page), not after the last record', { timeout: 120_000 }, async () => {
    const entryId = await publishEntry(m);
    // Large enough (about 10 MB) that the socket and the client's buffers cannot hold it all.
    const total = 100_000;
    await load(entryId, Array.from({ length: total }, (_, i) => person(i, { citizen_id: `1101011990${String(i).padStart(8, '0')}` })));
    const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name', 'income'] });
    assert.equal((await pull(REQUESTER, shareId, '?limit=1')).status, 200);
    await waitFor(`${shareId} ACTIVE in the request service`, async () => (await requestStatus(shareId)) === 'ACTIVE');
    await shareIn(shareId, 'ACTIVE');
    const res = await fetch(`${m.exchange.httpUrl}/v1/shares/${shareId}/records?limit=${total}`, { headers: { authorization: `Bearer ${m.platform.token(REQUESTER)}` } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let received = 0;
    const count = (chunk: Uint8Array) => (received += chunk.reduce((n, b) => n + (b === 10 ? 1 : 0), 0));
    count((await reader.read()).value!);
    // The client stops reading; the server stops writing when the socket is full.
    await requestCmd('dept-data-bureau', shareId, 'suspension', { misuse: 'THIRD_PARTY', findings: 'records passed on', rectificationWorkingDays: 5 });
    await shareIn(shareId, 'SUSPENDED');
    let cut = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        count(value);
      }
    } catch {
      cut = true;
    }
    assert.ok(cut, 'the stream ends in an error, not as a complete answer');
    assert.ok(received < total, `${received} of ${total} records left before the cut`);
    assert.equal((await pull(REQUESTER, shareId)).status, 403, 'and a new call is refused');
  });
});

describe('API pull over gRPC', () => {
  const grpcPull = (dept: string, req: Partial<pb.PullRecordsRequest>) =>
    new Promise<{ messages: pb.PulledRecord[]; err: grpc.ServiceError | null }>((resolve) => {
      const client = new pb.ExchangeServiceClient(m.exchange.grpcAddress, grpc.credentials.createInsecure());
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${m.platform.token(dept)}`);
      const messages: pb.PulledRecord[] = [];
      const call = client.pullRecords({ shareId: '', cursor: '', changedSince: 0, limit: 0, ...req }, md);
      call.on('data', (msg: pb.PulledRecord) => messages.push(msg));
      call.on('error', (err: grpc.ServiceError) => {
        client.close();
        resolve({ messages, err });
      });
      call.on('end', () => {
        client.close();
        resolve({ messages, err: null });
      });
    });

  test('DLV-02, SEC-16: the gRPC stream delivers the REST pull\'s records (same cursors, same masked and fingerprinted values), resumes from a cursor, and refuses another department', async () => {
    const { shareId } = await setUp();
    const rest = await pull(REQUESTER, shareId);
    const all = await grpcPull(REQUESTER, { shareId });
    assert.equal(all.err, null, all.err?.details);
    assert.deepEqual(all.messages.map((x) => ({ cursor: x.cursor, record: JSON.parse(x.recordJson) as unknown })), rest.lines.map((l) => ({ cursor: l.cursor, record: l.record })));
    assert.ok(all.messages.every((x) => x.datasetVersion === 1 && x.deletedJson === ''));
    const rest10 = await grpcPull(REQUESTER, { shareId, cursor: all.messages[9]!.cursor, limit: 5 });
    assert.deepEqual(rest10.messages.map((x) => x.cursor), all.messages.slice(10, 15).map((x) => x.cursor), 'resumed after the cursor, 5 records');
    const other = await grpcPull(OTHER, { shareId });
    assert.equal(other.err?.code, grpc.status.PERMISSION_DENIED);
    assert.equal(other.err?.metadata.get('x-error-rule')[0], 'SUS-04');
    assert.equal(other.messages.length, 0);
    const bad = await grpcPull(REQUESTER, { shareId, cursor: 'abc' });
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(bad.err?.metadata.get('x-error-fields')[0], 'cursor');
  });
});
