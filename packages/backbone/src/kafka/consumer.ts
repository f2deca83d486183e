import type kafkajs from 'kafkajs';
import type { SchemaRegistry, Decoded } from '../avro/registry.ts';
import { envelopeFromHeaders, headersToStrings, type Envelope } from '../envelope/envelope.ts';
import { asGovError, GovError } from '../errors/errors.ts';
import { toDeadLetterHeaders } from '../errors/problem.ts';
import { isUnavailable } from '../errors/unavailable.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { BackboneMetrics } from '../telemetry/metrics.ts';
import { contextFromTraceparent, inSpan, SpanKind } from '../telemetry/tracing.ts';
import { ensureTopics, topics as topicNames } from './client.ts';
import { isRedeliveryTopic, redeliveredFor } from './dead-letters.ts';

/**
 * A consumer-group runner for event topics.
 *
 * - Each record is decoded (CloudEvents headers + Avro single-object value). A record that cannot
 *   be decoded goes straight to `<topic>.dlq`: retrying cannot fix it.
 * - A failing handler is retried with exponential backoff; a non-retryable GovError or the last
 *   failed attempt sends the record to the dead-letter topic with the original topic, partition,
 *   offset and the error in headers. Only then is the offset committed: nothing is dropped.
 * - Handlers must be idempotent (use Inbox), because Kafka delivers at least once.
 * - Each named topic's `<topic>.redelivery` is read too: a dead letter the operator sends again
 *   (dead-letters.ts) reaches the handler as from its original topic, partition and offset, in this
 *   group only; records addressed to other groups are skipped.
 */
export interface ConsumedEvent {
  envelope: Envelope;
  decoded: Decoded;
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  headers: Record<string, string>;
  value: Buffer;
}

/** A record as a consumer hands it to its handler; throws GOV_ERR_EVENT_UNDECODABLE (for read-model rebuilds too). */
export const decodeRecord = (registry: SchemaRegistry, topic: string, partition: number, message: kafkajs.KafkaMessage): ConsumedEvent => {
  if (message.value === null) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', 'record has no value (tombstones are not events)');
  const envelope = envelopeFromHeaders(message.headers);
  const decoded = registry.decode(message.value);
  if (decoded.schema.name !== envelope.type) {
    throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `ce_type ${envelope.type} does not match the value's schema ${decoded.schema.name}`, {
      violations: [{ field: 'ce_type', description: `expected ${decoded.schema.name}` }],
    });
  }
  return { envelope, decoded, topic, partition, offset: message.offset, key: message.key?.toString(), headers: headersToStrings(message.headers), value: message.value };
};

export interface DeadLetterMark {
  topic: string;
  partition: number;
  offset: string;
  code: string;
  at: string;
}

export interface EventConsumerOptions {
  kafka: kafkajs.Kafka;
  groupId: string;
  topics: (string | RegExp)[];
  registry: SchemaRegistry;
  producer: kafkajs.Producer;
  logger: Logger;
  metrics: BackboneMetrics;
  maxAttempts: number;
  handle: (event: ConsumedEvent) => Promise<void>;
  fromBeginning?: boolean;
  backoffMs?: number;
  sessionTimeoutMs?: number;
}

/** The longest a fetch waits for records when a topic is idle; also bounds how long a stop waits. */
export const FETCH_MAX_WAIT_MS = 500;

export class EventConsumer {
  readonly #o: EventConsumerOptions;
  readonly #consumer: kafkajs.Consumer;
  #inFlight = 0;
  #stopping = false;
  #deadLetters: { count: number; last?: DeadLetterMark } = { count: 0 };
  /** Dead letters of this run not yet redelivered and handled, by `<topic>/<partition>/<offset>`. */
  readonly #unhealed = new Map<string, DeadLetterMark>();

  constructor(opts: EventConsumerOptions) {
    this.#o = opts;
    this.#consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: opts.sessionTimeoutMs ?? 30000,
      heartbeatInterval: Math.min(3000, Math.floor((opts.sessionTimeoutMs ?? 30000) / 3)),
      // A stop waits for the fetch in flight: kafkajs's default long poll (5 s) per consumer, one
      // after another, made a service overrun its shutdown grace period (issue 13, defect 12).
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
  }

