import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LEAF_FORMAT_VERSION, LeafFormatError, decodeLeaf, encodeLeaf } from "./leaf.ts";
import type { LeafFields } from "./leaf.ts";
import { leafHash } from "./merkle.ts";

// The worked example of LEAF-FORMAT.md; keep both in sync.
const EXAMPLE: LeafFields = {
  originPlatform: "tax",
  topic: "tax.person.v1",
  partition: 3,
  offset: "42",
  ceId: "7b0c",
  ceType: "gov.tax.PersonRegistered",
  ceSource: "/tax",
  ceSubject: "",
  ceTime: "2025-01-02T03:04:05Z",
  ceSpecversion: "1.0",
  ceCorrelationid: "",
  ceCausationid: "",
  ingestTime: "2025-01-02T03:04:06.123Z",
  schemaFingerprint: Buffer.from("0102030405060708", "hex"),
  value: Buffer.from("0002cafe", "hex"),
};
const EXAMPLE_HEX =
  "01000000037461780000000d7461782e706572736f6e2e76310000000400000003000000023432000000043762306300" +
  "000018676f762e7461782e506572736f6e52656769737465726564000000042f7461780000000000000014323032352d" +
  "30312d30325430333a30343a30355a00000003312e30000000000000000000000018323032352d30312d30325430333a" +
  "30343a30362e3132335a000000080102030405060708000000040002cafe";
const EXAMPLE_LEAF_HASH = "dca71020eff9e4e2f178a3643f2fda127aef8e375100519597a7e1db9cd2d090";

const rejects = (fn: () => unknown, pattern: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof LeafFormatError && pattern.test(err.message));

/** Builds a leaf by hand, field by field, to craft malformed inputs. */
function rawLeaf(fields: Uint8Array[], version = LEAF_FORMAT_VERSION): Buffer {
  const parts: Uint8Array[] = [Uint8Array.of(version)];
  for (const f of fields) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(f.length);
    parts.push(len, f);
  }
  return Buffer.concat(parts);
}

function exampleFields(): Uint8Array[] {
  const s = (x: string): Buffer => Buffer.from(x, "utf8");
  const partition = Buffer.alloc(4);
  partition.writeUInt32BE(EXAMPLE.partition);
  return [
    s(EXAMPLE.originPlatform),
    s(EXAMPLE.topic),
    partition,
    s(EXAMPLE.offset),
    s(EXAMPLE.ceId),
    s(EXAMPLE.ceType),
    s(EXAMPLE.ceSource),
    s(EXAMPLE.ceSubject),
    s(EXAMPLE.ceTime),
    s(EXAMPLE.ceSpecversion),
    s(EXAMPLE.ceCorrelationid),
    s(EXAMPLE.ceCausationid),
    s(EXAMPLE.ingestTime),
    EXAMPLE.schemaFingerprint,
    EXAMPLE.value,
  ];
}

function replaceField(index: number, bytes: Uint8Array): Buffer {
  const fields = exampleFields();
  fields[index] = bytes;
  return rawLeaf(fields);
}

const fieldsArb: fc.Arbitrary<LeafFields> = fc.record({
  originPlatform: fc.string({ unit: "binary" }),
  topic: fc.string(),
  partition: fc.integer({ min: 0, max: 0x7fffffff }),
  offset: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map(String),
  ceId: fc.uuid(),
  ceType: fc.string(),
  ceSource: fc.string({ unit: "grapheme" }),
  ceSubject: fc.string({ unit: "binary" }),
  ceTime: fc.oneof(fc.constant(""), fc.string()),
  ceSpecversion: fc.constantFrom("1.0", ""),
  ceCorrelationid: fc.string(),
  ceCausationid: fc.string({ unit: "binary" }),
  ingestTime: fc
    .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  schemaFingerprint: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
  value: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
});

