/**
 * CRC-64-AVRO (the Rabin fingerprint of the Avro spec) of a schema's Parsing Canonical Form.
 * avsc has md5/sha256 fingerprints but not this one, which single-object encoding requires.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
  return fp & MASK;
});

export const crc64Avro = (bytes: Uint8Array): bigint => {
  let fp = EMPTY;
  for (const b of bytes) fp = ((fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!) & MASK;
  return fp;
};

/** The 8 fingerprint bytes as single-object encoding writes them: little-endian. */
export const fingerprintBytes = (canonicalForm: string): Buffer => {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm, 'utf8')));
  return buf;
};