  async start(): Promise<void> {
    const redelivery = this.#o.topics.filter((t): t is string => typeof t === 'string').map(topicNames.redelivery);
    await ensureTopics(this.#o.kafka, redelivery.map((topic) => ({ topic, partitions: 1 })));
    await this.#consumer.connect();
    // A redelivery is read from its beginning whatever fromBeginning says: one sent while the group was down is not skipped.
    await this.#consumer.subscribe({ topics: this.#o.topics, fromBeginning: this.#o.fromBeginning ?? true });
    if (redelivery.length > 0) await this.#consumer.subscribe({ topics: redelivery, fromBeginning: true });
    await this.#consumer.run({ autoCommit: true, eachMessage: (p) => this.#eachMessage(p) });
  }

  /** Lets the record in flight finish (or give up waiting out an outage), commits, leaves the group. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#consumer.disconnect();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get groupId(): string {
    return this.#o.groupId;
  }

  get topics(): readonly (string | RegExp)[] {
    return this.#o.topics;
  }

  /**
   * How many records this consumer sent to a dead-letter topic since it started, the last one,
   * and how many of them were not yet redelivered and handled (what its read model still misses).
   */
  get deadLetters(): { count: number; unhealed: number; last?: DeadLetterMark } {
    return { ...this.#deadLetters, unhealed: this.#unhealed.size };
  }

  async #eachMessage(payload: kafkajs.EachMessagePayload): Promise<void> {
    const { heartbeat } = payload;
    let { topic, partition, message } = payload;
    this.#inFlight += 1;
    try {
      const redelivered = isRedeliveryTopic(payload.topic);
      if (redelivered) {
        const original = redeliveredFor(this.#o.groupId, headersToStrings(message.headers));
        if (original === undefined) return; // another group's
        this.#o.logger.info({ topic: original.topic, partition: original.partition, offset: original.offset, redelivery: `${payload.topic}/${payload.partition}/${message.offset}` }, 'dead letter redelivered');
        this.#o.metrics.consumed.inc({ topic: original.topic, result: 'redelivered' });
        // A copy: kafkajs commits the redelivery topic's offset from the record it handed in.
        ({ topic, partition } = original);
        message = { ...message, offset: original.offset };
      }
      let event: ConsumedEvent;
      try {
        event = this.decode(topic, partition, message);
      } catch (err) {
        await this.#deadLetter(topic, partition, message, err);
        return;
      }
      const parent = contextFromTraceparent(event.envelope.traceparent);
      await inSpan(`process ${topic}`, SpanKind.CONSUMER, parent, { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.message.id': event.envelope.id }, async () => {
        let outage = 0;
        for (let attempt = 1; ; attempt++) {
          try {
            await this.#o.handle(event);
            this.#o.metrics.consumed.inc({ topic, result: 'ok' });
            if (redelivered) this.#unhealed.delete(`${topic}/${partition}/${message.offset}`);
            if (outage > 0) this.#o.logger.info({ topic, partition, offset: message.offset, attempts: outage }, 'event handled again after an outage');
            return;
          } catch (err) {
            const e = asGovError(err);
            // A database or broker out of reach (the raw driver error, not a GovError a handler
            // chose to throw) is no fault of the record: wait for it (the record
            // is neither dead-lettered nor committed), backing off up to 5 s, until it returns or
            // the consumer stops (the record is then read again at the next start).
            if (!(err instanceof GovError) && isUnavailable(err)) {
              if (this.#stopping) throw err;
              outage += 1;
              attempt -= 1;
              if (outage === 1) this.#o.logger.warn({ err, topic, partition, offset: message.offset }, 'event handler: a dependency is unavailable; retrying until it returns');
              await new Promise((r) => setTimeout(r, Math.min(5000, (this.#o.backoffMs ?? 100) * 2 ** Math.min(outage - 1, 10))));
              await heartbeat();
              continue;
            }
            if (!e.retryable || attempt >= this.#o.maxAttempts) {
              await this.#deadLetter(topic, partition, message, err);
              return;
            }
            this.#o.logger.warn({ err, topic, partition, offset: message.offset, attempt }, 'event handler failed; retrying');
            await new Promise((r) => setTimeout(r, (this.#o.backoffMs ?? 100) * 2 ** (attempt - 1)));
            await heartbeat();
          }
        }
      });
    } finally {
      this.#inFlight -= 1;
    }
  }

  decode(topic: string, partition: number, message: kafkajs.KafkaMessage): ConsumedEvent {
    return decodeRecord(this.#o.registry, topic, partition, message);
  }

  async #deadLetter(topic: string, partition: number, message: kafkajs.KafkaMessage, err: unknown): Promise<void> {
    const e = asGovError(err);
    const dlq = topicNames.deadLetter(topic);
    this.#o.logger.error({ err, topic, partition, offset: message.offset, dlq, code: e.code }, 'event sent to dead-letter topic');
    // If this send fails the handler throws, kafkajs does not commit, and the record is retried.
    await this.#o.producer.send({
      topic: dlq,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...headersToStrings(message.headers),
            ...toDeadLetterHeaders(err),
            'x-original-topic': topic,
            'x-original-partition': String(partition),
            'x-original-offset': message.offset,
            'x-consumer-group': this.#o.groupId,
            'x-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    this.#o.metrics.deadLettered.inc({ topic, code: e.code, group: this.#o.groupId });
    const mark = { topic, partition, offset: message.offset, code: e.code, at: new Date().toISOString() };
    this.#deadLetters = { count: this.#deadLetters.count + 1, last: mark };
    this.#unhealed.set(`${topic}/${partition}/${message.offset}`, mark);
    this.#o.metrics.consumed.inc({ topic, result: 'dead-lettered' });
  }
}
