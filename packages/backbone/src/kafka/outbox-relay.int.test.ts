// The outbox relay against the real Kafka and PostgreSQL (bash scripts/infra start): rows reach
// the topic in commit order per aggregate, a relay restart neither loses nor duplicates, replicas
// do not send twice, and a crash between the send and the delete sends nothing twice (exactly once on the topic).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type kafkajs from 'kafkajs';
import { uuidv7 } from '../envelope/uuid.ts';
import { headersToStrings } from '../envelope/envelope.ts';
import { backboneStack, counterDecider, type BackboneStack } from '../testing/counter.ts';
import type { Failpoints } from '../testing/failpoints.ts';
import { readTopic, stackEnv, waitFor } from '../testing/stack.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { topicTail } from './topic-tail.ts';

let s: BackboneStack;
let producer: kafkajs.Producer;
const relays: OutboxRelay[] = [];

const relay = (opts: { batchSize?: number; failpoints?: Failpoints } = {}): OutboxRelay => {
  const r = new OutboxRelay({ db: s.db, schema: s.schema, producer, tail: topicTail(s.kafka), logger: s.logger, metrics: s.metrics, batchSize: opts.batchSize ?? 50, pollMs: 20, ...(opts.failpoints === undefined ? {} : { failpoints: opts.failpoints }) });
  relays.push(r);
  return r;
};
const add = (topic: string, aggregateId: string, each: number[]) =>
  s.store.handle({ decider: counterDecider, aggregateType: 'Counter', aggregateId, command: { kind: 'AddEach', each }, ctx: { actor: 'dept-test', at: new Date(), commandId: uuidv7() }, topic });
const pending = async () => Number((await s.db.query<{ n: string }>(`select count(*) as n from ${s.schema}.outbox`))[0]!.n);
/** The topic's records as (key, ce_id, ce_sequence), in each partition's order. */
const published = async (topic: string) =>
  (await readTopic(stackEnv().KAFKA_BROKERS, topic)).map((m) => {
    const h = headersToStrings(m.headers);
    return { key: m.key!.toString(), id: h['ce_id']!, sequence: Number(h['ce_aggregateversion'] ?? h['ce_sequence']) };
  });
const perKey = (records: { key: string; sequence: number }[]) => {
  const out = new Map<string, number[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r.sequence]);
  return out;
};

before(async () => {
  s = await backboneStack('bb_relay');
  producer = await s.producer();
});
after(async () => {
  for (const r of relays) await r.stop().catch(() => undefined);
  await s?.close();
});

describe('publishing', () => {
  test('every committed row reaches Kafka once, each aggregate in version order, with the stored bytes and headers', async () => {
    const [topic] = await s.topics('order');
    const ids = Array.from({ length: 5 }, () => `c-${uuidv7()}`);
    for (let round = 0; round < 4; round++) for (const id of ids) await add(topic!, id, [1, 2]);
    const r = relay({ batchSize: 7 });
    while ((await r.relayOnce()) > 0);
    assert.equal(await pending(), 0, 'the outbox is empty once published');
    const records = await published(topic!);
    assert.equal(records.length, 40);
    assert.equal(new Set(records.map((x) => x.id)).size, 40, 'no record twice');
    for (const id of ids) assert.deepEqual(perKey(records).get(id), [1, 2, 3, 4, 5, 6, 7, 8], `${id} in version order`);
    const stored = await s.db.query<{ event_id: string; data: Buffer }>(`select event_id::text, data from ${s.schema}.events where aggregate_id = $1 order by version`, [ids[0]]);
    const onTopic = (await readTopic(stackEnv().KAFKA_BROKERS, topic!)).filter((m) => m.key?.toString() === ids[0]);
    assert.deepEqual(onTopic.map((m) => m.value!.toString('hex')), stored.map((e) => e.data.toString('hex')), 'the value is the stored Avro');
  });

  test('a row committed later but numbered earlier is not overtaken: the relay waits for the open transaction', async () => {
    const [topic] = await s.topics('commit-order');
    const id = `c-${uuidv7()}`;
    let commit!: () => void;
    const gate = new Promise<void>((r) => (commit = r));
    let written!: () => void;
    const writtenP = new Promise<void>((r) => (written = r));
    // Transaction A takes the lower outbox id and stays open; transaction B commits a higher id.
    const a = s.db.transaction(async (tx) => {
      await tx.query(`insert into ${s.schema}.outbox (topic, key, headers, value) values ($1, $2, $3, $4)`, [topic, id, JSON.stringify({ ce_id: 'row-a', ce_sequence: '1' }), Buffer.from('a')]);
      written();
      await gate;
    });
    await writtenP;
    await s.db.query(`insert into ${s.schema}.outbox (topic, key, headers, value) values ($1, $2, $3, $4)`, [topic, id, JSON.stringify({ ce_id: 'row-b', ce_sequence: '2' }), Buffer.from('b')]);
    const r = relay();
    assert.equal(await r.relayOnce(), 0, 'B is held back while A, which started before it, is open');
    commit();
    await a;
    while ((await r.relayOnce()) > 0);
    assert.deepEqual((await published(topic!)).map((x) => x.id), ['row-a', 'row-b']);
  });
});

