import { randomUUID } from 'node:crypto';
import type kafkajs from 'kafkajs';

/**
 * Reads a topic from its beginning up to its end as it was when the read began, record by record
 * (nothing held whole), then leaves: for operator tools and checks, not for services (they use
 * consumer groups). The throwaway consumer group is deleted afterwards.
 */
export const readTopicToEnd = async (
  kafka: kafkajs.Kafka,
  topic: string,
  onRecord: (partition: number, message: kafkajs.KafkaMessage) => void | Promise<void>,
  opts: { timeoutMs?: number } = {},
): Promise<number> => {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `govmesh-reader-${randomUUID()}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    // Per partition, the last offset to read; compaction or transactions may leave gaps, so "done" is offset >= last.
    const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]));
    if (remaining.size === 0) return 0;
    let count = 0;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${count} records of ${topic} and timed out before its end`)), opts.timeoutMs ?? 60000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const last = remaining.get(partition);
              if (last === undefined || BigInt(message.offset) > last) return;
              count += 1;
              try {
                await onRecord(partition, message);
              } catch (err) {
                clearTimeout(timer);
                reject(err as Error);
                return;
              }
              if (BigInt(message.offset) >= last) remaining.delete(partition);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
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
