import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlledClock, openDatabase, type Database } from '@govmesh/backbone';
import { readTopic, stackEnv } from '@govmesh/backbone/testing';
import { MAX_ROW_BYTES } from './api/upload-formats.ts';
import { OTHER, PROVIDER, publishEntry, startTestMesh, type TestMesh } from './testing.ts';

// Real Kafka and PostgreSQL. A provider loads the records of its published entry by bulk upload:
// streamed, checked row by row, all or nothing, each load a new dataset version.
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
const LIMIT = 256 * 1024;
let m: TestMesh;
let db: Database;

before(async () => {
  m = await startTestMesh(clock, { UPLOAD_MAX_BYTES: String(LIMIT) });
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
});
after(async () => {
  await db?.close();
  await m?.stop();
});

const upload = async (dept: string, entryId: string, body: string | Buffer, type: string, query = '') => {
  const res = await fetch(`${m.exchange.httpUrl}/v1/datasets/${entryId}/records${query}`, { method: 'POST', headers: { authorization: `Bearer ${m.platform.token(dept)}`, 'content-type': type }, body, duplex: 'half' } as RequestInit);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (text === '' ? {} : JSON.parse(text)) as Record<string, any> };
};
const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const person = (i: number, over: Record<string, unknown> = {}) => ({ citizen_id: `11010119900307${String(i).padStart(4, '0')}`, name: `居民${i}`, household_size: (i % 5) + 1, income: 1000 + i / 4, ...over });
const records = async (entryId: string) =>
  (await db.query<{ record_key: string; data: Record<string, unknown> | null; changed_version: number }>('select record_key, data, changed_version from exchange.dataset_records where entry_id = $1 order by record_key', [entryId]));
const staged = async () => Number((await db.query<{ n: string }>('select count(*) as n from exchange.dataset_staging'))[0]!.n);
const dataset = async (entryId: string) => (await m.as(PROVIDER).get(`/v1/datasets/${entryId}`)).body!;

