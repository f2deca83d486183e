import type kafkajs from 'kafkajs';
import type { SchemaRegistry } from '../avro/registry.ts';
import { asGovError, GovError, notFound } from '../errors/errors.ts';
import { ensureTopics, topics } from './client.ts';
import { deadLetterOf, parseDeadLetterRef, redeliveryOf, REDELIVERY_HEADERS, type DeadLetter } from './dead-letters.ts';
import { readTopicRange } from './topic-tail.ts';
import { headersToStrings } from '../envelope/envelope.ts';

/**
 * The operator's dead-letter tool (`npm run dead-letters`): list, inspect, redeliver. The rules of
 * a safe redelivery are in dead-letters.ts; this is the Kafka I/O around them.
 */
export interface DeadLetterLine {
  deadLetter: DeadLetter;
  /** The redelivery's `<topic>/<partition>/<offset>` when it was already sent again. */
  redelivered: string | undefined;
}

/** A record on a dead-letter topic that govmesh did not write (no origin headers): listed, never redelivered. */
export interface ForeignRecord {
  ref: string;
  problem: string;
}

/** The dead-letter topics of a platform (`<platform>.*.dlq`). */
export const deadLetterTopics = async (kafka: kafkajs.Kafka, platform: string): Promise<string[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(`${platform}.`) && t.endsWith('.dlq')).sort();
  } finally {
    await admin.disconnect();
  }
};

const topicExists = async (kafka: kafkajs.Kafka, topic: string): Promise<boolean> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
};

/** Which dead letters of the topic's source were redelivered already, and where to. */
const redeliveries = async (kafka: kafkajs.Kafka, originalTopic: string): Promise<Map<string, string>> => {
  const out = new Map<string, string>();
  const topic = topics.redelivery(originalTopic);
  if (!(await topicExists(kafka, topic))) return out;
  await readTopicRange(kafka, topic, (low) => low, (partition, m) => {
    const of = headersToStrings(m.headers)[REDELIVERY_HEADERS.of];
    if (of !== undefined) out.set(of, `${topic}/${partition}/${m.offset}`);
  });
  return out;
};

export const listDeadLetters = async (kafka: kafkajs.Kafka, dlqTopics: string[], onLine: (line: DeadLetterLine | ForeignRecord) => void): Promise<void> => {
  for (const dlq of dlqTopics) {
    const done = await redeliveries(kafka, dlq.slice(0, -'.dlq'.length));
    await readTopicRange(kafka, dlq, (low) => low, (partition, m) => {
      try {
        const deadLetter = deadLetterOf(dlq, partition, m);
        onLine({ deadLetter, redelivered: done.get(deadLetter.ref) });
      } catch (err) {
        onLine({ ref: `${dlq}/${partition}/${m.offset}`, problem: asGovError(err).message });
      }
    });
  }
};

/** One dead letter by its ref, with whether it was redelivered. */
export const findDeadLetter = async (kafka: kafkajs.Kafka, ref: string): Promise<DeadLetterLine> => {
  const at = parseDeadLetterRef(ref);
  if (!(await topicExists(kafka, at.topic))) throw notFound('dead-letter topic', at.topic);
  let found: DeadLetter | undefined;
  await readTopicRange(kafka, at.topic, (low) => low, (partition, m) => {
    if (partition === at.partition && m.offset === at.offset) found = deadLetterOf(at.topic, partition, m);
  });
  if (found === undefined) throw notFound('dead letter', ref);
  return { deadLetter: found, redelivered: (await redeliveries(kafka, found.original.topic)).get(found.ref) };
};

/** The dead letter's event decoded with the platform's schemas, or why it cannot be. */
export const decodeDeadLetter = (dl: DeadLetter, registry: SchemaRegistry): { type: string; version: number; value: unknown } | { undecodable: string } => {
  if (dl.value === null) return { undecodable: 'no value' };
  try {
    const d = registry.decode(dl.value);
    return { type: d.schema.name, version: d.schema.version, value: d.value };
  } catch (err) {
    return { undecodable: asGovError(err).message };
  }
};

/**
 * Sends a dead letter again to the group that failed it (dead-letters.ts says how and when).
 * `corrected`: a new value for the event (JSON, same type), only for a topic that is not ledgered;
 * it is encoded with the latest schema and must decode as the dead letter's type before it is sent.
 */
export const redeliverDeadLetter = async (
  kafka: kafkajs.Kafka,
  producer: kafkajs.Producer,
  registry: SchemaRegistry,
  ref: string,
  opts: { at: Date; corrected?: unknown; dryRun?: boolean },
): Promise<{ deadLetter: DeadLetter; topic: string; partition: number | undefined; offset: string | undefined; edited: boolean }> => {
  const { deadLetter, redelivered } = await findDeadLetter(kafka, ref);
  let correctedValue: Buffer | undefined;
  if (opts.corrected !== undefined) {
    if (deadLetter.eventType === undefined) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `dead letter ${ref} has no ce_type: its type is unknown`);
    correctedValue = registry.encode(deadLetter.eventType, opts.corrected);
    registry.decode(correctedValue);
  }
  const record = redeliveryOf(deadLetter, { at: opts.at, alreadyRedelivered: redelivered !== undefined, ...(correctedValue === undefined ? {} : { correctedValue }) });
  const edited = record.message.headers?.[REDELIVERY_HEADERS.edited] === 'true';
  if (opts.dryRun === true) return { deadLetter, topic: record.topic, partition: undefined, offset: undefined, edited };
  // Created by the consuming service at its start; here too in case it never ran since.
  await ensureTopics(kafka, [{ topic: record.topic, partitions: 1 }]);
  const [meta] = await producer.send({ topic: record.topic, acks: -1, messages: [record.message] });
  return { deadLetter, topic: record.topic, partition: meta?.partition, offset: meta?.baseOffset, edited };
};
