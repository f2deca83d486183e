import type kafkajs from 'kafkajs';
import { headersToStrings } from '../envelope/envelope.ts';
import { GovError, inputInvalid, ruleViolated } from '../errors/errors.ts';
import { isLedgeredTopic, topics } from './client.ts';

/**
 * Dead letters read back and sent again, safely for the ledger (issue 13, defect 11).
 *
 * Publishing a dead letter again to its original topic, as the old advice said, puts a second
 * record with the same event id on that topic: on a ledgered `<P>.<stream>.events` topic the
 * ledger then holds two leaves for one event, and every other consumer group, which had processed
 * the first, sees it again. So a dead letter is never written back to its original topic: it is
 * sent to `<topic>.redelivery`, addressed (header `x-redelivery-group`) to the one consumer group
 * that failed it; the EventConsumer of that group reads it there as if it came from the original
 * topic (same topic, partition and offset in the handler), every other group skips it, and the
 * ledger never reads a redelivery topic. A ledgered event is immutable: it is redelivered byte for
 * byte, never edited (a wrong fact is corrected by a new command of the owning service). A record
 * of a topic that is not ledgered (an ingest topic: a department's command) may be redelivered
 * with a corrected value, which must decode before it is sent.
 */
export const REDELIVERY_HEADERS = {
  group: 'x-redelivery-group',
  /** The dead letter redelivered: `<dlq topic>/<partition>/<offset>`; a second redelivery of it is refused. */
  of: 'x-redelivery-of',
  at: 'x-redelivered-at',
  /** "true" when the value differs from the dead letter's (only for topics that are not ledgered). */
  edited: 'x-redelivery-edited',
} as const;

export interface DeadLetter {
  /** `<dlq topic>/<partition>/<offset>`: how the tool names a dead letter. */
  ref: string;
  dlqTopic: string;
  partition: number;
  offset: string;
  original: { topic: string; partition: number; offset: string };
  /** The consumer group that gave up on the record. */
  group: string;
  error: { code: string; message: string; rule?: string; fields: string[] };
  failedAt: string;
  /** Whether the original topic is a ledger's source: then it is redelivered unchanged only. */
  ledgered: boolean;
  eventId: string | undefined;
  eventType: string | undefined;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

const DLQ_SUFFIX = '.dlq';

export const deadLetterRef = (topic: string, partition: number, offset: string): string => `${topic}/${partition}/${offset}`;

/** Parses `<dlq topic>/<partition>/<offset>` strictly (no coercion: digits only). */
export const parseDeadLetterRef = (ref: string): { topic: string; partition: number; offset: string } => {
  const m = /^([A-Za-z0-9._-]{1,249})\/(\d{1,9})\/(\d{1,19})$/.exec(ref);
  if (m === null || !m[1]!.endsWith(DLQ_SUFFIX)) {
    throw inputInvalid([{ field: 'ref', description: `expected <topic>.dlq/<partition>/<offset>, got ${JSON.stringify(ref.slice(0, 300))}` }]);
  }
  return { topic: m[1]!, partition: Number(m[2]), offset: BigInt(m[3]!).toString() };
};

/** Reads a record of a `.dlq` topic as the EventConsumer wrote it; a record it did not write is refused, naming the header. */
export const deadLetterOf = (dlqTopic: string, partition: number, message: Pick<kafkajs.KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>): DeadLetter => {
  if (!dlqTopic.endsWith(DLQ_SUFFIX)) throw inputInvalid([{ field: 'topic', description: `${dlqTopic} is not a dead-letter topic (<topic>${DLQ_SUFFIX})` }]);
  const headers = headersToStrings(message.headers);
  const need = (name: string): string => {
    const v = headers[name];
    if (v === undefined || v === '') throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `dead letter ${deadLetterRef(dlqTopic, partition, message.offset)} has no ${name} header`, { violations: [{ field: name, description: 'missing' }] });
    return v;
  };
  const originalTopic = need('x-original-topic');
  if (topics.deadLetter(originalTopic) !== dlqTopic) {
    throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `dead letter on ${dlqTopic} names another topic: ${originalTopic}`, { violations: [{ field: 'x-original-topic', description: 'not this dead-letter topic\'s source' }] });
  }
  const originalPartition = need('x-original-partition');
  const originalOffset = need('x-original-offset');
  if (!/^\d{1,9}$/.test(originalPartition) || !/^\d{1,19}$/.test(originalOffset)) {
    throw new GovError('GOV_ERR_EVENT_UNDECODABLE', 'x-original-partition / x-original-offset are not numbers', { violations: [{ field: 'x-original-offset', description: 'not a number' }] });
  }
  const fields = headers['x-error-fields'];
  return {
    ref: deadLetterRef(dlqTopic, partition, message.offset),
    dlqTopic,
    partition,
    offset: message.offset,
    original: { topic: originalTopic, partition: Number(originalPartition), offset: originalOffset },
    group: need('x-consumer-group'),
    error: {
      code: headers['x-error-code'] ?? 'unknown',
      message: headers['x-error-message'] ?? '',
      ...(headers['x-error-rule'] === undefined ? {} : { rule: headers['x-error-rule'] }),
      fields: fields === undefined || fields === '' ? [] : fields.split(','),
    },
    failedAt: headers['x-failed-at'] ?? '',
    ledgered: isLedgeredTopic(originalTopic),
    eventId: headers['ce_id'],
    eventType: headers['ce_type'],
    key: message.key,
    value: message.value,
    headers,
  };
};

