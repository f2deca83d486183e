import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LeafFormatError, encodeLeaf } from "./leaf.ts";
import { LEAF_FORMAT_VERSION_2, decodeAnyLeaf, decodeLeafV2, encodeLeafV2, leafHeaderText } from "./leaf-v2.ts";
import type { RecordLeafInput } from "./leaf-v2.ts";
import { leafHash } from "./merkle.ts";

const s = (x: string): Buffer => Buffer.from(x, "utf8");

// The worked example of LEAF-FORMAT.md, version 0x02; keep both in sync.
const EXAMPLE: RecordLeafInput = {
  originPlatform: "tax",
  topic: "tax.person.events",
  partition: 1,
  offset: "7",
  ingestTime: "2025-01-02T03:04:06.123Z",
  key: s("p-1"),
  value: Buffer.from("c3010102030405060708cafe", "hex"),
  headers: [
    { name: "ce_type", value: s("gov.tax.PersonRegistered") },
    { name: "ce_id", value: s("7b0c") },
    { name: "ce_sequence", value: s("1") },
    { name: "ce_source", value: s("/tax") },
    { name: "ce_specversion", value: s("1.0") },
  ],
};
const EXAMPLE_HEX =
  "0200000003746178000000117461782e706572736f6e2e6576656e747300000004000000010000000137000000043762" +
  "306300000018676f762e7461782e506572736f6e52656769737465726564000000042f74617800000000000000000000" +
  "0003312e30000000000000000000000018323032352d30312d30325430333a30343a30362e3132335a00000008010203" +
  "04050607080000000cc3010102030405060708cafe000000010000000003702d310000007e000000050000000563655f" +
  "696400000004376230630000000b63655f73657175656e636500000001310000000963655f736f75726365000000042f" +
  "7461780000000e63655f7370656376657273696f6e00000003312e300000000763655f7479706500000018676f762e74" +
  "61782e506572736f6e52656769737465726564";
const EXAMPLE_LEAF_HASH = "1c514d19234240309734ac77ae44a35d2218574b959e73503a52a6d2777608d8";

const rejects = (fn: () => unknown, pattern: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof LeafFormatError && pattern.test(err.message));

/** Splits a v2 leaf into its 18 raw fields. */
function fieldsOf(leaf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 1;
  while (pos < leaf.length) {
    const len = leaf.readUInt32BE(pos);
    out.push(leaf.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return out;
}

function assemble(fields: Uint8Array[], version = LEAF_FORMAT_VERSION_2): Buffer {
  return Buffer.concat([
    Uint8Array.of(version),
    ...fields.flatMap((f) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(f.length);
      return [len, f];
    }),
  ]);
}

function withField(index: number, bytes: Uint8Array): Buffer {
  const fields = fieldsOf(encodeLeafV2(EXAMPLE));
  fields[index] = Buffer.from(bytes);
  return assemble(fields);
}

const headerArb = fc.record({
  name: fc.oneof(fc.constantFrom("ce_id", "ce_type", "ce_source", "ce_sequence", "traceparent", "content-type"), fc.string()),
  value: fc.uint8Array({ maxLength: 24 }),
});
const inputArb: fc.Arbitrary<RecordLeafInput> = fc.record({
  originPlatform: fc.string(),
  topic: fc.string(),
  partition: fc.integer({ min: 0, max: 0x7fffffff }),
  offset: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map(String),
  ingestTime: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  key: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }),
  value: fc.option(
    fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 8, maxLength: 30 }).map((b) => Uint8Array.from([0xc3, 0x01, ...b]))),
    { nil: null },
  ),
  headers: fc.array(headerArb, { maxLength: 6 }),
});

