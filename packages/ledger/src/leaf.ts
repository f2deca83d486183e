// Canonical leaf encoding of one audited Kafka event.
//
// The ledger's Merkle leaves are these bytes, so an auditor must be able to
// rebuild them from the raw Kafka record without govmesh's code. The format
// is therefore deliberately dumb: a version byte, then fixed-order
// length-prefixed fields, no optional parts, no varints. It is also strict in
// both directions: every accepted byte string decodes to exactly one value
// that re-encodes to the same bytes, so a leaf hash has one meaning.
//
// Layout (version 0x01; see packages/ledger/LEAF-FORMAT.md):
//
//   byte 0            format version, 0x01
//   then 15 fields, each u32 big-endian length || that many bytes, in order:
//    1 originPlatform    UTF-8
//    2 topic             UTF-8
//    3 partition         length 4: u32 big-endian (Kafka int32, never negative)
//    4 offset            UTF-8 decimal, no sign, no leading zeros, <= 2^63-1
//    5 ceId              UTF-8
//    6 ceType            UTF-8
//    7 ceSource          UTF-8
//    8 ceSubject         UTF-8, empty when absent
//    9 ceTime            UTF-8, empty when absent
//   10 ceSpecversion     UTF-8
//   11 ceCorrelationid   UTF-8, empty when absent
//   12 ceCausationid     UTF-8, empty when absent
//   13 ingestTime        UTF-8 RFC 3339 timestamp
//   14 schemaFingerprint length 8: raw bytes
//   15 value             the record value exactly as read from Kafka
//   nothing after the last field.

/** The only leaf format version this code reads or writes. */
export const LEAF_FORMAT_VERSION = 0x01;

/** Everything the ledger commits to about one Kafka record. */
export interface LeafFields {
  /** Platform (data owner) the event came from. */
  originPlatform: string;
  topic: string;
  /** Kafka partition, 0 .. 2^31-1. */
  partition: number;
  /** Kafka offset as a canonical decimal string (int64 does not fit a JS number). */
  offset: string;
  // CloudEvents attributes from the record headers; "" when a header is absent.
  ceId: string;
  ceType: string;
  ceSource: string;
  ceSubject: string;
  ceTime: string;
  ceSpecversion: string;
  ceCorrelationid: string;
  ceCausationid: string;
  /** When the audit service ingested the record, RFC 3339. */
  ingestTime: string;
  /** 8-byte fingerprint of the Avro writer schema. */
  schemaFingerprint: Uint8Array;
  /** The record value, byte for byte as it came off Kafka. */
  value: Uint8Array;
}

/** Raised for any leaf that cannot be encoded or decoded; the message says which field and why. */
export class LeafFormatError extends Error {
  override readonly name = "LeafFormatError";
}

const PARTITION_SIZE = 4;
const FINGERPRINT_SIZE = 8;
const MAX_PARTITION = 0x7fffffff;
const MAX_OFFSET = (1n << 63n) - 1n;
const MAX_FIELD_LENGTH = 0xffffffff;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
// RFC 3339 §5.6 date-time (syntax only; the service writes what it read from the clock).
const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

type StringField = {
  [K in keyof LeafFields]: LeafFields[K] extends string ? K : never;
}[keyof LeafFields];

// The string fields between offset and ingestTime, in wire order.
const CLOUDEVENT_FIELDS = [
  "ceId",
  "ceType",
  "ceSource",
  "ceSubject",
  "ceTime",
  "ceSpecversion",
  "ceCorrelationid",
  "ceCausationid",
] as const satisfies readonly StringField[];

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function checkOffset(offset: string, where: string): void {
  if (!DECIMAL.test(offset) || BigInt(offset) > MAX_OFFSET) {
    throw new LeafFormatError(`${where}: offset must be a decimal int64 >= 0 without leading zeros, got ${JSON.stringify(offset)}`);
  }
}

function checkIngestTime(ingestTime: string, where: string): void {
  if (!RFC3339.test(ingestTime)) {
    throw new LeafFormatError(`${where}: ingestTime must be an RFC 3339 date-time, got ${JSON.stringify(ingestTime)}`);
  }
}

