// The dead-letter tool against the real Kafka (issue 13, defect 11): a dead letter is redelivered
// to the one consumer group that failed it, never written back to its original topic, so a ledger
// reading the topic sees the event once; a ledgered event is redelivered unchanged only; a record
// of an ingest topic may be corrected; a redelivery is not repeated.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type kafkajs from 'kafkajs';
import { envelopeToHeaders, headersToStrings } from '../envelope/envelope.ts';
import { uuidv7 } from '../envelope/uuid.ts';
import { ruleViolated } from '../errors/errors.ts';
import { newEnvelope } from '../store/outbox.ts';
import { backboneStack, COUNTER_NAMESPACE, type BackboneStack } from '../testing/counter.ts';
import { readTopic, stackEnv, waitFor } from '../testing/stack.ts';
import { ensureTopics, topics as topicNames } from './client.ts';
import { EventConsumer, type ConsumedEvent } from './consumer.ts';
import { findDeadLetter, listDeadLetters, redeliverDeadLetter, type DeadLetterLine } from './dead-letter-tool.ts';
import { deadLettersMain } from '../../../../scripts/dead-letters.ts';

const TYPE = `${COUNTER_NAMESPACE}.CounterAdded`;
let s: BackboneStack;
let producer: kafkajs.Producer;
let events: string;
let ingest: string;
const consumers: EventConsumer[] = [];

const record = (key: string, by: number): kafkajs.Message => {
  const envelope = newEnvelope(s.registry, { type: TYPE, source: '/test', subject: key, at: new Date(), sequence: 1 });
  return { key, value: s.registry.encode(TYPE, { counterId: key, by }), headers: envelopeToHeaders(envelope) };
};

const consumer = async (groupId: string, topic: string, handle: (e: ConsumedEvent) => Promise<void>): Promise<EventConsumer> => {
  const c = new EventConsumer({ kafka: s.kafka, groupId, topics: [topic], registry: s.registry, producer, logger: s.logger, metrics: s.metrics, maxAttempts: 1, backoffMs: 10, sessionTimeoutMs: 6000, handle });
  consumers.push(c);
  await c.start();
  return c;
};

const deadLetters = async (dlq: string): Promise<DeadLetterLine[]> => {
  const out: DeadLetterLine[] = [];
  await listDeadLetters(s.kafka, [dlq], (l) => {
    if ('deadLetter' in l) out.push(l);
  });
  return out;
};

before(async () => {
  s = await backboneStack('bb_dead');
  producer = await s.producer();
  [events] = (await s.topics('letters')) as [string];
  ingest = events.replace(/\.events$/, '.ingest');
  await ensureTopics(s.kafka, [{ topic: ingest }, { topic: topicNames.deadLetter(ingest) }]);
});
after(async () => {
  for (const c of consumers) await c.stop().catch(() => undefined);
  if (s === undefined || events === undefined) return;
  const admin = s.kafka.admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(events.split('.')[0]!) && (t.endsWith('.redelivery') || t.includes('.ingest')));
  await admin.deleteTopics({ topics: mine, timeout: 10000 }).catch(() => undefined);
  await admin.disconnect();
  await s.close();
});

