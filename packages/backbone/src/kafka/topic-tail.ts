import { randomUUID } from 'node:crypto';
import type kafkajs from 'kafkajs';
import { headersToStrings } from '../envelope/envelope.ts';

/** The ids (by default ce_id) among the last `window` records of each partition of a topic. */
export type TopicTail = (topic: string, window: number) => Promise<Set<string>>;

const eventId = (headers: Record<string, string>): string | undefined => headers['ce_id'];

/**
 * Reads a topic as it is when the read begins, partition by partition in offset order, from the
 * offset `from(low, high)` of each partition up to its end (kafkajs has no partition assignment
 * without a group, so a throwaway group seeks there; it commits nothing and is deleted afterwards).
 * Returns how many records it read.
 */
export const readTopicRange = async (
  kafka: kafkajs.Kafka,
  topic: string,
  from: (low: bigint, high: bigint) => bigint,
  onRecord: (partition: number, message: kafkajs.KafkaMessage) => void | Promise<void>,
  timeoutMs = 60000,
): Promise<number> => {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `govmesh-range-${randomUUID()}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    // Per partition: [first offset to read, last offset]; "done" is offset >= last (gaps are possible).
    const ranges = new Map(
      ends
        .map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }))
        .map((p) => ({ ...p, first: from(p.low, p.high) > p.low ? from(p.low, p.high) : p.low }))
        .filter((p) => p.high > p.first)
        .map((p) => [p.partition, { first: p.first, last: p.high - 1n }] as const),
    );
    if (ranges.size === 0) return 0;
    let count = 0;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200, retry: { retries: 3 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading ${topic} timed out after ${count} records`)), timeoutMs);
        const remaining = new Set(ranges.keys());
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const range = ranges.get(partition);
              const offset = BigInt(message.offset);
              if (range === undefined || offset < range.first || offset > range.last || !remaining.has(partition)) return;
              count += 1;
              try {
                await onRecord(partition, message);
              } catch (err) {
                clearTimeout(timer);
                reject(err as Error);
                return;
              }
              if (offset >= range.last) remaining.delete(partition);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
        for (const [partition, { first }] of ranges) consumer.seek({ topic, partition, offset: first.toString() });
      });
    } finally {
      await consumer.disconnect();
    }
    return count;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
};

/**
 * The tail of a topic: the ids of the last `window` records of each partition, each record's id
 * read from its headers by `idOf` (ce_id by default; undefined: not one of ours). The outbox relay
 * and the exchange's batch push use it after an unclean stop to find which of the records they may
 * have sent are already on the topic.
 */
export const topicTail =
  (kafka: kafkajs.Kafka, timeoutMs = 20000, idOf: (headers: Record<string, string>) => string | undefined = eventId): TopicTail =>
  async (topic, window) => {
    const ids = new Set<string>();
    if (window <= 0) return ids;
    await readTopicRange(kafka, topic, (_low, high) => high - BigInt(window), (_p, m) => {
      const id = idOf(headersToStrings(m.headers));
      if (id !== undefined) ids.add(id);
    }, timeoutMs);
    return ids;
  };