describe("leaf: canonical encoding", () => {
  it("encodes the documented example byte for byte", () => {
    const bytes = encodeLeaf(EXAMPLE);
    assert.equal(bytes.toString("hex"), EXAMPLE_HEX);
    assert.equal(leafHash(bytes).toString("hex"), EXAMPLE_LEAF_HASH);
    assert.deepEqual(bytes, rawLeaf(exampleFields()));
  });

  it("decodes the documented example", () => {
    const decoded = decodeLeaf(Buffer.from(EXAMPLE_HEX, "hex"));
    assert.deepEqual(decoded, EXAMPLE);
  });

  it("round-trips arbitrary fields", () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const bytes = encodeLeaf(fields);
        assert.deepEqual(decodeLeaf(bytes), { ...fields }); // fc.record objects have a null prototype
        assert.deepEqual(encodeLeaf(decodeLeaf(bytes)), bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a leading byte-order mark and other odd but valid text", () => {
    const fields = { ...EXAMPLE, ceSubject: "\uFEFFsubject", ceId: "\u0000\u{1F600}", topic: "" };
    assert.deepEqual(decodeLeaf(encodeLeaf(fields)), fields);
  });

  it("returns copies, not views of the input", () => {
    const bytes = encodeLeaf(EXAMPLE);
    const decoded = decodeLeaf(bytes);
    bytes.fill(0xff);
    assert.deepEqual(decoded.value, EXAMPLE.value);
  });

  it("decodes from a Uint8Array view into a larger buffer", () => {
    const bytes = encodeLeaf(EXAMPLE);
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    assert.deepEqual(decodeLeaf(big.subarray(5, 5 + bytes.length)), EXAMPLE);
  });

  it("distinguishes field boundaries (no concatenation ambiguity)", () => {
    const a = encodeLeaf({ ...EXAMPLE, originPlatform: "ab", topic: "c" });
    const b = encodeLeaf({ ...EXAMPLE, originPlatform: "a", topic: "bc" });
    assert.notDeepEqual(leafHash(a), leafHash(b));
  });
});