/** Encodes a leaf in format 0x01. The result is what gets leaf-hashed into the ledger. */
export function encodeLeaf(fields: LeafFields): Buffer {
  const where = "encodeLeaf";
  const parts: Uint8Array[] = [];
  const put = (name: string, bytes: Uint8Array): void => {
    if (bytes.length > MAX_FIELD_LENGTH) throw new LeafFormatError(`${where}: ${name} is longer than 2^32-1 bytes`);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  };
  const putString = (name: StringField): void => {
    const s: unknown = fields[name];
    if (typeof s !== "string") throw new LeafFormatError(`${where}: ${name} must be a string`);
    // A lone surrogate would be silently replaced by U+FFFD, breaking the round trip.
    if (!s.isWellFormed()) throw new LeafFormatError(`${where}: ${name} is not well-formed Unicode`);
    put(name, Buffer.from(s, "utf8"));
  };

  const { partition, offset, ingestTime, schemaFingerprint, value } = fields;
  if (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    throw new LeafFormatError(`${where}: partition must be an integer in 0..2^31-1, got ${String(partition)}`);
  }
  if (typeof offset !== "string") throw new LeafFormatError(`${where}: offset must be a decimal string`);
  checkOffset(offset, where);
  if (typeof ingestTime !== "string") throw new LeafFormatError(`${where}: ingestTime must be a string`);
  checkIngestTime(ingestTime, where);
  if (!(schemaFingerprint instanceof Uint8Array) || schemaFingerprint.length !== FINGERPRINT_SIZE) {
    throw new LeafFormatError(`${where}: schemaFingerprint must be ${FINGERPRINT_SIZE} bytes`);
  }
  if (!(value instanceof Uint8Array)) throw new LeafFormatError(`${where}: value must be bytes`);

  parts.push(Uint8Array.of(LEAF_FORMAT_VERSION));
  putString("originPlatform");
  putString("topic");
  const partitionBytes = Buffer.alloc(PARTITION_SIZE);
  partitionBytes.writeUInt32BE(partition);
  put("partition", partitionBytes);
  putString("offset");
  for (const name of CLOUDEVENT_FIELDS) putString(name);
  putString("ingestTime");
  put("schemaFingerprint", schemaFingerprint);
  put("value", value);
  return Buffer.concat(parts);
}

/**
 * Decodes a format-0x01 leaf. Strict: unknown versions, truncated or
 * oversized length prefixes, fixed-size fields of the wrong size, invalid
 * UTF-8, non-canonical offsets and trailing bytes are all rejected.
 * Byte fields are copies, not views of `buf`.
 */
export function decodeLeaf(buf: Uint8Array): LeafFields {
  if (!(buf instanceof Uint8Array)) throw new LeafFormatError("decodeLeaf: input must be bytes");
  if (buf.length === 0) throw new LeafFormatError("decodeLeaf: empty input, expected a version byte");
  const version = buf[0] as number;
  if (version !== LEAF_FORMAT_VERSION) {
    throw new LeafFormatError(
      `decodeLeaf: unsupported leaf format version 0x${version.toString(16).padStart(2, "0")}, expected 0x01`,
    );
  }
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 1;

  const field = (name: string): Buffer => {
    if (view.length - pos < 4) {
      throw new LeafFormatError(`decodeLeaf: truncated length prefix of ${name} at byte ${pos}`);
    }
    const len = view.readUInt32BE(pos);
    pos += 4;
    if (view.length - pos < len) {
      throw new LeafFormatError(
        `decodeLeaf: ${name} at byte ${pos - 4} declares ${len} bytes but only ${view.length - pos} remain`,
      );
    }
    const bytes = Buffer.from(view.subarray(pos, pos + len));
    pos += len;
    return bytes;
  };
  const text = (name: string): string => {
    const bytes = field(name);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new LeafFormatError(`decodeLeaf: ${name} is not valid UTF-8`);
    }
  };
  const fixed = (name: string, size: number): Buffer => {
    const bytes = field(name);
    if (bytes.length !== size) {
      throw new LeafFormatError(`decodeLeaf: ${name} must be ${size} bytes, got ${bytes.length}`);
    }
    return bytes;
  };

  const originPlatform = text("originPlatform");
  const topic = text("topic");
  const partition = fixed("partition", PARTITION_SIZE).readUInt32BE(0);
  if (partition > MAX_PARTITION) throw new LeafFormatError(`decodeLeaf: partition ${partition} exceeds 2^31-1`);
  const offset = text("offset");
  checkOffset(offset, "decodeLeaf");
  const ce = {} as Record<(typeof CLOUDEVENT_FIELDS)[number], string>;
  for (const name of CLOUDEVENT_FIELDS) ce[name] = text(name);
  const ingestTime = text("ingestTime");
  checkIngestTime(ingestTime, "decodeLeaf");
  const schemaFingerprint = fixed("schemaFingerprint", FINGERPRINT_SIZE);
  const value = field("value");
  if (pos !== view.length) {
    throw new LeafFormatError(`decodeLeaf: ${view.length - pos} trailing bytes after the last field`);
  }
  return {
    originPlatform,
    topic,
    partition,
    offset,
    ...ce,
    ingestTime,
    schemaFingerprint,
    value,
  };
}