test('EDGE: VER-09: a dead-lettered ledgered event is redelivered unchanged to the group that failed it only, never ledgered twice, and only once (defect 11)', async () => {
  const key = `k-${uuidv7()}`;
  const poison = record(key, 2);
  const eventId = headersToStrings(poison.headers)['ce_id']!;
  let failOnce = true;
  const a: ConsumedEvent[] = [];
  const b: ConsumedEvent[] = [];
  const groupA = `bb-dead-a-${uuidv7()}`;
  await consumer(groupA, events, async (e) => {
    if (e.envelope.id === eventId && failOnce) {
      failOnce = false;
      throw ruleViolated('TEST-11', 'a bug in this projection');
    }
    a.push(e);
  });
  await consumer(`bb-dead-b-${uuidv7()}`, events, async (e) => {
    b.push(e);
  });
  await producer.send({ topic: events, acks: -1, messages: [record(key, 1), poison, record(key, 3)] });
  await waitFor('both groups past the poison record', async () => a.length === 2 && b.length === 3, 30000);
  const [original] = (await readTopic(stackEnv().KAFKA_BROKERS, events)).filter((m) => headersToStrings(m.headers)['ce_id'] === eventId);

  const dlq = topicNames.deadLetter(events);
  const [line] = await waitFor('the dead letter listed', async () => ((await deadLetters(dlq)).length === 1 ? deadLetters(dlq) : undefined), 20000);
  assert.equal(line!.deadLetter.group, groupA);
  assert.equal(line!.deadLetter.eventId, eventId);
  assert.equal(line!.deadLetter.ledgered, true, 'a <P>.<stream>.events topic is a ledger source');
  assert.equal(line!.deadLetter.error.rule, 'TEST-11');
  assert.equal(line!.redelivered, undefined);
  const ref = line!.deadLetter.ref;

  // A corrected value for a ledgered event is refused: the ledger already holds the original.
  await assert.rejects(redeliverDeadLetter(s.kafka, producer, s.registry, ref, { at: new Date(), corrected: { counterId: key, by: 20 } }), (err: Error & { rule?: string }) => err.rule === 'VER-09');

  const sent = await redeliverDeadLetter(s.kafka, producer, s.registry, ref, { at: new Date() });
  assert.equal(sent.topic, `${events}.redelivery`);
  assert.equal(sent.edited, false);
  await waitFor('group A handles the redelivered event', async () => a.some((e) => e.envelope.id === eventId), 30000);
  const redelivered = a.find((e) => e.envelope.id === eventId)!;
  assert.equal(redelivered.topic, events, 'the handler sees the original topic');
  assert.equal(redelivered.offset, original!.offset, 'and the original offset');
  assert.ok(redelivered.value.equals(original!.value!), 'byte for byte');

  // Group B never sees it again; the events topic (what the ledger reads) holds it once.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(b.filter((e) => e.envelope.id === eventId).length, 1, 'the other group handled it once, at first');
  const onTopic = (await readTopic(stackEnv().KAFKA_BROKERS, events)).filter((m) => headersToStrings(m.headers)['ce_id'] === eventId);
  assert.equal(onTopic.length, 1, 'the ledgered topic holds the event once');

  // A second redelivery is refused, and the listing says where the first went.
  assert.equal((await findDeadLetter(s.kafka, ref)).redelivered?.startsWith(`${events}.redelivery/0/`), true);
  await assert.rejects(redeliverDeadLetter(s.kafka, producer, s.registry, ref, { at: new Date() }), /already redelivered/);

  // The CLI says the same, with exit 1 for a refusal.
  const out: string[] = [];
  const env = { KAFKA_BROKERS: stackEnv().KAFKA_BROKERS, PLATFORM_ID: events.split('.')[0]! };
  assert.equal(await deadLettersMain(['list', '--topic', dlq, '--json'], (l) => out.push(l), env), 0);
  assert.equal(JSON.parse(out[0]!).redelivered.startsWith(`${events}.redelivery/`), true);
  assert.equal(await deadLettersMain(['redeliver', ref], (l) => out.push(l), env), 1);
  assert.match(out.at(-1)!, /refused: .*already redelivered/);
  assert.equal(await deadLettersMain(['inspect', `${dlq}/0/x`], (l) => out.push(l), env), 1, 'a malformed ref is refused');
});

test('EDGE: VER-09: a dead-lettered ingest record may be redelivered with a corrected value, which must match its schema (defect 11)', async () => {
  const key = `k-${uuidv7()}`;
  const bad = record(key, -1);
  const id = headersToStrings(bad.headers)['ce_id']!;
  const handled: number[] = [];
  const group = `bb-dead-ingest-${uuidv7()}`;
  await consumer(group, ingest, async (e) => {
    const by = e.decoded.value['by'] as number;
    if (by < 0) throw ruleViolated('TEST-11', 'by must be positive');
    handled.push(by);
  });
  await producer.send({ topic: ingest, acks: -1, messages: [bad] });
  const dlq = topicNames.deadLetter(ingest);
  const [line] = await waitFor('the dead letter', async () => ((await deadLetters(dlq)).length === 1 ? deadLetters(dlq) : undefined), 30000);
  assert.equal(line!.deadLetter.ledgered, false);
  assert.equal(line!.deadLetter.eventId, id);

  await assert.rejects(redeliverDeadLetter(s.kafka, producer, s.registry, line!.deadLetter.ref, { at: new Date(), corrected: { counterId: key, by: '5' } }), /does not match/, 'no coercion: "5" is not an int');
  const sent = await redeliverDeadLetter(s.kafka, producer, s.registry, line!.deadLetter.ref, { at: new Date(), corrected: { counterId: key, by: 5 } });
  assert.equal(sent.edited, true);
  await waitFor('the corrected record handled', async () => handled.includes(5), 30000);
  assert.deepEqual(handled, [5]);
});