describe("leaf: strict decoding", () => {
  const good = Buffer.from(EXAMPLE_HEX, "hex");

  it("rejects empty input and unknown versions", () => {
    rejects(() => decodeLeaf(Buffer.alloc(0)), /empty input/);
    rejects(() => decodeLeaf(Buffer.from([0x02, ...good.subarray(1)])), /unsupported leaf format version 0x02/);
    rejects(() => decodeLeaf(Buffer.from([0x00, ...good.subarray(1)])), /unsupported leaf format version 0x00/);
  });

  it("rejects every truncation", () => {
    for (let len = 1; len < good.length; len++) {
      rejects(() => decodeLeaf(good.subarray(0, len)), /truncated length prefix|declares \d+ bytes but only \d+ remain/);
    }
  });

  it("rejects trailing bytes", () => {
    rejects(() => decodeLeaf(Buffer.concat([good, Buffer.from([0])])), /1 trailing bytes/);
    rejects(() => decodeLeaf(Buffer.concat([good, Buffer.alloc(4)])), /4 trailing bytes/);
  });

  it("rejects a length prefix running past the end", () => {
    const bad = Buffer.from(good);
    bad.writeUInt32BE(0xffffffff, 1);
    rejects(() => decodeLeaf(bad), /originPlatform at byte 1 declares 4294967295 bytes/);
  });

  it("rejects fixed-size fields of the wrong size", () => {
    rejects(() => decodeLeaf(replaceField(2, Buffer.alloc(3))), /partition must be 4 bytes, got 3/);
    rejects(() => decodeLeaf(replaceField(2, Buffer.alloc(8))), /partition must be 4 bytes, got 8/);
    rejects(() => decodeLeaf(replaceField(2, Buffer.from("80000000", "hex"))), /partition 2147483648 exceeds/);
    rejects(() => decodeLeaf(replaceField(13, Buffer.alloc(7))), /schemaFingerprint must be 8 bytes, got 7/);
    rejects(() => decodeLeaf(replaceField(13, Buffer.alloc(0))), /schemaFingerprint must be 8 bytes, got 0/);
  });

  it("rejects invalid UTF-8", () => {
    rejects(() => decodeLeaf(replaceField(0, Buffer.from([0xc3]))), /originPlatform is not valid UTF-8/);
    rejects(() => decodeLeaf(replaceField(5, Buffer.from([0xed, 0xa0, 0x80]))), /ceType is not valid UTF-8/); // encoded surrogate
    rejects(() => decodeLeaf(replaceField(11, Buffer.from([0xff]))), /ceCausationid is not valid UTF-8/);
  });

  it("rejects non-canonical offsets and bad ingest times", () => {
    for (const offset of ["", "01", "-1", "+1", "1.0", " 1", "9223372036854775808", "１"]) {
      rejects(() => decodeLeaf(replaceField(3, Buffer.from(offset, "utf8"))), /offset must be a decimal int64/);
    }
    assert.equal(decodeLeaf(replaceField(3, Buffer.from("9223372036854775807"))).offset, "9223372036854775807");
    for (const t of ["", "2025-01-02", "2025-01-02 03:04:05Z", "2025-13-02T03:04:05Z", "2025-01-02T03:04:05", "yesterday"]) {
      rejects(() => decodeLeaf(replaceField(12, Buffer.from(t, "utf8"))), /ingestTime must be an RFC 3339 date-time/);
    }
  });

  it("either rejects random bytes or decodes them to a value that re-encodes identically", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let decoded: LeafFields;
        try {
          decoded = decodeLeaf(bytes);
        } catch (err) {
          assert.ok(err instanceof LeafFormatError, String(err));
          return;
        }
        assert.deepEqual(encodeLeaf(decoded), Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it("either rejects single-byte corruptions of a valid leaf or decodes them canonically", () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (pos, delta) => {
        const bad = Buffer.from(good);
        bad[pos] = ((bad[pos] as number) + delta) % 256;
        try {
          assert.deepEqual(encodeLeaf(decodeLeaf(bad)), bad);
        } catch (err) {
          if (!(err instanceof LeafFormatError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("leaf: encoder validation", () => {
  it("rejects out-of-range partitions", () => {
    for (const partition of [-1, 0x80000000, 1.5, Number.NaN]) {
      rejects(() => encodeLeaf({ ...EXAMPLE, partition }), /partition must be an integer/);
    }
  });

  it("rejects non-canonical offsets", () => {
    for (const offset of ["", "007", "-3", "1e3", "9223372036854775808"]) {
      rejects(() => encodeLeaf({ ...EXAMPLE, offset }), /offset must be a decimal int64/);
    }
  });

  it("rejects lone surrogates that UTF-8 cannot carry", () => {
    rejects(() => encodeLeaf({ ...EXAMPLE, ceSubject: "a\uD800b" }), /ceSubject is not well-formed Unicode/);
  });

  it("rejects a bad fingerprint, value or ingest time", () => {
    rejects(() => encodeLeaf({ ...EXAMPLE, schemaFingerprint: new Uint8Array(9) }), /schemaFingerprint must be 8 bytes/);
    rejects(() => encodeLeaf({ ...EXAMPLE, value: "not bytes" as unknown as Uint8Array }), /value must be bytes/);
    rejects(() => encodeLeaf({ ...EXAMPLE, ingestTime: "2025-01-02T03:04:05" }), /ingestTime must be an RFC 3339/);
  });

  it("accepts RFC 3339 offsets and fractional seconds", () => {
    for (const ingestTime of ["2025-01-02T03:04:05+01:00", "2025-01-02t03:04:05.123456789z", "1990-12-31T23:59:60Z"]) {
      assert.equal(decodeLeaf(encodeLeaf({ ...EXAMPLE, ingestTime })).ingestTime, ingestTime);
    }
  });
});