/** The headers a redelivered record keeps: the event's own (CloudEvents, trace), not the failure's. */
const eventHeaders = (h: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith('x-error-') && !k.startsWith('x-original-') && !k.startsWith('x-redeliver') && k !== 'x-consumer-group' && k !== 'x-failed-at'));

/**
 * The record that sends a dead letter again to the consumer group that failed it.
 * `correctedValue`: the value to send instead (refused for a ledgered topic, rule VER-09: one
 * event, one leaf, one content). `alreadyRedelivered`: refused (a redelivery is not repeated by
 * accident; the group's inbox would ignore it anyway, but an edited one would not be the same).
 */
export const redeliveryOf = (dl: DeadLetter, opts: { at: Date; correctedValue?: Buffer; alreadyRedelivered?: boolean }): { topic: string; message: kafkajs.Message } => {
  if (opts.alreadyRedelivered === true) throw ruleViolated('VER-09', `dead letter ${dl.ref} was already redelivered to ${dl.group}`);
  const edited = opts.correctedValue !== undefined && (dl.value === null || !opts.correctedValue.equals(dl.value));
  if (edited && dl.ledgered) {
    throw ruleViolated('VER-09', `${dl.original.topic} is ledgered: event ${dl.eventId ?? '?'} is redelivered unchanged or not at all; correct a wrong fact with a new command of the owning service`);
  }
  return {
    topic: topics.redelivery(dl.original.topic),
    message: {
      key: dl.key,
      value: edited ? opts.correctedValue! : dl.value,
      headers: {
        ...eventHeaders(dl.headers),
        'x-original-topic': dl.original.topic,
        'x-original-partition': String(dl.original.partition),
        'x-original-offset': dl.original.offset,
        [REDELIVERY_HEADERS.group]: dl.group,
        [REDELIVERY_HEADERS.of]: dl.ref,
        [REDELIVERY_HEADERS.at]: opts.at.toISOString(),
        ...(edited ? { [REDELIVERY_HEADERS.edited]: 'true' } : {}),
      },
    },
  };
};

/**
 * How the consumer reads a record of a redelivery topic: for its own group, the original topic,
 * partition and offset to hand the handler (so it behaves as for the first delivery); for another
 * group's, undefined (skip it).
 */
export const redeliveredFor = (group: string, headers: Record<string, string>): { topic: string; partition: number; offset: string } | undefined => {
  if (headers[REDELIVERY_HEADERS.group] !== group) return undefined;
  const topic = headers['x-original-topic'];
  const partition = headers['x-original-partition'];
  const offset = headers['x-original-offset'];
  if (topic === undefined || partition === undefined || offset === undefined || !/^\d{1,9}$/.test(partition) || !/^\d{1,19}$/.test(offset)) return undefined;
  return { topic, partition: Number(partition), offset };
};

/** Whether a topic name is a redelivery topic (`<topic>.redelivery`). */
export const isRedeliveryTopic = (topic: string): boolean => topic.endsWith('.redelivery');

/** The source topic of a redelivery topic. */
export const redeliverySource = (topic: string): string => topic.slice(0, -'.redelivery'.length);
