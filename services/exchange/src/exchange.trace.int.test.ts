import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlledClock } from '@govmesh/backbone';
import { traceMain } from './cli/trace.ts';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestMesh, type TestMesh } from './testing.ts';

// Real Kafka and PostgreSQL: two departments pull copies of the same records through their own
// shares; a leaked part of one copy is traced back to its share and department (SEC-17).
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
const COMPETENT = 'dept-data-bureau';
let m: TestMesh;

before(async () => {
  m = await startTestMesh(clock);
});
after(async () => {
  await m?.stop();
});

const person = (i: number) => ({ citizen_id: `11010119900307${String(i).padStart(4, '0')}`, name: `居民${i}`, household_size: (i % 5) + 1, income: 1000 + i });
const pulled = async (dept: string, shareId: string): Promise<Record<string, unknown>[]> => {
  const res = await fetch(`${m.exchange.httpUrl}/v1/shares/${shareId}/records`, { headers: { authorization: `Bearer ${m.platform.token(dept)}` } });
  assert.equal(res.status, 200);
  return (await res.text()).split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { record: Record<string, unknown> }).record);
};
const trace = async (dept: string, entryId: string, body: string, type = 'text/csv') => {
  const res = await fetch(`${m.exchange.httpUrl}/v1/datasets/${entryId}/trace`, { method: 'POST', headers: { authorization: `Bearer ${m.platform.token(dept)}`, 'content-type': type }, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

test('SEC-17: a leaked part of one department\'s pulled copy (a fifth of the rows, a column dropped, values altered) is traced to its share and department by the competent department only', async () => {
  const entryId = await publishEntry(m);
  const load = await fetch(`${m.exchange.httpUrl}/v1/datasets/${entryId}/records?key=citizen_id`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.platform.token(PROVIDER)}`, 'content-type': 'application/x-ndjson' },
    body: Array.from({ length: 400 }, (_, i) => JSON.stringify(person(i))).join('\n'),
  });
  assert.equal(load.status, 201, await load.text());
  const mine = await approvedShare(m, entryId, { items: ['citizen_id', 'name'], requester: REQUESTER });
  const theirs = await approvedShare(m, entryId, { items: ['citizen_id', 'name'], requester: OTHER });
  const a = await pulled(REQUESTER, mine);
  const b = await pulled(OTHER, theirs);
  assert.equal(a.length, 400);
  // The same records, told apart only by the marks: the pseudonyms agree case-insensitively.
  assert.deepEqual(a.map((r) => String(r['citizen_id']).toLowerCase()).sort(), b.map((r) => String(r['citizen_id']).toLowerCase()).sort());
  assert.notDeepEqual(a.map((r) => r['citizen_id']).sort(), b.map((r) => r['citizen_id']).sort());

  // The leak: every fifth row of the requester's copy, only citizen_id kept (name dropped), one value in ten altered.
  const leaked = a.filter((_, i) => i % 5 === 0).map((r, i) => (i % 10 === 0 ? '0123456789abcdef0123456789ABCDEF' : String(r['citizen_id'])));
  const csv = `citizen_id\n${leaked.join('\n')}\n`;
  const r = await trace(COMPETENT, entryId, csv);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body['rows'], 80);
  assert.deepEqual({ shareId: r.body['named']?.shareId, requester: r.body['named']?.requester }, { shareId: mine, requester: REQUESTER }, JSON.stringify(r.body));
  assert.ok(r.body['named'].pInnocent < r.body['threshold']);
  const other = (r.body['scores'] as { shareId: string; pInnocent: number }[]).find((s) => s.shareId === theirs)!;
  assert.ok(other.pInnocent >= r.body['threshold'], 'the other recipient is not named');

  // The same extract as NDJSON pull lines traces the same way.
  const nd = a.filter((_, i) => i % 5 === 0).map((rec, i) => JSON.stringify({ cursor: String(i), record: rec })).join('\n');
  assert.equal((await trace(COMPETENT, entryId, nd, 'application/x-ndjson')).body['named']?.shareId, mine);

  // Data never delivered (the provider's values in clear, pseudonymised without marks) names nobody.
  const clear = `citizen_id\n${Array.from({ length: 80 }, (_, i) => person(i).citizen_id).join('\n')}\n`;
  assert.equal((await trace(COMPETENT, entryId, clear)).body['named'], null);

  // The CLI says the same (it calls the operation: the secret stays in the service).
  const dir = mkdtempSync(join(tmpdir(), 'trace-'));
  writeFileSync(join(dir, 'leak.csv'), csv);
  const out: string[] = [];
  assert.equal(await traceMain([join(dir, 'leak.csv'), '--entry', entryId, '--url', m.exchange.httpUrl, '--token', m.platform.token(COMPETENT)], (l) => out.push(l)), 0, out.join('\n'));
  assert.match(out.at(-1)!, new RegExp(`named: share ${mine}, department ${REQUESTER}`));
  writeFileSync(join(dir, 'clear.csv'), clear);
  assert.equal(await traceMain([join(dir, 'clear.csv'), '--entry', entryId, '--url', m.exchange.httpUrl, '--token', m.platform.token(COMPETENT)], () => undefined), 1);

  // Only the competent department traces.
  const denied = await trace(REQUESTER, entryId, csv);
  assert.equal(denied.status, 403);
  assert.equal(denied.body['code'], 'GOV_ERR_AUTH_FORBIDDEN');
  assert.equal((await trace(COMPETENT, entryId, '{"citizen_id": "x"}', 'application/json')).status, 415);
});