describe("leaf format 0x02", () => {
  it("encodes the LEAF-FORMAT.md worked example byte for byte, with its leaf hash", () => {
    const leaf = encodeLeafV2(EXAMPLE);
    assert.equal(leaf.toString("hex"), EXAMPLE_HEX);
    assert.equal(leafHash(leaf).toString("hex"), EXAMPLE_LEAF_HASH);
  });

  it("derives the CloudEvents fields and the fingerprint from the record", () => {
    const d = decodeLeafV2(encodeLeafV2(EXAMPLE));
    assert.equal(d.version, 2);
    assert.equal(d.ceId, "7b0c");
    assert.equal(d.ceType, "gov.tax.PersonRegistered");
    assert.equal(d.ceSubject, "", "an absent header is an empty field");
    assert.equal(Buffer.from(d.schemaFingerprint).toString("hex"), "0102030405060708");
    assert.deepEqual(d.key, s("p-1"));
    assert.deepEqual(
      d.headers.map((h) => h.name),
      ["ce_id", "ce_sequence", "ce_source", "ce_specversion", "ce_type"],
      "headers are sorted by name",
    );
    assert.deepEqual(leafHeaderText(d, "ce_sequence"), ["1"]);
  });

  it("commits to what version 0x01 leaves out: key, ce_sequence, and null key or value", () => {
    const base = leafHash(encodeLeafV2(EXAMPLE)).toString("hex");
    const variants: RecordLeafInput[] = [
      { ...EXAMPLE, key: s("p-2") },
      { ...EXAMPLE, key: null },
      { ...EXAMPLE, key: new Uint8Array(0) },
      { ...EXAMPLE, headers: EXAMPLE.headers.map((h) => (h.name === "ce_sequence" ? { ...h, value: s("2") } : h)) },
      { ...EXAMPLE, headers: [...EXAMPLE.headers, { name: "traceparent", value: s("00-ab-cd-01") }] },
      { ...EXAMPLE, value: null },
      { ...EXAMPLE, value: new Uint8Array(0) },
    ];
    const hashes = new Set(variants.map((v) => leafHash(encodeLeafV2(v)).toString("hex")));
    assert.equal(hashes.size, variants.length);
    assert.ok(!hashes.has(base));
  });

  it("keeps headers with equal names in record order, and a duplicated ce_ header leaves its field empty", () => {
    const twice = encodeLeafV2({ ...EXAMPLE, headers: [...EXAMPLE.headers, { name: "ce_id", value: s("second") }] });
    const d = decodeLeafV2(twice);
    assert.equal(d.ceId, "");
    assert.deepEqual(leafHeaderText(d, "ce_id"), ["7b0c", "second"]);
    const nonUtf8 = decodeLeafV2(encodeLeafV2({ ...EXAMPLE, headers: [{ name: "ce_type", value: Uint8Array.of(0xff) }] }));
    assert.equal(nonUtf8.ceType, "");
    assert.deepEqual(leafHeaderText(nonUtf8, "ce_type"), [undefined]);
  });

  it("a non-Avro value gets the all-zero fingerprint", () => {
    const d = decodeLeafV2(encodeLeafV2({ ...EXAMPLE, value: s('{"not":"avro"}') }));
    assert.equal(Buffer.from(d.schemaFingerprint).toString("hex"), "0000000000000000");
  });

  it("round-trips and re-encodes to the same bytes (property)", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const leaf = encodeLeafV2(input);
        const d = decodeLeafV2(leaf);
        const again = encodeLeafV2({ ...d, key: d.key, value: d.valueIsNull ? null : d.value, headers: d.headers });
        assert.ok(again.equals(leaf));
      }),
    );
  });

  it("rejects CloudEvents fields or a fingerprint that disagree with the record", () => {
    rejects(() => decodeLeafV2(withField(4, s("forged"))), /ceId .* does not match the ce_id header/);
    rejects(() => decodeLeafV2(withField(13, Buffer.alloc(8))), /schemaFingerprint does not match/);
  });

  it("rejects unknown flags, bytes behind a null key or value, unsorted headers and trailing bytes", () => {
    rejects(() => decodeLeafV2(withField(15, Uint8Array.of(0x04))), /unknown flag bits 0x04/);
    rejects(() => decodeLeafV2(withField(15, Uint8Array.of(0x01))), /a null key must be empty/);
    rejects(() => decodeLeafV2(withField(15, Uint8Array.of(0x02))), /a null value must be empty/);
    rejects(() => decodeLeafV2(withField(15, Uint8Array.of(0x00, 0x00))), /flags must be 1 byte/);
    const headers = fieldsOf(encodeLeafV2(EXAMPLE))[17] as Buffer;
    // Swap the first two headers (ce_id, ce_sequence) by re-encoding them in the wrong order.
    const h = (name: string, value: string) => {
      const n = s(name);
      const v = s(value);
      const b = Buffer.alloc(8 + n.length + v.length);
      b.writeUInt32BE(n.length, 0);
      n.copy(b, 4);
      b.writeUInt32BE(v.length, 4 + n.length);
      v.copy(b, 8 + n.length);
      return b;
    };
    const count = Buffer.alloc(4);
    count.writeUInt32BE(2);
    rejects(() => decodeLeafV2(withField(17, Buffer.concat([count, h("ce_sequence", "1"), h("ce_id", "7b0c")]))), /not sorted by name/);
    rejects(() => decodeLeafV2(withField(17, Buffer.concat([headers, Uint8Array.of(0)]))), /trailing bytes after the last header/);
    rejects(() => decodeLeafV2(Buffer.concat([encodeLeafV2(EXAMPLE), Uint8Array.of(0)])), /truncated length prefix|trailing bytes/);
    rejects(() => decodeLeafV2(encodeLeafV2(EXAMPLE).subarray(0, 200)), /declares|truncated/);
  });

  it("decodeAnyLeaf reads both versions and refuses others", () => {
    const v1 = encodeLeaf({
      ...decodeLeafV2(encodeLeafV2(EXAMPLE)),
    });
    assert.equal(decodeAnyLeaf(v1).version, 1);
    assert.equal(decodeAnyLeaf(encodeLeafV2(EXAMPLE)).version, 2);
    rejects(() => decodeAnyLeaf(Uint8Array.of(0x03)), /unsupported leaf format version 0x03/);
    rejects(() => decodeLeafV2(v1), /expected 0x02/);
  });
});
