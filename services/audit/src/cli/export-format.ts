import { createReadStream } from 'node:fs';
import { HASH_SIZE } from '@govmesh/ledger';

/**
 * The ledger export: a folder an auditor verifies with nothing but the verifier (no network, no
 * database). Everything it needs is in the folder:
 *
 *   manifest.json       origin, platform, tree size, partitions with their log start and next offsets,
 *                       the SHA-256 of every other file
 *   log.vkey            the log's public key (C2SP signed-note vkey)
 *   witnesses.vkeys     witness cosigner vkeys, one per line (may be empty)
 *   checkpoints.jsonl   {"size", "note"} per signed checkpoint, ascending; notes carry cosignatures
 *   consistency.jsonl   {"from", "to", "hashes"}: RFC 9162 consistency proofs between successive checkpoints
 *   entries.bin         per entry, in ledger order: u32 big-endian leaf length, the leaf
 *                       (packages/ledger/LEAF-FORMAT.md), the 32-byte chain hash recorded at ingest
 *   seen-again.jsonl    re-sent records not ledgered again: {"topic","partition","offset","ceId","firstIndex","atSize","leaf"}
 *   late.jsonl          {"index"} of entries the ingest flagged as appended late
 *   schemas/            the .avsc contracts, as the service had them
 *
 * Only entries a checkpoint covers are exported (the export stops at the latest checkpoint), so
 * everything in it is under a signature. Binary entries keep the verifier fast (no JSON or base64
 * per entry); the chain hash lets it name the one entry that changed.
 */
export const EXPORT_FORMAT = 'govmesh-ledger-export/v1';

export const FILES = {
  manifest: 'manifest.json',
  vkey: 'log.vkey',
  witnesses: 'witnesses.vkeys',
  checkpoints: 'checkpoints.jsonl',
  consistency: 'consistency.jsonl',
  entries: 'entries.bin',
  seenAgain: 'seen-again.jsonl',
  late: 'late.jsonl',
  schemas: 'schemas',
} as const;

export interface Manifest {
  format: typeof EXPORT_FORMAT;
  origin: string;
  platform: string;
  treeSize: number;
  exportedAt: string;
  /** Every partition the ledger reads: its log start, and the next offset it expects as of treeSize. */
  partitions: { topic: string; partition: number; logStart: string; nextOffset: string }[];
  /** SHA-256 (hex) of every file but the manifest, by path relative to the folder. */
  files: Record<string, string>;
}

export interface CheckpointLine {
  size: number;
  note: string;
}

export interface ConsistencyLine {
  from: number;
  to: number;
  hashes: string[];
}

export interface SeenAgainLine {
  topic: string;
  partition: number;
  offset: string;
  ceId: string;
  firstIndex: number;
  atSize: number;
  leaf: string;
}

/** One record of entries.bin. */
export const encodeEntry = (leaf: Buffer, chainHash: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(leaf.length);
  return Buffer.concat([len, leaf, chainHash]);
};

/** Streams entries.bin; a truncated file ends with an error naming the entry. */
export async function* readEntries(file: string): AsyncGenerator<{ index: number; leaf: Buffer; chainHash: Buffer }> {
  let buf: Buffer = Buffer.alloc(0);
  let index = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    buf = buf.length === 0 ? (chunk as Buffer) : Buffer.concat([buf, chunk as Buffer]);
    let pos = 0;
    while (buf.length - pos >= 4) {
      const len = buf.readUInt32BE(pos);
      if (buf.length - pos < 4 + len + HASH_SIZE) break;
      yield { index, leaf: buf.subarray(pos + 4, pos + 4 + len), chainHash: buf.subarray(pos + 4 + len, pos + 4 + len + HASH_SIZE) };
      index += 1;
      pos += 4 + len + HASH_SIZE;
    }
    buf = buf.subarray(pos);
  }
  if (buf.length > 0) throw new Error(`${file}: entry ${index} is cut short (${buf.length} bytes left)`);
}
