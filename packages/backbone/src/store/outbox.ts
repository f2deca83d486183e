import type { SchemaRegistry } from '../avro/registry.ts';
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
  /** The subject's version after this event (ce_sequence: 1, 2, ...). */
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

/** Encodes the event, builds its envelope and queues the record in `<schema>.outbox`. */
export const raiseEvent = async (tx: Tx, schema: string, registry: SchemaRegistry, e: NewEvent): Promise<{ envelope: Envelope; value: Buffer }> => {
  const value = registry.encode(e.type, e.data);
  const envelope = newEnvelope(registry, e);
  await tx.query(`insert into ${schema}.outbox (topic, key, headers, value) values ($1, $2, $3, $4)`, [e.topic, e.subject, JSON.stringify(envelopeToHeaders(envelope)), value]);
  return { envelope, value };
};
