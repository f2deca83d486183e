// The event store against the real PostgreSQL (bash scripts/infra start): optimistic concurrency
// on (aggregate_id, version), events and outbox rows in one transaction, idempotent retries of
// commands carried by a record, and the append-only table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GovError } from '../errors/errors.ts';
import { uuidv7 } from '../envelope/uuid.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';
import { backboneStack, counterDecider, COUNTER_NAMESPACE, type BackboneStack } from '../testing/counter.ts';
import { waitFor } from '../testing/stack.ts';

let s: BackboneStack;
const topic = 'test.counter.events';
const ctx = () => ({ actor: 'dept-test', at: new Date(), commandId: uuidv7() });
const add = (aggregateId: string, by: number, extra: { inline?: () => Promise<void> } = {}) =>
  s.store.handle({ decider: counterDecider, aggregateType: 'Counter', aggregateId, command: { kind: 'Add', by }, ctx: ctx(), topic, ...extra });
const rows = async <R>(sql: string, params: unknown[] = []) => s.db.query<R>(sql.replaceAll('$schema', s.schema), params);
const isConflict = (err: unknown) => err instanceof GovError && err.code === 'GOV_ERR_CONCURRENCY_CONFLICT';

before(async () => {
  s = await backboneStack('bb_es');
});
after(async () => {
  await s?.close();
});

