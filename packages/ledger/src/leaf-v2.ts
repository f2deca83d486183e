// Leaf format 0x02: the whole Kafka record.
//
// Format 0x01 commits to the CloudEvents attributes the audit service reads
// most, but not to the record key, the `ce_sequence` / `ce_partitionkey` /
// `ce_dataschema` / `content-type` / `traceparent` headers, nor to whether the
// key or value was null. Without `ce_sequence` an auditor cannot check that an
// aggregate's versions are contiguous, and anything outside the leaf could be
// changed unnoticed. Format 0x02 therefore is format 0x01 plus three fields
// that carry the rest of the record, so a leaf is a pure function of
// (origin platform, Kafka record):
//
//   byte 0            format version, 0x02
//   fields 1..15      exactly as in format 0x01 (see leaf.ts), with two extra rules:
//                     - fields 5..12 (ceId..ceCausationid) are derived from the headers:
//                       the header's UTF-8 text when it occurs exactly once and is valid
//                       UTF-8, else empty;
//                     - field 14 (schemaFingerprint) is derived from the value: bytes 2..9
//                       when the value is Avro single-object encoded (C3 01, >= 10 bytes),
//                       else eight zero bytes.
//   16 flags          length 1: bit 0 = the record key is null, bit 1 = the value is null
//   17 key            the record key bytes; empty when null
//   18 headers        u32 count, then per header u32 name length || UTF-8 name ||
//                     u32 value length || value bytes; sorted by name (bytewise),
//                     equal names in record order; a null header value is encoded empty
//
// Encoding derives fields 5..12 and 14, so a caller cannot produce a leaf in
// which they disagree with the record, and decoding rejects such leaves. As in
// 0x01, every accepted byte string has exactly one decoding.

import { LEAF_FORMAT_VERSION, LeafFormatError, decodeLeaf, encodeLeaf } from "./leaf.ts";
import type { LeafFields } from "./leaf.ts";

/** Version byte of leaves that carry the whole Kafka record. */
export const LEAF_FORMAT_VERSION_2 = 0x02;

const FLAG_KEY_NULL = 0x01;
const FLAG_VALUE_NULL = 0x02;
const FINGERPRINT_SIZE = 8;
const V1_FIELD_COUNT = 15;

/** One Kafka record header. Header names are strings; values are bytes. */
export interface LeafHeader {
  name: string;
  value: Uint8Array;
}

/** What a format-0x02 leaf is built from: the record as read from Kafka, plus where and when. */
export interface RecordLeafInput {
  originPlatform: string;
  topic: string;
  partition: number;
  /** Kafka offset as a canonical decimal string. */
  offset: string;
  /** RFC 3339; the audit service writes the Kafka record timestamp (see LEAF-FORMAT.md). */
  ingestTime: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** In any order; the encoding sorts them by name, keeping the order of equal names. */
  headers: readonly LeafHeader[];
}

/** A decoded format-0x02 leaf: the format-0x01 view plus the rest of the record. */
export interface LeafV2 extends LeafFields {
  version: typeof LEAF_FORMAT_VERSION_2;
  key: Buffer | null;
  /** True when the record value was null (a tombstone); `value` is then empty. */
  valueIsNull: boolean;
  /** Sorted by name as encoded. */
  headers: LeafHeader[];
}

/** A decoded leaf of either version. */
export type AnyLeaf = (LeafFields & { version: typeof LEAF_FORMAT_VERSION }) | LeafV2;

// CloudEvents fields of LeafFields and the Kafka headers they come from.
const CE_HEADERS = [
  ["ceId", "ce_id"],
  ["ceType", "ce_type"],
  ["ceSource", "ce_source"],
  ["ceSubject", "ce_subject"],
  ["ceTime", "ce_time"],
  ["ceSpecversion", "ce_specversion"],
  ["ceCorrelationid", "ce_correlationid"],
  ["ceCausationid", "ce_causationid"],
] as const;

type CeFields = Record<(typeof CE_HEADERS)[number][0], string>;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function sortHeaders(headers: readonly LeafHeader[], where: string): LeafHeader[] {
  const named = headers.map((h, i) => {
    if (typeof h?.name !== "string" || !h.name.isWellFormed()) {
      throw new LeafFormatError(`${where}: header ${i} has no well-formed string name`);
    }
    if (!(h.value instanceof Uint8Array)) throw new LeafFormatError(`${where}: header ${h.name} value must be bytes`);
    return { name: h.name, value: h.value, nameBytes: Buffer.from(h.name, "utf8"), i };
  });
  named.sort((a, b) => Buffer.compare(a.nameBytes, b.nameBytes) || a.i - b.i);
  return named.map(({ name, value }) => ({ name, value }));
}

