import kafkajs from 'kafkajs';
import type { Logger } from '../telemetry/logging.ts';

const { Kafka, Partitioners, logLevel } = kafkajs;
export type { Kafka, Producer, Consumer, Admin, KafkaMessage, IHeaders } from 'kafkajs';

/** The backbone's port to Kafka; kafkajs stays behind it (its maintenance is uncertain). */
export const createKafka = (opts: { clientId: string; brokers: string[]; logger: Logger }): kafkajs.Kafka =>
  new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      opts.logger[kafkaLogLevel(entry.level, extra)]({ kafka: extra, namespace: entry.namespace }, message);
    },
  });

/**
 * The level a kafkajs log line gets. kafkajs logs every error response of the broker at ERROR,
 * including the answer to a topic creation another service won the race for (services ensure the
 * topics they share at start; kafkajs then treats "already exists" as success): that is warm-up
 * chatter, not an error an operator must act on (issue 13), so it is debug. A creation that really
 * fails still fails ensureTopics, and the service's start reports that.
 */
export const kafkaLogLevel = (level: number, extra: Record<string, unknown>): 'error' | 'warn' | 'debug' => {
  // extra.error is kafkajs's summary of the failed response.
  if (extra['error'] === 'Topic creation errors') return 'debug';
  return level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug';
};

/** Idempotent producer (acks=all is implied): broker-side dedupe of retried batches, in order. */
export const createProducer = (kafka: kafkajs.Kafka): kafkajs.Producer =>
  kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Unlimited retries keep the idempotent producer's ordering guarantee (kafkajs warns otherwise).
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 },
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Event topics are the replay source: kept forever unless the platform says otherwise. */
  retentionMs?: number;
}

export const ensureTopics = async (kafka: kafkajs.Kafka, topics: TopicSpec[]): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const started = Date.now();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions ?? 3,
          replicationFactor: -1,
          configEntries: [{ name: 'retention.ms', value: String(t.retentionMs ?? -1) }],
        })),
      });
      // A consumer subscribing right after the creation may ask a broker whose metadata does not
      // know the topic yet (UNKNOWN_TOPIC_OR_PARTITION, seen on a fresh broker): wait until it does.
      const names = missing.map((t) => t.topic);
      for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
        const known = await admin.fetchTopicMetadata({ topics: names }).then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)), () => false);
        if (known) break;
        if (wait >= 1000 && Date.now() - started > 15_000) throw new Error(`topics ${names.join(', ')} were created but have no leader after 15 s`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    await admin.disconnect();
  }
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Topic names: one per platform and stream, e.g. national.catalog.events. */
export const topics = {
  events: (platform: string, service: string) => `${platform}.${service}.events`,
  ingest: (platform: string, service: string) => `${platform}.${service}.ingest`,
  deadLetter: (topic: string) => `${topic}.dlq`,
  /** Dead letters sent again to the one consumer group that failed them (dead-letters.ts); never ledgered. */
  redelivery: (topic: string) => `${topic}.redelivery`,
  /** Every ledgered topic of a platform: `<platform>.<stream>.events`, nothing else (no .dlq, .ingest, .redelivery). */
  ledgered: (platform: string): RegExp => new RegExp(`^${escapeRegExp(platform)}\\.[a-z_-]+\\.events$`),
};

/** Whether a topic's records are leaves of the platform's ledger: immutable once written. */
export const isLedgeredTopic = (topic: string): boolean => /^[^.]+\.[a-z_-]+\.events$/.test(topic);
