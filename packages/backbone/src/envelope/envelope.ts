import { GovError } from '../errors/errors.ts';

/**
 * The CloudEvents Kafka protocol binding, binary mode: the Avro bytes are the record value and
 * every attribute is a `ce_`-prefixed UTF-8 header. Extension names are lower-case alphanumerics
 * only (CloudEvents naming rule), hence `correlationid`, not `correlation_id`.
 */
export interface Envelope {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  specversion: '1.0';
  datacontenttype: 'application/avro';
  dataschema: string;
  /** The share (or entry) the event belongs to, across services and platforms. */
  correlationid: string;
  /** The event or command id that caused this event. */
  causationid: string;
  /** The record key; recorded so readers know why the record was keyed that way. */
  partitionkey: string;
  /**
   * The aggregate version (1, 2, ...), so gaps are detectable: the govmesh extension attribute
   * `aggregateversion` (ADR 0009). Records written before it carried it as `ce_sequence`, which
   * the CloudEvents sequence extension defines otherwise (one lexicographic order per source);
   * they still read.
   */
  sequence: string;
  /** W3C trace context of the command that produced the event. */
  traceparent?: string;
}

export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type KafkaHeaders = Record<string, KafkaHeaderValue>;

export const headerString = (headers: KafkaHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};

/** Header map as plain strings (kafkajs always hands header values over as Buffers). */
export const headersToStrings = (headers: KafkaHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const v = headerString(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
};

export const envelopeToHeaders = (e: Envelope): Record<string, string> => {
  const h: Record<string, string> = {
    ce_id: e.id,
    ce_type: e.type,
    ce_source: e.source,
    ce_subject: e.subject,
    ce_time: e.time,
    ce_specversion: e.specversion,
    'content-type': e.datacontenttype,
    ce_dataschema: e.dataschema,
    ce_correlationid: e.correlationid,
    ce_causationid: e.causationid,
    ce_partitionkey: e.partitionkey,
  };
  if (e.sequence !== '') h['ce_aggregateversion'] = e.sequence;
  if (e.traceparent !== undefined) h['traceparent'] = e.traceparent;
  return h;
};

const REQUIRED = ['ce_id', 'ce_type', 'ce_source', 'ce_subject', 'ce_time', 'ce_specversion'] as const;

export const envelopeFromHeaders = (headers: KafkaHeaders | undefined): Envelope => {
  const h = headersToStrings(headers);
  const missing = REQUIRED.filter((k) => h[k] === undefined || h[k] === '');
  if (missing.length > 0) {
    throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `missing CloudEvents headers: ${missing.join(', ')}`, {
      violations: missing.map((field) => ({ field, description: 'required CloudEvents attribute' })),
    });
  }
  if (h['ce_specversion'] !== '1.0') throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `unsupported ce_specversion ${h['ce_specversion']}`);
  const env: Envelope = {
    id: h['ce_id']!,
    type: h['ce_type']!,
    source: h['ce_source']!,
    subject: h['ce_subject']!,
    time: h['ce_time']!,
    specversion: '1.0',
    datacontenttype: 'application/avro',
    dataschema: h['ce_dataschema'] ?? '',
    correlationid: h['ce_correlationid'] ?? h['ce_subject']!,
    causationid: h['ce_causationid'] ?? '',
    partitionkey: h['ce_partitionkey'] ?? h['ce_subject']!,
    sequence: h['ce_aggregateversion'] ?? h['ce_sequence'] ?? '',
  };
  if (h['traceparent'] !== undefined) env.traceparent = h['traceparent'];
  return env;
};
