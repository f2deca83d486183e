import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlledClock } from '@govmesh/backbone';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestMesh, type TestMesh } from './testing.ts';

// Real Kafka and PostgreSQL: a share's delivery limits (DLV-07), 2 calls a minute and 30 records a
// day here, and the usage they count (REC-01, REC-03).
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let m: TestMesh;

before(async () => {
  m = await startTestMesh(clock, { DELIVERY_CALLS_PER_MINUTE: '2', DELIVERY_RECORDS_PER_DAY: '30' });
});
after(async () => {
  await m?.stop();
});

const person = (i: number) => ({ citizen_id: `11010119900307${String(i).padStart(4, '0')}`, name: `居民${i}`, household_size: 1, income: 1000 + i });
const pull = async (shareId: string) => {
  const res = await fetch(`${m.exchange.httpUrl}/v1/shares/${shareId}/records`, { headers: { authorization: `Bearer ${m.platform.token(REQUESTER)}` } });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), lines: res.status === 200 ? text.split('\n').filter((l) => l !== '').length : 0, problem: res.status === 200 ? undefined : (JSON.parse(text) as Record<string, any>) };
};

test('DLV-07: a share past its calls a minute or records a day is answered 429 with Retry-After naming the limit, admitted again when told; its usage counts what left', async () => {
  const entryId = await publishEntry(m);
  const load = await fetch(`${m.exchange.httpUrl}/v1/datasets/${entryId}/records?key=citizen_id`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.platform.token(PROVIDER)}`, 'content-type': 'application/x-ndjson' },
    body: Array.from({ length: 25 }, (_, i) => JSON.stringify(person(i))).join('\n'),
  });
  assert.equal(load.status, 201);
  const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name'] });

  assert.equal((await pull(shareId)).lines, 25);
  assert.equal((await pull(shareId)).lines, 5, 'the second call gets only what is left of the day (30)');
  const third = await pull(shareId);
  assert.equal(third.status, 429);
  assert.equal(third.problem!['code'], 'GOV_ERR_RATE_LIMITED');
  assert.equal(third.problem!['rule'], 'DLV-07');
  assert.equal(third.problem!['violations'][0].field, 'share.callsPerMinute');
  assert.equal(third.retryAfter, '60');

  clock.advance(61_000);
  const day = await pull(shareId);
  assert.equal(day.status, 429, 'a minute later the calls are allowed, the day\'s volume is not');
  assert.equal(day.problem!['violations'][0].field, 'share.recordsPerDay');
  assert.ok(Number(day.retryAfter) > 0 && Number(day.retryAfter) <= 15 * 3600, `until midnight in China: ${day.retryAfter}`);

  clock.set('2026-09-22T00:00:05+08:00');
  assert.equal((await pull(shareId)).lines, 25, 'a new day, a new volume');

  const usage = await m.as(PROVIDER, m.exchange).get(`/v1/shares/${shareId}/usage`);
  assert.equal(usage.status, 200);
  assert.deepEqual(usage.body!['days'], [
    { day: '2026-09-21', method: 'API', calls: 2, records: 30, bytes: usage.body!['days'][0].bytes },
    { day: '2026-09-22', method: 'API', calls: 1, records: 25, bytes: usage.body!['days'][1].bytes },
  ], 'refused calls deliver nothing and are not counted');
  assert.ok(Number(usage.body!['days'][0]?.bytes) > 0);
  assert.equal((await m.as(OTHER, m.exchange).get(`/v1/shares/${shareId}/usage`)).status, 403, 'a third department reads no usage');
});
