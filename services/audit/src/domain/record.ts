import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { decodeAnyLeaf, encodeLeafV2, leafHeaderText, type AnyLeaf, type LeafHeader } from '@govmesh/ledger';
import { GovError, type Decoded, type Envelope, type KafkaHeaders, type SchemaRegistry } from '@govmesh/backbone';

/**
 * One Kafka record as the ledger sees it: the leaf (format 0x02, the whole record) and the fields
 * the service indexes. Undecodable records are ledgered too, because the ledger logs what was on
 * the topic; `problem` says why they cannot be read as CloudEvents + Avro, and the verifier
 * re-derives it from the exported schemas.
 */
export interface KafkaRecordLike {
  key: Buffer | null;
  value: Buffer | null;
  /** ms since the epoch, as a decimal string (kafkajs). */
  timestamp: string;
  offset: string;
  headers?: KafkaHeaders | undefined;
}

/** A ledger entry decoded back into the record it commits to. */
export interface LedgerRecord {
  topic: string;
  partition: number;
  offset: string;
  ceId: string;
  ceType: string;
  ceSource: string;
  ceSubject: string;
  ceTime: string;
  correlationId: string;
  causationId: string;
  /** The aggregate version (ce_aggregateversion, or ce_sequence in leaves written before it, ADR 0009), when present exactly once. */
  sequence: string | undefined;
  /** Kafka record timestamp. */
  timestampMs: number;
  key: Buffer | null;
  value: Buffer;
  valueIsNull: boolean;
  headers: LeafHeader[];
  leaf: AnyLeaf;
}

const MAX_DATE_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

/** The Kafka timestamp as the leaf writes it: RFC 3339, UTC, milliseconds. */
export const leafTime = (timestampMs: number): string => new Date(Math.min(Math.max(Number.isFinite(timestampMs) ? timestampMs : 0, -62135596800000), MAX_DATE_MS)).toISOString();

export const kafkaHeadersToLeaf = (headers: KafkaHeaders | undefined): LeafHeader[] =>
  Object.entries(headers ?? {}).flatMap(([name, v]) => {
    if (v === undefined) return [];
    const values = Array.isArray(v) ? v : [v];
    return values.map((x) => ({ name, value: x === null ? Buffer.alloc(0) : Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'utf8') }));
  });

/** Encodes a record read from Kafka as its ledger leaf. */
export const recordLeaf = (originPlatform: string, topic: string, partition: number, message: KafkaRecordLike): Buffer =>
  encodeLeafV2({
    originPlatform,
    topic,
    partition,
    offset: message.offset,
    ingestTime: leafTime(Number(message.timestamp)),
    key: message.key,
    value: message.value,
    headers: kafkaHeadersToLeaf(message.headers),
  });

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Reads a leaf back (either format). */
export const ledgerRecord = (leafBytes: Uint8Array): LedgerRecord => {
  const leaf = decodeAnyLeaf(leafBytes);
  const v2 = leaf.version === 2 ? leaf : undefined;
  // The aggregate version: ce_aggregateversion, or ce_sequence in leaves written before it (ADR 0009).
  const version = v2 === undefined ? [] : leafHeaderText(v2, 'ce_aggregateversion');
  const sequence = v2 === undefined ? [] : version.length > 0 ? version : leafHeaderText(v2, 'ce_sequence');
  return {
    topic: leaf.topic,
    partition: leaf.partition,
    offset: leaf.offset,
    ceId: leaf.ceId,
    ceType: leaf.ceType,
    ceSource: leaf.ceSource,
    ceSubject: leaf.ceSubject,
    ceTime: leaf.ceTime,
    correlationId: leaf.ceCorrelationid,
    causationId: leaf.ceCausationid,
    sequence: sequence.length === 1 ? sequence[0] : undefined,
    timestampMs: Date.parse(leaf.ingestTime),
    key: v2 === undefined ? null : v2.key,
    value: asBuffer(leaf.value),
    valueIsNull: v2?.valueIsNull ?? false,
    headers: v2?.headers ?? [],
    leaf,
  };
};

/** Same event content (a re-send by an at-least-once relay): value, key and headers, not offset or time. */
export const contentDigest = (r: Pick<LedgerRecord, 'value' | 'key' | 'headers' | 'valueIsNull'>): string => {
  const h = createHash('sha256');
  h.update(r.valueIsNull ? 'null' : 'value').update(r.value).update(r.key === null ? 'nokey' : 'key').update(r.key ?? Buffer.alloc(0));
  for (const x of r.headers) h.update(`${x.name.length}:${x.name}`).update(`${x.value.length}:`).update(x.value);
  return h.digest('hex');
};

export type EventReading = { envelope: Envelope; decoded: Decoded; problem?: undefined } | { problem: string; envelope?: undefined; decoded?: undefined };

/**
 * Reads a ledgered record as a CloudEvent with an Avro body, by the rules of the backbone
 * consumer: the required ce_ attributes (id, type, source, subject, time, specversion 1.0), a
 * known writer schema, and a ce_type naming that schema. Stricter in one way: an attribute whose
 * header is duplicated counts as missing, as the leaf format leaves it empty.
 */
export const readEvent = (r: LedgerRecord, registry: SchemaRegistry): EventReading => {
  try {
    if (r.valueIsNull) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', 'record has no value (tombstones are not events)');
    // CloudEvents Kafka binding: header values MUST be UTF-8; and a NUL is no text of ours (issue 13).
    const badHeaders = r.headers.filter((h) => h.name.startsWith('ce_') && (!isUtf8(h.value) || h.value.includes(0))).map((h) => h.name);
    if (badHeaders.length > 0) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `CloudEvents headers that are not UTF-8 text without NUL: ${[...new Set(badHeaders)].join(', ')}`);
    const l = r.leaf;
    const missing = (
      [
        ['ce_id', l.ceId],
        ['ce_type', l.ceType],
        ['ce_source', l.ceSource],
        ['ce_subject', l.ceSubject],
        ['ce_time', l.ceTime],
        ['ce_specversion', l.ceSpecversion],
      ] as const
    )
      .filter(([, v]) => v === '')
      .map(([k]) => k);
    if (missing.length > 0) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `missing CloudEvents headers: ${missing.join(', ')}`);
    if (l.ceSpecversion !== '1.0') throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `unsupported ce_specversion ${l.ceSpecversion}`);
    const header = (name: string): string | undefined => {
      const h = r.headers.find((x) => x.name === name);
      return h === undefined ? undefined : Buffer.from(h.value).toString('utf8');
    };
    const envelope: Envelope = {
      id: l.ceId,
      type: l.ceType,
      source: l.ceSource,
      subject: l.ceSubject,
      time: l.ceTime,
      specversion: '1.0',
      datacontenttype: 'application/avro',
      dataschema: header('ce_dataschema') ?? '',
      correlationid: l.ceCorrelationid || l.ceSubject,
      causationid: l.ceCausationid,
      partitionkey: header('ce_partitionkey') ?? l.ceSubject,
      sequence: r.sequence ?? '',
    };
    const traceparent = header('traceparent');
    if (traceparent !== undefined) envelope.traceparent = traceparent;
    const decoded = registry.decode(r.value);
    if (decoded.schema.name !== envelope.type) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `ce_type ${envelope.type} does not match the value's schema ${decoded.schema.name}`);
    return { envelope, decoded };
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err) };
  }
};

/** Avro values as JSON: bytes become base64, longs stay numbers. */
export const jsonSafe = (v: unknown): unknown => {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
};