describe('appending', () => {
  test('each command appends at the next version; the stored history folds back to the same state', async () => {
    const id = `c-${uuidv7()}`;
    assert.equal((await add(id, 2)).version, 1);
    const r = await s.store.handle({ decider: counterDecider, aggregateType: 'Counter', aggregateId: id, command: { kind: 'AddEach', each: [3, 4] }, ctx: ctx(), topic });
    assert.deepEqual(r.events.map((e) => e.version), [2, 3]);
    assert.deepEqual(r.state, { total: 9 });
    const loaded = await s.store.load(id);
    assert.deepEqual(loaded.map((e) => [e.version, e.event.type, { ...e.event.data }]), [
      [1, 'CounterAdded', { counterId: id, by: 2 }],
      [2, 'CounterAdded', { counterId: id, by: 3 }],
      [3, 'CounterAdded', { counterId: id, by: 4 }],
    ]);
    assert.deepEqual(loaded.map((e) => [e.envelope.type, e.envelope.subject, e.envelope.sequence]), [1, 2, 3].map((v) => [`${COUNTER_NAMESPACE}.CounterAdded`, id, String(v)]));
    assert.deepEqual((await s.store.state(counterDecider, id)).state, { total: 9 });
  });

  test('a version that is already taken is refused by the database (unique aggregate_id, version)', async () => {
    const id = `c-${uuidv7()}`;
    const first = await add(id, 1);
    const e = first.events[0]!;
    await assert.rejects(
      rows(`insert into $schema.events (aggregate_type, aggregate_id, version, event_id, event_type, data, envelope) values ('Counter', $1, 1, $2, $3, $4, $5)`, [id, uuidv7(), e.envelope.type, e.value, JSON.stringify(e.envelope)]),
      /duplicate key|unique/i,
    );
  });

  test('two commands racing on one aggregate: one wins, the other gets a concurrency conflict and writes nothing', async () => {
    const id = `c-${uuidv7()}`;
    await add(id, 1);
    // The first command holds its transaction open after inserting version 2; the second loads
    // the same history (version 1), decides, and its insert of version 2 waits on the first.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => (inserted = r));
    const first = add(id, 10, { inline: async () => { inserted(); await held; } });
    await insertedP;
    const second = add(id, 20).then(() => 'won', (err: unknown) => err);
    await waitFor('the second insert to wait on the first', async () =>
      (await rows<{ n: string }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%${s.schema}.%'`))[0]!.n !== '0');
    release();
    assert.equal((await first).version, 2);
    const outcome = await second;
    assert.ok(isConflict(outcome), `the second command fails with a conflict: ${String(outcome)}`);
    const stored = await rows<{ version: number; data: Buffer }>(`select version from $schema.events where aggregate_id = $1 order by version`, [id]);
    assert.deepEqual(stored.map((r) => r.version), [1, 2]);
    assert.deepEqual((await s.store.state(counterDecider, id)).state, { total: 11 }, 'the loser left no event behind');
    const outbox = await rows<{ n: string }>(`select count(*) as n from $schema.outbox where key = $1`, [id]);
    assert.equal(outbox[0]!.n, '2', 'nor an outbox row');
  });

  test('many commands at once on one aggregate: every version is taken once, the rest conflict, no gaps', async () => {
    const id = `c-${uuidv7()}`;
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => add(id, i + 1)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.ok(won.length >= 1);
    for (const l of lost) assert.ok(isConflict(l.reason), String(l.reason));
    const versions = (await rows<{ version: number }>(`select version from $schema.events where aggregate_id = $1 order by version`, [id])).map((r) => r.version);
    assert.deepEqual(versions, Array.from({ length: won.length }, (_, i) => i + 1));
  });
});

describe('one transaction', () => {
  test('the events and their outbox rows commit together, the outbox row carrying the event as published', async () => {
    const id = `c-${uuidv7()}`;
    const r = await s.store.handle({ decider: counterDecider, aggregateType: 'Counter', aggregateId: id, command: { kind: 'AddEach', each: [1, 2, 3] }, ctx: ctx(), topic });
    const events = await rows<{ event_id: string; data: Buffer; txid: string }>(`select event_id::text, data, xmin::text as txid from $schema.events where aggregate_id = $1 order by version`, [id]);
    const outbox = await rows<{ topic: string; key: string; headers: Record<string, string>; value: Buffer; txid: string }>(
      `select topic, key, headers, value, txid::text from $schema.outbox where key = $1 order by id`, [id]);
    assert.equal(outbox.length, 3);
    assert.deepEqual(outbox.map((o) => o.headers['ce_id']), events.map((e) => e.event_id), 'one outbox row per event, in version order');
    assert.deepEqual(outbox.map((o) => o.headers['ce_aggregateversion']), ['1', '2', '3']);
    assert.ok(outbox.every((o, i) => o.topic === topic && o.value.equals(events[i]!.data)));
    assert.equal(new Set([...outbox.map((o) => o.txid), ...events.map((e) => e.txid)]).size, 1, 'written by one transaction');
    assert.deepEqual(r.events.map((e) => e.envelope.id), events.map((e) => e.event_id));
  });

  test('a command that fails before its commit leaves neither events nor outbox rows', async () => {
    const id = `c-${uuidv7()}`;
    await assert.rejects(add(id, 5, { inline: async () => { throw new Error('boom after the inserts'); } }), /boom/);
    await assert.rejects(add(id, -1), (err: unknown) => err instanceof GovError && err.code === 'GOV_ERR_RULE_VIOLATED');
    assert.equal((await rows<{ n: string }>(`select count(*) as n from $schema.events where aggregate_id = $1`, [id]))[0]!.n, '0');
    assert.equal((await rows<{ n: string }>(`select count(*) as n from $schema.outbox where key = $1`, [id]))[0]!.n, '0');
  });

  test('the event store is append-only: history cannot be updated or deleted', async () => {
    const id = `c-${uuidv7()}`;
    await add(id, 1);
    await assert.rejects(rows(`update $schema.events set version = 7 where aggregate_id = $1`, [id]), /append-only/);
    await assert.rejects(rows(`delete from $schema.events where aggregate_id = $1`, [id]), /append-only/);
  });
});

describe('idempotent retries', () => {
  test('a command carried by a record is applied once however often the record is redelivered', async () => {
    const id = `c-${uuidv7()}`;
    const record = { envelope: { id: uuidv7() }, topic: 'test.ingest', partition: 0, offset: '41' } as ConsumedEvent;
    const carried = () => s.store.handle({ decider: counterDecider, aggregateType: 'Counter', aggregateId: id, command: { kind: 'Add', by: 5 }, ctx: ctx(), topic, dedupe: { consumer: 'test-ingest', event: record } });
    const first = await carried();
    assert.equal(first.events.length, 1);
    const again = await carried();
    assert.deepEqual([again.events.length, again.version, again.state], [0, 1, { total: 5 }], 'the redelivery changes nothing');
    const raced = await Promise.allSettled([carried(), carried()]);
    assert.ok(raced.every((r) => r.status === 'rejected' ? isConflict(r.reason) : r.value.events.length === 0));
    assert.deepEqual((await s.store.state(counterDecider, id)).state, { total: 5 });
    const other = await s.store.handle({ decider: counterDecider, aggregateType: 'Counter', aggregateId: id, command: { kind: 'Add', by: 5 }, ctx: ctx(), topic, dedupe: { consumer: 'test-ingest', event: { ...record, envelope: { ...record.envelope, id: uuidv7() } } } });
    assert.equal(other.version, 2, 'another record is another command');
  });
});
