import { encodeSingleObject } from '@govmesh/backbone';
import { pushValue, type PushSchema } from './push-schema.ts';

/**
 * Batch push (DLV-02), the rules without I/O: which records a push sends from its checkpoint, what
 * each Kafka record holds, and what a push that stopped between its send and its checkpoint
 * commit has delivered.
 *
 * A share's push walks its dataset in change order (`seq`, which every change of a record moves
 * forward), so "everything after the checkpoint" is every record version not yet pushed. The
 * first push sends the live records; a deletion is sent only if it came after the push began
 * (`baseVersion`): a record deleted before then was never delivered.
 */
export const PUSH_HEADERS = {
  shareId: 'govmesh-share-id',
  datasetVersion: 'govmesh-dataset-version',
  /** The record key, masked as its item is (absent when the key item is not approved). */
  recordKey: 'govmesh-record-key',
  /** upsert or delete. */
  op: 'govmesh-op',
  /** The record version's place in the share's push: strictly increasing on the topic. */
  seq: 'govmesh-seq',
} as const;

export interface PushRow {
  seq: string;
  key: string;
  /** null: a deletion (tombstone). */
  data: Record<string, unknown> | null;
  changedVersion: number;
}

export interface PushMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * One stored record version as the Kafka record the share's requester receives, or null when
 * nothing may be said of it (a deletion whose key is not approved or is withheld: it cannot name
 * its record). `copy` is the one delivered copy (delivered-copy.ts); `keyCopy` the same for the
 * key item alone, null when the key item is not approved. The Kafka key is the share id: one
 * partition per share, so the recipient reads its records in `seq` order and a stopped push finds
 * its last records at the end of that partition.
 */
export const pushMessage = (
  row: PushRow,
  ctx: { shareId: string; keyItem: string; schema: PushSchema; copy: (r: Record<string, unknown>) => Record<string, unknown>; keyCopy: ((r: Record<string, unknown>) => Record<string, unknown>) | null },
): PushMessage | null => {
  const maskedKey = ctx.keyCopy === null ? null : (ctx.keyCopy({ [ctx.keyItem]: row.key })[ctx.keyItem] ?? null);
  const headers: Record<string, string> = {
    [PUSH_HEADERS.shareId]: ctx.shareId,
    [PUSH_HEADERS.datasetVersion]: String(row.changedVersion),
    [PUSH_HEADERS.op]: row.data === null ? 'delete' : 'upsert',
    [PUSH_HEADERS.seq]: row.seq,
  };
  if (maskedKey !== null) headers[PUSH_HEADERS.recordKey] = String(maskedKey);
  if (row.data === null) {
    if (maskedKey === null) return null;
    // A deletion: the schema's record with only the (masked) key item set.
    return { key: ctx.shareId, value: encodeSingleObject(ctx.schema.entry, pushValue(ctx.schema, { [ctx.keyItem]: maskedKey })), headers };
  }
  return { key: ctx.shareId, value: encodeSingleObject(ctx.schema.entry, pushValue(ctx.schema, ctx.copy(row.data))), headers };
};

/** The id of a pushed record on its topic (what the tail read after a stop looks for): its seq, for its share. */
export const pushedId = (shareId: string) => (headers: Record<string, string>): string | undefined => (headers[PUSH_HEADERS.shareId] === shareId ? headers[PUSH_HEADERS.seq] : undefined);

/**
 * After a push stopped between marking a batch (`through`, the last record version it covered;
 * `sent`, the seqs of the records it sent, in order) and committing its checkpoint: which seqs are
 * on the topic (`found`) decides how far the checkpoint moves. All sent: to `through`. Otherwise
 * to just before the first one missing, so the next batch sends it and what follows: a batch goes
 * to one partition in one request of the idempotent producer, so what arrived is a prefix. A seq
 * found after a missing one would break that guarantee (and be sent again): it is returned, to be
 * reported.
 */
export const confirmBatch = (through: bigint, sent: readonly bigint[], found: ReadonlySet<string>): { pushedThrough: bigint; arrived: number; outOfOrder: bigint[] } => {
  const missing = sent.findIndex((s) => !found.has(s.toString()));
  if (missing === -1) return { pushedThrough: through, arrived: sent.length, outOfOrder: [] };
  return { pushedThrough: sent[missing]! - 1n, arrived: missing, outOfOrder: sent.slice(missing).filter((s) => found.has(s.toString())) };
};
