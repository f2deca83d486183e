import { randomUUID } from 'node:crypto';
import type kafkajs from 'kafkajs';
import { headersToStrings } from '../envelope/envelope.ts';

/** The event ids (ce_id) among the last `window` records of each partition of a topic. */
export type TopicTail = (topic: string, window: number) => Promise<Set<string>>;

/**
 * Reads the tail of a topic as it is when the read begins: per partition, the last `window`
 * records (kafkajs has no partition assignment without a group, so a throwaway group seeks there;
 * it commits nothing and is deleted afterwards). The outbox relay uses it after an unclean stop to
 * find which of the rows it may have sent are already on the topic.
 */
export const topicTail =
  (kafka: kafkajs.Kafka, timeoutMs = 20000): TopicTail =>
  async (topic, window) => {
    const admin = kafka.admin();
    await admin.connect();
    const groupId = `govmesh-tail-${randomUUID()}`;
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      // Per partition: [first offset to read, last offset]; "done" is offset >= last (gaps are possible).
      const ranges = new Map(
        ends
          .filter((p) => BigInt(p.high) > BigInt(p.low))
          .map((p) => {
            const high = BigInt(p.high);
            const from = high - BigInt(window) > BigInt(p.low) ? high - BigInt(window) : BigInt(p.low);
            return [p.partition, { from, last: high - 1n }] as const;
          }),
      );
      const ids = new Set<string>();
      if (ranges.size === 0 || window <= 0) return ids;
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200, retry: { retries: 3 } });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`reading the last ${window} records of ${topic} timed out`)), timeoutMs);
          const remaining = new Set(ranges.keys());
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const range = ranges.get(partition);
                const offset = BigInt(message.offset);
                if (range === undefined || offset < range.from || offset > range.last) return;
                const id = headersToStrings(message.headers)['ce_id'];
                if (id !== undefined) ids.add(id);
                if (offset >= range.last) remaining.delete(partition);
                if (remaining.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .catch(reject);
          for (const [partition, { from }] of ranges) consumer.seek({ topic, partition, offset: from.toString() });
        });
      } finally {
        await consumer.disconnect();
      }
      return ids;
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    }
  };