describe('dataset upload on the real stack', () => {
  test('DLV-04: good NDJSON: every row checked, a new dataset version with its counts, DatasetVersionLoaded (counts, never records) on the exchange topic', async () => {
    const entryId = await publishEntry(m);
    const r = await upload(PROVIDER, entryId, ndjson(Array.from({ length: 2500 }, (_, i) => person(i))), 'application/x-ndjson', '?key=citizen_id');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual({ ...r.body, eventIds: undefined, loadId: undefined }, { entryId, datasetVersion: 1, keyItem: 'citizen_id', rows: 2500, upserted: 2500, deleted: 0, recordCount: 2500, replayed: false, eventIds: undefined, loadId: undefined });
    assert.equal((await records(entryId)).length, 2500);
    const d = await dataset(entryId);
    assert.equal(d['currentVersion'], 1);
    assert.equal(d['recordCount'], 2500);
    assert.equal(d['history'][0]['format'], 'NDJSON');
    const onTopic = (await readTopic(stackEnv().KAFKA_BROKERS, `${m.platform.id}.exchange.events`)).filter((x) => x.key?.toString() === `dataset:${entryId}`);
    assert.equal(onTopic.length, 1);
    assert.equal(onTopic[0]!.headers!['ce_type']!.toString(), 'govmesh.exchange.v1.DatasetVersionLoaded');
    assert.equal(onTopic[0]!.headers!['ce_correlationid']!.toString(), entryId, "in the entry's lifecycle");
    assert.ok(!onTopic[0]!.value!.toString('utf8').includes('居民'), 'no record on the topic');
  });

  test('DLV-04: good CSV (header, quoted cells, empty cell = null): upserts and deletions by key make version 2; the key stays the one first named', async () => {
    const entryId = await publishEntry(m);
    assert.equal((await upload(PROVIDER, entryId, ndjson([person(1), person(2), person(3)]), 'application/x-ndjson', '?key=citizen_id')).status, 201);
    const csv = ['_op,citizen_id,name,household_size,income', `,${person(1)['citizen_id']},"张, 三",4,`, `upsert,${person(4)['citizen_id']},李四,2,2000.50`, `delete,${person(2)['citizen_id']},,,`, ''].join('\r\n');
    const r = await upload(PROVIDER, entryId, csv, 'text/csv; charset=utf-8');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([r.body['datasetVersion'], r.body['rows'], r.body['upserted'], r.body['deleted'], r.body['recordCount']], [2, 3, 2, 1, 3]);
    const rows = await records(entryId);
    assert.deepEqual(rows.map((x) => [x.record_key, x.data?.['name'] ?? null, x.changed_version]), [
      [person(1)['citizen_id'], '张, 三', 2],
      [person(2)['citizen_id'], null, 2],
      [person(3)['citizen_id'], '居民3', 1],
      [person(4)['citizen_id'], '李四', 2],
    ]);
    assert.equal(rows[0]!.data!['income'], null, 'an empty cell is null');
    assert.equal((await upload(PROVIDER, entryId, ndjson([person(9)]), 'application/x-ndjson', '?key=name')).status, 400, 'a dataset keeps its key');
    const history = (await dataset(entryId))['history'] as Record<string, unknown>[];
    assert.deepEqual(history.map((h) => [h['datasetVersion'], h['format'], h['recordCount']]), [[1, 'NDJSON', 3], [2, 'CSV', 3]]);
  });

  test('DLV-04: a load with bad rows commits nothing: 400 problem+json naming each bad line and field; the dataset stays as it was', async () => {
    const entryId = await publishEntry(m);
    assert.equal((await upload(PROVIDER, entryId, ndjson([person(1)]), 'application/x-ndjson', '?key=citizen_id')).status, 201);
    const body = ndjson([person(2), person(3, { household_size: '3' }), person(4)]) + '{not json\n' + ndjson([{ ...person(5), nickname: 'x' }, person(6)]);
    const r = await upload(PROVIDER, entryId, body, 'application/x-ndjson');
    assert.equal(r.status, 400);
    assert.match(r.contentType, /^application\/problem\+json/);
    assert.equal(r.body['rule'], 'DLV-04');
    assert.deepEqual(r.body['violations'].map((v: { field: string }) => v.field), ['line[2].household_size', 'line[4]', 'line[5].nickname']);
    assert.match(r.body['detail'], /nothing was loaded/);
    assert.deepEqual((await records(entryId)).map((x) => x.record_key), [person(1)['citizen_id']], 'the good rows of a refused load are not kept either');
    assert.equal((await dataset(entryId))['currentVersion'], 1);
    assert.equal(await staged(), 0, 'no staging row left behind');

    const csv = await upload(PROVIDER, entryId, 'citizen_id,name,household_size,income\n1,a,1\n', 'text/csv');
    assert.equal(csv.status, 400);
    assert.equal(csv.body['violations'][0].field, 'line[2]', 'a CSV row with too few cells is named by its line');
    const dup = await upload(PROVIDER, entryId, ndjson([person(7), person(8), person(7, { name: 'again' })]), 'application/x-ndjson');
    assert.equal(dup.status, 400);
    assert.deepEqual(dup.body['violations'].map((v: { field: string }) => v.field), ['line[3]'], 'a key given twice in one load');
    assert.equal((await dataset(entryId))['currentVersion'], 1);
  });

  test("SEC-01: only the entry's provider loads: another department gets 403 before a row is read, and nothing is loaded", async () => {
    const entryId = await publishEntry(m);
    const r = await upload(OTHER, entryId, ndjson([person(1)]), 'application/x-ndjson', '?key=citizen_id');
    assert.equal(r.status, 403);
    assert.equal(r.body['rule'], 'SEC-01');
    assert.equal((await records(entryId)).length, 0);
    assert.equal((await upload(PROVIDER, 'e-not-in-the-catalog', ndjson([person(1)]), 'application/x-ndjson', '?key=citizen_id')).status, 404);
  });

  test('a retried upload (same loadId) is answered with the committed load and changes nothing', async () => {
    const entryId = await publishEntry(m);
    const first = await upload(PROVIDER, entryId, ndjson([person(1), person(2)]), 'application/x-ndjson', '?key=citizen_id&loadId=nightly-2026-09-21');
    assert.equal(first.status, 201);
    const again = await upload(PROVIDER, entryId, ndjson([person(1), person(2)]), 'application/x-ndjson', '?key=citizen_id&loadId=nightly-2026-09-21');
    assert.equal(again.status, 200);
    assert.equal(again.body['replayed'], true);
    assert.deepEqual(again.body['eventIds'], first.body['eventIds']);
    assert.equal((await dataset(entryId))['currentVersion'], 1);
  });

  test('bounds: a body over the limit is 413, a row over 64 KiB or a field over its length is 400 naming it, JSON is 415; nothing is kept', async () => {
    const entryId = await publishEntry(m);
    const big = await upload(PROVIDER, entryId, ndjson(Array.from({ length: 4000 }, (_, i) => person(i))), 'application/x-ndjson', '?key=citizen_id');
    assert.equal(big.status, 413, JSON.stringify(big.body));
    assert.equal(big.body['violations'][0].field, 'body');
    // Chunked, with no content-length: counted as it streams, stopped past the bound.
    const rows = ndjson(Array.from({ length: 4000 }, (_, i) => person(i)));
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < rows.length; i += 16384) c.enqueue(new TextEncoder().encode(rows.slice(i, i + 16384)));
        c.close();
      },
    });
    const streamed = await upload(PROVIDER, entryId, chunked as unknown as Buffer, 'application/x-ndjson', '?key=citizen_id');
    assert.equal(streamed.status, 413, JSON.stringify(streamed.body));
    const long = await upload(PROVIDER, entryId, ndjson([person(1)]) + JSON.stringify(person(2, { name: 'x'.repeat(MAX_ROW_BYTES) })) + '\n' + ndjson([person(3)]), 'application/x-ndjson', '?key=citizen_id');
    assert.equal(long.status, 400);
    assert.equal(long.body['violations'][0].field, 'line[2]');
    const field = await upload(PROVIDER, entryId, ndjson([person(1, { citizen_id: '1'.repeat(19) })]), 'application/x-ndjson', '?key=citizen_id');
    assert.equal(field.status, 400);
    assert.equal(field.body['violations'][0].field, 'line[1].citizen_id');
    assert.equal((await upload(PROVIDER, entryId, JSON.stringify([person(1)]), 'application/json', '?key=citizen_id')).status, 415);
    assert.equal((await records(entryId)).length, 0);
    assert.equal(await staged(), 0);
  });
});
