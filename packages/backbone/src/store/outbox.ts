import type { SchemaRegistry } from '../avro/registry.ts';
import { GovError } from '../errors/errors.ts';
import { envelopeToHeaders, type Envelope } from '../envelope/envelope.ts';
import { uuidv7 } from '../envelope/uuid.ts';
import { traceparentForEvent } from '../telemetry/tracing.ts';
import type { Tx } from './database.ts';

/**
 * Raising an event: its CloudEvents envelope and its outbox row, written in the caller's
 * transaction, so the event is published (by the OutboxRelay, after the commit) exactly when what
 * it reports is committed. The one place envelopes of outgoing events are built.
 */
export interface NewEvent {
  topic: string;
  /** Avro full name, also the CloudEvents type, e.g. govmesh.catalog.v1.CatalogEntryDrafted. */
  type: string;
  data: object;
  /** CloudEvents source: eventSource(platform, service). */
  source: string;
  /** The aggregate (or log) the event is about: ce_subject, ce_partitionkey and the record key. */
  subject: string;
  at: Date;
  /** The subject's version after this event (ce_aggregateversion: 1, 2, ...; ADR 0009). */
  sequence: number;
  /** The share or entry the event belongs to; defaults to the subject. */
  correlationId?: string;
  /** The command or event that caused this one. */
  causationId?: string;
}

export const eventSource = (platform: string, service: string): string => `/platforms/${platform}/services/${service}`;

/**
 * The envelope of an event this service raises. `traceparent` is the active trace's; an event
 * raised outside any trace (a timer) starts a trace of its own, so every record can be followed.
 */
export const newEnvelope = (registry: SchemaRegistry, e: Omit<NewEvent, 'topic' | 'data'>): Envelope => {
  const envelope: Envelope = {
    id: uuidv7(e.at.getTime()),
    type: e.type,
    source: e.source,
    subject: e.subject,
    time: e.at.toISOString(),
    specversion: '1.0',
    datacontenttype: 'application/avro',
    dataschema: `urn:govmesh:avro:${e.type}:${registry.latest(e.type).fingerprintHex}`,
    correlationid: e.correlationId ?? e.subject,
    causationid: e.causationId ?? '',
    partitionkey: e.subject,
    sequence: String(e.sequence),
  };
  const traceparent = traceparentForEvent(e.type);
  if (traceparent !== undefined) envelope.traceparent = traceparent;
  return envelope;
};

/**
 * The largest Kafka record (value, key and headers) an event may become: a quarter of the
 * broker's default message.max.bytes (1048588; scripts/infra does not change it), so a relay
 * batch holds several, and far below what any broker accepts. A command whose event is larger is
 * refused before anything is written (413 at the REST edge, naming the largest field).
 */
export const MAX_EVENT_BYTES = 256 * 1024;

/** Encodes the event, builds its envelope and queues the record in `<schema>.outbox`. */
export const raiseEvent = async (tx: Tx, schema: string, registry: SchemaRegistry, e: NewEvent): Promise<{ envelope: Envelope; value: Buffer }> => {
  const value = registry.encode(e.type, e.data);
  const envelope = newEnvelope(registry, e);
  const headers = envelopeToHeaders(envelope);
  const size = value.length + Buffer.byteLength(e.subject) + Object.entries(headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_EVENT_BYTES) {
    const { field, bytes } = registry.largestField(e.type, e.data);
    const short = e.type.split('.').pop();
    throw new GovError('GOV_ERR_EVENT_TOO_LARGE', `the ${short} event would be ${size} bytes, over the ${MAX_EVENT_BYTES}-byte limit; ${field} holds ${bytes}`, {
      violations: [{ field, description: `holds ${bytes} bytes of a ${size}-byte ${short} event; an event may be at most ${MAX_EVENT_BYTES} bytes` }],
    });
  }
  await tx.query(`insert into ${schema}.outbox (topic, key, headers, value) values ($1, $2, $3, $4)`, [e.topic, e.subject, JSON.stringify(headers), value]);
  return { envelope, value };
};
