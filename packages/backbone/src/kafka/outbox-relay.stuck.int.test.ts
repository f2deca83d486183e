// Issue 13, defect 1 (the relay half): a row the broker refuses for good must not wedge the relay
// in silence. Against the real Kafka and PostgreSQL: a topic whose max.message.bytes is small
// stands in for any record the broker refuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type kafkajs from 'kafkajs';
import { pino } from 'pino';
import { headersToStrings } from '../envelope/envelope.ts';
import { backboneStack, type BackboneStack } from '../testing/counter.ts';
import { readTopic, stackEnv, waitFor } from '../testing/stack.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { topicTail } from './topic-tail.ts';

let s: BackboneStack;
let producer: kafkajs.Producer;
let relay: OutboxRelay | undefined;

before(async () => {
  s = await backboneStack('bb_stuck');
  producer = await s.producer();
});
after(async () => {
  await relay?.stop().catch(() => undefined);
  await s?.close();
});

const metric = async (name: string): Promise<number> => {
  const m = (await s.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as { value: number }[] | undefined)?.reduce((n, v) => n + v.value, 0) ?? Number.NaN;
};

test('HEALTH: a row the broker refuses is visible at once (pending, oldest age, failures, readiness, one error log naming it) and the rows behind it wait, then go out once, in order', async () => {
  // One partition, so the topic's order is the outbox order, and a limit of 2000 bytes per record.
  const [topic] = await s.topics('stuck');
  const admin = s.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic!] });
  await waitFor('topic gone', async () => !(await admin.listTopics()).includes(topic!));
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topic!, numPartitions: 1, replicationFactor: -1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] });
  const row = (id: string, key: string, bytes: number) =>
    s.db.query(`insert into ${s.schema}.outbox (topic, key, headers, value) values ($1, $2, $3, $4)`, [topic, key, JSON.stringify({ ce_id: id, ce_type: 'test.counter.v1.CounterAdded' }), Buffer.alloc(bytes, 1)]);
  await row('a1', 'agg-a', 10);
  await row('b1', 'agg-b', 5000); // the broker refuses it
  await row('a2', 'agg-a', 10);
  await row('c1', 'agg-c', 10);

  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  relay = new OutboxRelay({ db: s.db, schema: s.schema, producer, tail: topicTail(s.kafka), logger, metrics: s.metrics, batchSize: 50, pollMs: 20, stuckAfterMs: 300, retryMaxMs: 200 });
  relay.start();

  await waitFor('several failed attempts', async () => (await metric('govmesh_outbox_relay_failures_total')) >= 4, 20000);
  await waitFor('the relay reported not healthy', async () => !relay!.health().ok, 5000);
  const health = relay.health();
  assert.match(health.reason ?? '', /b1|agg-b/, 'readiness says which row');
  assert.equal(await metric('govmesh_outbox_pending'), 3, 'the stuck row and the two behind it are pending');
  assert.ok((await metric('govmesh_outbox_oldest_pending_age_seconds')) > 0, 'the oldest pending row has an age');
  const errors = lines.filter((l) => l.level >= 50);
  assert.equal(errors.length, 1, `one error log, not one per attempt: ${JSON.stringify(errors.map((e) => e.msg))}`);
  const e = errors[0]!;
  assert.equal(e['aggregate'], 'agg-b');
  assert.equal(e['type'], 'test.counter.v1.CounterAdded');
  assert.ok(Number(e['bytes']) >= 5000, 'the size');
  assert.ok(e['outboxId'] !== undefined && e['reason'] !== undefined, 'the row id and the reason');
  const sent = async () => (await readTopic(stackEnv().KAFKA_BROKERS, topic!)).map((m) => headersToStrings(m.headers)['ce_id']);
  assert.deepEqual(await sent(), ['a1'], 'the row before it went out; none behind it');

  // The operator's way out here: raise the topic's limit. The relay resumes by itself.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2 /* TOPIC */, name: topic!, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }] });
  await admin.disconnect();
  await waitFor('the outbox to drain', async () => (await s.db.query(`select 1 from ${s.schema}.outbox`)).length === 0, 30000);
  assert.deepEqual(await sent(), ['a1', 'b1', 'a2', 'c1'], 'each row once, in outbox order');
  await waitFor('healthy again', async () => relay!.health().ok, 5000);
  assert.ok(lines.some((l) => l.level === 30 && /resumed/.test(l.msg)), 'the resumption is logged');
});

test('HEALTH: a row that can never be published, parked by the operator as docs/operations.md says, unblocks the relay: the rows behind it go out in order', async () => {
  await relay?.stop();
  const [topic] = await s.topics('parked');
  const admin = s.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic!] });
  await waitFor('topic gone', async () => !(await admin.listTopics()).includes(topic!));
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topic!, numPartitions: 1, replicationFactor: -1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] });
  await admin.disconnect();
  const row = async (id: string, bytes: number) =>
    (await s.db.query<{ id: string }>(`insert into ${s.schema}.outbox (topic, key, headers, value) values ($1, $2, $3, $4) returning id`, [topic, `agg-${id}`, JSON.stringify({ ce_id: id, ce_type: 'test.counter.v1.CounterAdded' }), Buffer.alloc(bytes, 1)]))[0]!.id;
  const big = await row('x1', 5000);
  await row('y1', 10);
  await row('z1', 10);
  relay = new OutboxRelay({ db: s.db, schema: s.schema, producer, tail: topicTail(s.kafka), logger: s.logger, metrics: s.metrics, batchSize: 50, pollMs: 20, stuckAfterMs: 200, retryMaxMs: 200 });
  relay.start();
  await waitFor('the relay reported not healthy', async () => !relay!.health().ok, 20000);

  // The operator's SQL from docs/operations.md (A stuck outbox relay, step 2).
  await s.db.transaction(async (tx) => {
    await tx.query(`create table if not exists ${s.schema}.outbox_parked (like ${s.schema}.outbox including all, parked_at timestamptz not null default now(), reason text)`);
    await tx.query(`insert into ${s.schema}.outbox_parked (id, txid, topic, key, headers, value, created_at, reason) select id, txid, topic, key, headers, value, created_at, 'TICKET-1: over the limit' from ${s.schema}.outbox where id = $1`, [big]);
    await tx.query(`delete from ${s.schema}.outbox where id = $1`, [big]);
  });
  await waitFor('the outbox to drain', async () => (await s.db.query(`select 1 from ${s.schema}.outbox`)).length === 0, 30000);
  assert.deepEqual((await readTopic(stackEnv().KAFKA_BROKERS, topic!)).map((m) => headersToStrings(m.headers)['ce_id']), ['y1', 'z1']);
  await waitFor('healthy again', async () => relay!.health().ok, 5000);
  assert.equal((await s.db.query(`select 1 from ${s.schema}.outbox_parked`)).length, 1, 'the parked row is kept');
});