/** Fields 5..12 as format 0x02 derives them from the headers. */
function cloudEventFields(headers: readonly LeafHeader[]): CeFields {
  const byName = new Map<string, Uint8Array[]>();
  for (const h of headers) {
    if (!h.name.startsWith("ce_")) continue;
    const list = byName.get(h.name);
    if (list === undefined) byName.set(h.name, [h.value]);
    else list.push(h.value);
  }
  const ce = {} as CeFields;
  for (const [field, header] of CE_HEADERS) {
    const values = byName.get(header);
    let text = "";
    if (values !== undefined && values.length === 1) {
      try {
        text = utf8.decode(values[0]);
      } catch {
        text = "";
      }
    }
    ce[field] = text;
  }
  return ce;
}

/** Field 14 as format 0x02 derives it from the value. */
function fingerprintOf(value: Uint8Array | null): Buffer {
  if (value !== null && value.length >= 2 + FINGERPRINT_SIZE && value[0] === 0xc3 && value[1] === 0x01) {
    return Buffer.from(value.subarray(2, 2 + FINGERPRINT_SIZE));
  }
  return Buffer.alloc(FINGERPRINT_SIZE);
}

function lengthPrefixed(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function encodeHeaders(sorted: readonly LeafHeader[]): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(sorted.length);
  return Buffer.concat([count, ...sorted.flatMap((h) => [lengthPrefixed(Buffer.from(h.name, "utf8")), lengthPrefixed(h.value)])]);
}

/** Encodes a Kafka record as a format-0x02 leaf. The result is what gets leaf-hashed. */
export function encodeLeafV2(input: RecordLeafInput): Buffer {
  const where = "encodeLeafV2";
  const { key, value } = input;
  if (key !== null && !(key instanceof Uint8Array)) throw new LeafFormatError(`${where}: key must be bytes or null`);
  if (value !== null && !(value instanceof Uint8Array)) throw new LeafFormatError(`${where}: value must be bytes or null`);
  if (!Array.isArray(input.headers)) throw new LeafFormatError(`${where}: headers must be an array`);
  const headers = sortHeaders(input.headers, where);
  const v1 = encodeLeaf({
    originPlatform: input.originPlatform,
    topic: input.topic,
    partition: input.partition,
    offset: input.offset,
    ...cloudEventFields(headers),
    ingestTime: input.ingestTime,
    schemaFingerprint: fingerprintOf(value),
    value: value ?? new Uint8Array(0),
  });
  v1[0] = LEAF_FORMAT_VERSION_2;
  const flags = (key === null ? FLAG_KEY_NULL : 0) | (value === null ? FLAG_VALUE_NULL : 0);
  const encodedHeaders = encodeHeaders(headers);
  if (encodedHeaders.length > 0xffffffff) throw new LeafFormatError(`${where}: headers are longer than 2^32-1 bytes`);
  return Buffer.concat([v1, lengthPrefixed(Uint8Array.of(flags)), lengthPrefixed(key ?? new Uint8Array(0)), lengthPrefixed(encodedHeaders)]);
}