describe('restarts', () => {
  test('a relay stopped and started again while commands keep coming loses nothing and sends nothing twice', async () => {
    const [topic] = await s.topics('restart');
    const ids = Array.from({ length: 4 }, () => `c-${uuidv7()}`);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await add(topic!, ids[i % ids.length]!, [1]);
        written += 1;
      }
    })();
    let current = relay({ batchSize: 5 });
    current.start();
    for (let restart = 0; restart < 3; restart++) {
      await new Promise((r) => setTimeout(r, 150));
      await current.stop(); // drains what is committed, like a SIGTERM
      current = relay({ batchSize: 5 });
      current.start();
    }
    writing = false;
    await writer;
    await waitFor('the outbox to drain', async () => (await pending()) === 0);
    await current.stop();
    const records = await published(topic!);
    assert.equal(records.length, written, 'every event once');
    assert.equal(new Set(records.map((x) => x.id)).size, written);
    for (const [key, sequences] of perKey(records)) assert.deepEqual(sequences, sequences.map((_, i) => i + 1), `${key} in order`);
  });

  test('two relays on one outbox (replicas) never send a row twice', async () => {
    const [topic] = await s.topics('replicas');
    const ids = Array.from({ length: 6 }, () => `c-${uuidv7()}`);
    for (const id of ids) await add(topic!, id, [1, 1, 1, 1, 1]);
    const both = [relay({ batchSize: 3 }), relay({ batchSize: 3 })];
    for (const r of both) r.start();
    await waitFor('the outbox to drain', async () => (await pending()) === 0);
    for (const r of both) await r.stop();
    const records = await published(topic!);
    assert.equal(records.length, 30);
    assert.equal(new Set(records.map((x) => x.id)).size, 30);
  });

  test('a crash after Kafka acknowledged a batch, before its rows were deleted, does not send that batch again: each record once, nothing lost', async () => {
    const [topic] = await s.topics('crash');
    const id = `c-${uuidv7()}`;
    await add(topic!, id, [1, 1, 1]);
    // The process (or the database) dies between the send and the commit that deletes the rows: the transaction never commits.
    const crashing = relay({ failpoints: { hit: (name) => { if (name === 'relay.after-send') throw new Error('killed'); } } });
    await assert.rejects(crashing.relayOnce(), /killed/);
    assert.equal(await pending(), 3, 'the rows are still there');
    await add(topic!, id, [1]);
    await add(topic!, `c-${uuidv7()}`, [1, 1]);
    while ((await relay().relayOnce()) > 0);
    assert.equal(await pending(), 0);
    const records = await published(topic!);
    assert.equal(records.length, 6, 'the three records sent before the crash are not sent again; the three later ones go out');
    assert.equal(new Set(records.map((x) => x.id)).size, 6);
    assert.deepEqual(perKey(records).get(id), [1, 2, 3, 4], 'in version order');
  });

  test('a crash before the send, after the relay noted the rows it was about to send, loses nothing: they go out once', async () => {
    const [topic] = await s.topics('crash-before');
    const id = `c-${uuidv7()}`;
    await add(topic!, id, [1, 1, 1]);
    const crashing = relay({ failpoints: { hit: (name) => { if (name === 'relay.before-send') throw new Error('killed'); } } });
    await assert.rejects(crashing.relayOnce(), /killed/);
    while ((await relay().relayOnce()) > 0);
    assert.deepEqual(perKey(await published(topic!)).get(id), [1, 2, 3]);
    assert.equal(await pending(), 0);
  });
});
