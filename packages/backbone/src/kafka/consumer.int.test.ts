// The event consumer against the real Kafka (bash scripts/infra start): a failing handler is
// retried with backoff; an undecodable record, a permanent error or the last failed attempt sends
// the record to <topic>.dlq with its origin and the error in headers; the records after it go on,
// and every offset is committed only once the record was handled or dead-lettered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type kafkajs from 'kafkajs';
import { envelopeToHeaders, headersToStrings } from '../envelope/envelope.ts';
import { uuidv7 } from '../envelope/uuid.ts';
import { GovError, ruleViolated } from '../errors/errors.ts';
import { newEnvelope } from '../store/outbox.ts';
import { backboneStack, COUNTER_NAMESPACE, type BackboneStack } from '../testing/counter.ts';
import { readTopic, stackEnv, waitFor } from '../testing/stack.ts';
import { EventConsumer, type ConsumedEvent } from './consumer.ts';

const TYPE = `${COUNTER_NAMESPACE}.CounterAdded`;
let s: BackboneStack;
let producer: kafkajs.Producer;
let topic: string;
const consumers: EventConsumer[] = [];

const record = (key: string, by: number, sequence: number): kafkajs.Message => {
  const envelope = newEnvelope(s.registry, { type: TYPE, source: '/test', subject: key, at: new Date(), sequence });
  return { key, value: s.registry.encode(TYPE, { counterId: key, by }), headers: envelopeToHeaders(envelope) };
};

const consumer = (groupId: string, handle: (e: ConsumedEvent) => Promise<void>): EventConsumer => {
  const c = new EventConsumer({ kafka: s.kafka, groupId, topics: [topic], registry: s.registry, producer, logger: s.logger, metrics: s.metrics, maxAttempts: 3, backoffMs: 10, sessionTimeoutMs: 6000, handle });
  consumers.push(c);
  return c;
};

before(async () => {
  s = await backboneStack('bb_consumer');
  producer = await s.producer();
  [topic] = (await s.topics('poison')) as [string];
});
after(async () => {
  for (const c of consumers) await c.stop().catch(() => undefined);
  await s?.close();
});

test('poison records go to the dead-letter topic with their origin and error; retries heal transient failures; the rest goes on', async () => {
  // One key, so one partition and one order: good, garbage, permanent failure, transient (heals),
  // transient (never heals), good.
  const key = `k-${uuidv7()}`;
  const garbage: kafkajs.Message = { key, value: Buffer.from('not avro at all'), headers: { ce_id: uuidv7(), ce_type: TYPE, ce_source: '/test', ce_subject: key, ce_time: new Date().toISOString(), ce_specversion: '1.0' } };
  const messages = [record(key, 1, 1), garbage, record(key, 2, 2), record(key, 3, 3), record(key, 4, 4), record(key, 5, 5)];
  await producer.send({ topic, acks: -1, messages });

  const attempts = new Map<number, number>();
  const handled: number[] = [];
  let partition = -1;
  const group = `bb-consumer-${uuidv7()}`;
  const c = consumer(group, async (e) => {
    partition = e.partition;
    const by = e.decoded.value['by'] as number;
    const n = (attempts.get(by) ?? 0) + 1;
    attempts.set(by, n);
    if (by === 2) throw ruleViolated('TEST-02', 'never acceptable');
    if (by === 3 && n < 3) throw new GovError('GOV_ERR_UNAVAILABLE', 'transient, heals on the third attempt');
    if (by === 4) throw new GovError('GOV_ERR_UNAVAILABLE', 'transient, never heals');
    handled.push(by);
  });
  await c.start();
  await waitFor('the last record handled', async () => handled.includes(5), 30000);

  assert.deepEqual(handled, [1, 3, 5], 'the good records and the healed one, in order');
  assert.deepEqual(Object.fromEntries(attempts), { 1: 1, 2: 1, 3: 3, 4: 3, 5: 1 }, 'a permanent error is not retried; a transient one up to maxAttempts');

  const dlq = await waitFor('three dead letters', async () => {
    const all = await readTopic(stackEnv().KAFKA_BROKERS, `${topic}.dlq`).catch(() => []);
    return all.length >= 3 ? all : undefined;
  });
  const [undecodable, permanent, exhausted] = dlq.map((m) => ({ key: m.key?.toString(), value: m.value!, h: headersToStrings(m.headers) }));
  const original = await readTopic(stackEnv().KAFKA_BROKERS, topic);
  for (const [letter, i, code] of [[undecodable!, 1, 'GOV_ERR_EVENT_UNDECODABLE'], [permanent!, 2, 'GOV_ERR_RULE_VIOLATED'], [exhausted!, 4, 'GOV_ERR_UNAVAILABLE']] as const) {
    assert.equal(letter.h['x-original-topic'], topic);
    assert.equal(letter.h['x-original-partition'], String(partition));
    assert.equal(letter.h['x-original-offset'], original[i]!.offset, `record ${i} is named by its offset`);
    assert.equal(letter.h['x-error-code'], code);
    assert.ok((letter.h['x-error-message'] ?? '') !== '', 'the error message travels too');
    assert.equal(letter.h['x-consumer-group'], group);
    assert.equal(letter.key, key, 'the original key');
    assert.ok(letter.value.equals(original[i]!.value!), 'the original value, untouched');
    assert.equal(letter.h['ce_id'], headersToStrings(original[i]!.headers)['ce_id'], 'the original headers');
  }
  assert.equal(permanent!.h['x-error-rule'], 'TEST-02');

  // Every record was handled or dead-lettered before its offset was committed: a new member of
  // the group starts after the last one and sees nothing again.
  await c.stop();
  const admin = s.kafka.admin();
  await admin.connect();
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  assert.equal(committed!.partitions.find((p) => p.partition === partition)?.offset, String(messages.length), 'committed past the last record');
  const again: number[] = [];
  const next = consumer(group, async (e) => {
    again.push(e.decoded.value['by'] as number);
  });
  await next.start();
  await producer.send({ topic, acks: -1, messages: [record(key, 6, 6)] });
  await waitFor('the next record', async () => again.includes(6), 30000);
  assert.deepEqual(again, [6], 'nothing before it was delivered again');
});