class Reader {
  pos: number;
  readonly #buf: Buffer;
  constructor(buf: Buffer, pos: number) {
    this.#buf = buf;
    this.pos = pos;
  }
  get remaining(): number {
    return this.#buf.length - this.pos;
  }
  u32(what: string): number {
    if (this.remaining < 4) throw new LeafFormatError(`decodeLeafV2: truncated length prefix of ${what} at byte ${this.pos}`);
    const n = this.#buf.readUInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  /** A view of the next n bytes (not a copy). */
  view(n: number, what: string): Buffer {
    if (this.remaining < n) {
      throw new LeafFormatError(`decodeLeafV2: ${what} at byte ${this.pos} declares ${n} bytes but only ${this.remaining} remain`);
    }
    const out = this.#buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  field(what: string): Buffer {
    return this.view(this.u32(what), what);
  }
}

/**
 * Decodes a format-0x02 leaf. Strict like decodeLeaf, and additionally
 * rejects leaves whose CloudEvents fields or fingerprint disagree with the
 * headers and value they must be derived from, unsorted headers, unknown
 * flag bits, and null keys or values that carry bytes.
 */
export function decodeLeafV2(buf: Uint8Array): LeafV2 {
  if (!(buf instanceof Uint8Array)) throw new LeafFormatError("decodeLeafV2: input must be bytes");
  if (buf.length === 0) throw new LeafFormatError("decodeLeafV2: empty input, expected a version byte");
  if (buf[0] !== LEAF_FORMAT_VERSION_2) {
    throw new LeafFormatError(
      `decodeLeafV2: unsupported leaf format version 0x${(buf[0] as number).toString(16).padStart(2, "0")}, expected 0x02`,
    );
  }
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const r = new Reader(view, 1);
  for (let i = 1; i <= V1_FIELD_COUNT; i++) r.field(`field ${i}`);
  // Fields 1..15 are format 0x01 byte for byte: let its decoder check them.
  const v1Bytes = Buffer.allocUnsafe(r.pos);
  view.copy(v1Bytes, 0, 0, r.pos);
  v1Bytes[0] = LEAF_FORMAT_VERSION;
  const v1 = decodeLeaf(v1Bytes);

  const flagBytes = r.field("flags");
  if (flagBytes.length !== 1) throw new LeafFormatError(`decodeLeafV2: flags must be 1 byte, got ${flagBytes.length}`);
  const flags = flagBytes[0] as number;
  if ((flags & ~(FLAG_KEY_NULL | FLAG_VALUE_NULL)) !== 0) {
    throw new LeafFormatError(`decodeLeafV2: unknown flag bits 0x${flags.toString(16).padStart(2, "0")}`);
  }
  const keyBytes = r.field("key");
  const keyIsNull = (flags & FLAG_KEY_NULL) !== 0;
  const valueIsNull = (flags & FLAG_VALUE_NULL) !== 0;
  if (keyIsNull && keyBytes.length > 0) throw new LeafFormatError("decodeLeafV2: a null key must be empty");
  if (valueIsNull && v1.value.length > 0) throw new LeafFormatError("decodeLeafV2: a null value must be empty");

  const h = new Reader(r.field("headers"), 0);
  const count = h.u32("header count");
  const headers: LeafHeader[] = [];
  let previous: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const nameBytes = h.field(`header ${i} name`);
    let name: string;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      throw new LeafFormatError(`decodeLeafV2: header ${i} name is not valid UTF-8`);
    }
    if (previous !== undefined && Buffer.compare(previous, nameBytes) > 0) {
      throw new LeafFormatError(`decodeLeafV2: headers are not sorted by name at header ${i} (${JSON.stringify(name)})`);
    }
    previous = nameBytes;
    headers.push({ name, value: Buffer.from(h.field(`header ${i} value`)) });
  }
  if (h.remaining !== 0) throw new LeafFormatError(`decodeLeafV2: ${h.remaining} trailing bytes after the last header`);
  if (r.remaining !== 0) throw new LeafFormatError(`decodeLeafV2: ${r.remaining} trailing bytes after the last field`);

  const ce = cloudEventFields(headers);
  for (const [field, header] of CE_HEADERS) {
    if (v1[field] !== ce[field]) {
      throw new LeafFormatError(`decodeLeafV2: ${field} ${JSON.stringify(v1[field])} does not match the ${header} header`);
    }
  }
  if (!fingerprintOf(valueIsNull ? null : v1.value).equals(v1.schemaFingerprint)) {
    throw new LeafFormatError("decodeLeafV2: schemaFingerprint does not match the value");
  }
  return { ...v1, version: LEAF_FORMAT_VERSION_2, key: keyIsNull ? null : Buffer.from(keyBytes), valueIsNull, headers };
}

/** Decodes a leaf of any known version, refusing unknown ones. */
export function decodeAnyLeaf(buf: Uint8Array): AnyLeaf {
  if (buf instanceof Uint8Array && buf[0] === LEAF_FORMAT_VERSION_2) return decodeLeafV2(buf);
  return { ...decodeLeaf(buf), version: LEAF_FORMAT_VERSION };
}

/** The header values named `name`, in record order, as UTF-8 text (undefined when not valid UTF-8). */
export function leafHeaderText(leaf: { headers: readonly LeafHeader[] }, name: string): (string | undefined)[] {
  return leaf.headers
    .filter((h) => h.name === name)
    .map((h) => {
      try {
        return utf8.decode(h.value);
      } catch {
        return undefined;
      }
    });
}
