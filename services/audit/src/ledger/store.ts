import { raiseEvent, type Database, type SchemaRegistry, type Tx } from '@govmesh/backbone';
import { HASH_SIZE } from '@govmesh/ledger';
import type { StoredNode } from '../domain/tree.ts';

/**
 * SQL for the ledger tables (see migrations.ts). Every write of a batch happens in one
 * transaction: entries, the frontier on its last entry, completed tree nodes, duplicates and the
 * partition watermarks, so a crash leaves either all of a batch or none of it.
 */
export interface EntryInsert {
  idx: number;
  leaf: Buffer;
  leafHash: Buffer;
  prevHash: Buffer;
  chainHash: Buffer;
  topic: string;
  partition: number;
  offset: bigint;
  mergeKey: number;
  ceId: string;
  ceType: string;
  ceSubject: string;
  ceCorrelationid: string;
  ceTime: string;
  problem: string | null;
  late: boolean;
  gapBefore: bigint | null;
  frontier: Buffer | null;
}

export interface SeenAgainInsert {
  topic: string;
  partition: number;
  offset: bigint;
  ceId: string;
  firstIdx: number;
  atSize: number;
  mergeKey: number;
  leaf: Buffer;
}

export interface PartitionRow {
  topic: string;
  partition: number;
  logStart: bigint;
  nextOffset: bigint;
  lastKey: number | null;
}

export interface EntryRow {
  idx: number;
  leaf: Buffer;
  leafHash: Buffer;
  chainHash: Buffer;
  topic: string;
  partition: number;
  offset: string;
  ceId: string;
  ceType: string;
  ceSubject: string;
  ceCorrelationid: string;
  ceTime: string;
  problem: string | null;
  late: boolean;
  ledgeredAt: Date;
}

export interface CheckpointRow {
  size: number;
  rootHash: Buffer;
  note: string;
  issuedAt: Date;
}

export interface CosignatureRow {
  size: number;
  keyName: string;
  keyHash: number;
  signature: Buffer;
}

export interface SeenAgainRow {
  topic: string;
  partition: number;
  offset: string;
  ceId: string;
  firstIdx: number;
  atSize: number;
  leaf: Buffer;
}

const ENTRY_COLUMNS = `idx, leaf, leaf_hash as "leafHash", chain_hash as "chainHash", topic, partition, "offset"::text as "offset", ce_id as "ceId", ce_type as "ceType",
  ce_subject as "ceSubject", ce_correlationid as "ceCorrelationid", ce_time as "ceTime", problem, late, ledgered_at as "ledgeredAt"`;

const num = (v: unknown): number => Number(v);
const INSERT_ROWS = 1000;
const ENTRY_PLACEHOLDERS = Array.from({ length: 18 }, (_, i) => i + 1);
/** Timestamps arrive as strings through the raw query path. */
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

/**
 * The index columns as PostgreSQL text can hold them: a NUL (which a hostile record can carry in a
 * CloudEvents header) becomes U+FFFD. The leaf keeps the exact bytes; such a record is flagged
 * undecodable by readEvent. Without this one record stopped the ledger for good (issue 13).
 */
const pgText = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

export class LedgerStore {
  readonly db: Database;
  readonly schema: string;

  constructor(db: Database, schema: string) {
    this.db = db;
    this.schema = schema;
  }

  /** The last entry and its frontier, the tree nodes and the last partial tile, from one snapshot. */
  async loadHead(tileWidth: number): Promise<{ size: number; frontier: Buffer[]; chainHash: Buffer; last: { mergeKey: number; topic: string; partition: number; offset: bigint } | undefined; nodes: StoredNode[]; partialTile: Buffer[] }> {
    const s = this.schema;
    return this.db.transaction(async (tx) => {
      // A concurrent append must not slip in between the reads.
      await tx.query('set transaction isolation level repeatable read');
      const [last] = await tx.query<{ idx: string; frontier: Buffer | null; chain_hash: Buffer; merge_key: string; topic: string; partition: number; offset: string }>(
        `select idx, frontier, chain_hash, merge_key, topic, partition, "offset" from ${s}.entries order by idx desc limit 1`,
      );
      const nodes = (await tx.query<{ level: number; idx: string; hash: Buffer }>(`select level, idx, hash from ${s}.tree_nodes order by level, idx`)).map((n) => ({ level: n.level, index: num(n.idx), hash: n.hash }));
      if (last === undefined) return { size: 0, frontier: [], chainHash: Buffer.alloc(HASH_SIZE), last: undefined, nodes, partialTile: [] };
      if (last.frontier === null) throw new Error(`ledger ${s}: the last entry ${last.idx} carries no frontier (a batch was cut short?)`);
      const size = num(last.idx) + 1;
      // A removed row leaves the indices with a hole; cheap to see here (an index-only count).
      const [count] = await tx.query<{ n: string }>(`select count(*) as n from ${s}.entries`);
      if (num(count!.n) !== size) throw new Error(`ledger ${s} has ${count!.n} entries but its last index is ${size - 1}: entries were removed`);
      const partialTile = (await tx.query<{ leaf_hash: Buffer }>(`select leaf_hash from ${s}.entries where idx >= $1 order by idx`, [size - (size % tileWidth)])).map((r) => r.leaf_hash);
      const frontier: Buffer[] = [];
      for (let i = 0; i < last.frontier.length; i += HASH_SIZE) frontier.push(last.frontier.subarray(i, i + HASH_SIZE));
      return { size, frontier, chainHash: last.chain_hash, last: { mergeKey: num(last.merge_key), topic: last.topic, partition: last.partition, offset: BigInt(last.offset) }, nodes, partialTile };
    });
  }

  async partitions(): Promise<PartitionRow[]> {
    const rows = await this.db.query<{ topic: string; partition: number; log_start: string; next_offset: string; last_key: string | null }>(
      `select topic, partition, log_start, next_offset, last_key from ${this.schema}.partitions order by topic, partition`,
    );
    return rows.map((r) => ({ topic: r.topic, partition: r.partition, logStart: BigInt(r.log_start), nextOffset: BigInt(r.next_offset), lastKey: r.last_key === null ? null : num(r.last_key) }));
  }

  /** Registers partitions seen for the first time, starting at their log start. */
  async trackPartitions(rows: { topic: string; partition: number; logStart: bigint }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `insert into ${this.schema}.partitions (topic, partition, log_start, next_offset)
       select t, p, o, o from unnest($1::text[], $2::int[], $3::bigint[]) as x(t, p, o)
       on conflict (topic, partition) do nothing`,
      [rows.map((r) => r.topic), rows.map((r) => r.partition), rows.map((r) => r.logStart.toString())],
    );
  }

  /** The ledger index of ce_ids already ledgered. */
  async ledgeredCeIds(ceIds: string[]): Promise<Map<string, number>> {
    if (ceIds.length === 0) return new Map();
    const rows = await this.db.query<{ ce_id: string; idx: string }>(`select ce_id, idx from ${this.schema}.entries where ce_id = any($1::text[])`, [ceIds]);
    return new Map(rows.map((r) => [r.ce_id, num(r.idx)]));
  }

  /** Appends one batch atomically; `beforeCommit` runs last inside the transaction (failpoints). */
  async append(batch: { entries: EntryInsert[]; nodes: StoredNode[]; seenAgain: SeenAgainInsert[]; partitions: { topic: string; partition: number; nextOffset: bigint; lastKey: number }[] }, beforeCommit: () => void): Promise<void> {
    const s = this.schema;
    await this.db.transaction(async (tx) => {
      // Multi-row VALUES with one parameter per value: node-postgres sends Buffers in binary,
      // which is ~1.7x faster than bytea[] arrays (sent as escaped hex text) through unnest.
      for (let k = 0; k < batch.entries.length; k += INSERT_ROWS) {
        const chunk = batch.entries.slice(k, k + INSERT_ROWS);
        const params: unknown[] = [];
        const tuples = chunk.map((r) => {
          const b = params.length;
          params.push(r.idx, r.leaf, r.leafHash, r.prevHash, r.chainHash, r.topic, r.partition, r.offset.toString(), r.mergeKey, pgText(r.ceId), pgText(r.ceType), pgText(r.ceSubject), pgText(r.ceCorrelationid), pgText(r.ceTime), r.problem === null ? null : pgText(r.problem), r.late, r.gapBefore === null ? null : r.gapBefore.toString(), r.frontier);
          return `(${ENTRY_PLACEHOLDERS.map((p) => `$${b + p}`).join(',')})`;
        });
        await tx.query(
          `insert into ${s}.entries (idx, leaf, leaf_hash, prev_hash, chain_hash, topic, partition, "offset", merge_key, ce_id, ce_type, ce_subject, ce_correlationid, ce_time, problem, late, gap_before, frontier) values ${tuples.join(',')}`,
          params,
        );
      }
      const n = batch.nodes;
      if (n.length > 0) {
        await tx.query(`insert into ${s}.tree_nodes (level, idx, hash) select * from unnest($1::int[], $2::bigint[], $3::bytea[])`, [n.map((x) => x.level), n.map((x) => x.index), n.map((x) => x.hash)]);
      }
      const d = batch.seenAgain;
      if (d.length > 0) {
        await tx.query(
          `insert into ${s}.seen_again (topic, partition, "offset", ce_id, first_idx, at_size, merge_key, leaf)
           select * from unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[])`,
          [d.map((x) => x.topic), d.map((x) => x.partition), d.map((x) => x.offset.toString()), d.map((x) => pgText(x.ceId)), d.map((x) => x.firstIdx), d.map((x) => x.atSize), d.map((x) => x.mergeKey), d.map((x) => x.leaf)],
        );
      }
      const p = batch.partitions;
      if (p.length > 0) {
        await tx.query(
          `update ${s}.partitions as w set next_offset = x.o, last_key = x.k, updated_at = now()
             from unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[]) as x(t, p, o, k)
            where w.topic = x.t and w.partition = x.p`,
          [p.map((x) => x.topic), p.map((x) => x.partition), p.map((x) => x.nextOffset.toString()), p.map((x) => x.lastKey)],
        );
      }
      beforeCommit();
    });
  }

  async leafHashes(indices: number[]): Promise<Map<number, Buffer>> {
    if (indices.length === 0) return new Map();
    const rows = await this.db.query<{ idx: string; leaf_hash: Buffer }>(`select idx, leaf_hash from ${this.schema}.entries where idx = any($1::bigint[])`, [indices]);
    return new Map(rows.map((r) => [num(r.idx), r.leaf_hash]));
  }

  async leafHashRange(start: number, end: number): Promise<[number, Buffer][]> {
    const rows = await this.db.query<{ idx: string; leaf_hash: Buffer }>(`select idx, leaf_hash from ${this.schema}.entries where idx >= $1 and idx < $2`, [start, end]);
    return rows.map((r) => [num(r.idx), r.leaf_hash]);
  }

  async entries(start: number, end: number): Promise<EntryRow[]> {
    const rows = await this.db.query<EntryRow>(`select ${ENTRY_COLUMNS} from ${this.schema}.entries where idx >= $1 and idx < $2 order by idx`, [start, end]);
    return rows.map((r) => ({ ...r, idx: num(r.idx), ledgeredAt: date(r.ledgeredAt) }));
  }

  async entryByCeId(ceId: string): Promise<number | undefined> {
    const [row] = await this.db.query<{ idx: string }>(`select idx from ${this.schema}.entries where ce_id = $1`, [ceId]);
    return row === undefined ? undefined : num(row.idx);
  }

  /** Entries whose correlation id or subject is one of `ids`, in ledger order. */
  async byCorrelation(ids: string[]): Promise<EntryRow[]> {
    const rows = await this.db.query<EntryRow>(
      `select ${ENTRY_COLUMNS} from ${this.schema}.entries where ce_correlationid = any($1::text[]) or ce_subject = any($1::text[]) order by idx`,
      [ids],
    );
    return rows.map((r) => ({ ...r, idx: num(r.idx), ledgeredAt: date(r.ledgeredAt) }));
  }

  async seenAgain(maxAtSize: number): Promise<SeenAgainRow[]> {
    const rows = await this.db.query<SeenAgainRow>(
      `select topic, partition, "offset"::text as "offset", ce_id as "ceId", first_idx as "firstIdx", at_size as "atSize", leaf from ${this.schema}.seen_again where at_size <= $1 order by at_size, topic, partition, "offset"`,
      [maxAtSize],
    );
    return rows.map((r) => ({ ...r, firstIdx: num(r.firstIdx), atSize: num(r.atSize) }));
  }

  /**
   * Each partition's next expected offset as of tree size `size`. At the head this is the
   * watermark the ingest maintains itself (so a record removed from the tables still shows as a
   * hole); for an older size it is derived from the entries and duplicates recorded by then.
   */
  async watermarksAt(size: number): Promise<{ topic: string; partition: number; logStart: string; nextOffset: string }[]> {
    const s = this.schema;
    return this.db.transaction(async (tx) => {
      await tx.query('set transaction isolation level repeatable read');
      const [head] = await tx.query<{ n: string; beyond: boolean }>(
        `select (select coalesce(max(idx) + 1, 0) from ${s}.entries) as n, exists (select 1 from ${s}.seen_again where at_size > $1) as beyond`,
        [size],
      );
      const atHead = num(head!.n) === size && !head!.beyond;
      const rows = await tx.query<{ topic: string; partition: number; log_start: string; next_offset: string }>(
        atHead
          ? `select topic, partition, log_start::text, next_offset::text from ${s}.partitions order by topic, partition`
          : `select p.topic, p.partition, p.log_start::text,
                    greatest(p.log_start, coalesce((select max("offset") + 1 from ${s}.entries e where e.topic = p.topic and e.partition = p.partition and e.idx < $1), 0),
                             coalesce((select max("offset") + 1 from ${s}.seen_again d where d.topic = p.topic and d.partition = p.partition and d.at_size <= $1), 0))::text as next_offset
               from ${s}.partitions p order by p.topic, p.partition`,
        atHead ? [] : [size],
      );
      return rows.map((r) => ({ topic: r.topic, partition: r.partition, logStart: r.log_start, nextOffset: r.next_offset }));
    });
  }

  async lateEntries(size: number): Promise<number[]> {
    return (await this.db.query<{ idx: string }>(`select idx from ${this.schema}.entries where late and idx < $1 order by idx`, [size])).map((r) => num(r.idx));
  }

  async counts(): Promise<{ entries: number; seenAgain: number; undecodable: number; late: number; gaps: { topic: string; partition: number; from: string; to: string; idx: number }[] }> {
    const s = this.schema;
    const [c] = await this.db.query<{ entries: string; seen: string; bad: string; late: string }>(
      `select (select coalesce(max(idx) + 1, 0) from ${s}.entries) as entries, (select count(*) from ${s}.seen_again) as seen,
              (select count(*) from ${s}.entries where problem is not null) as bad, (select count(*) from ${s}.entries where late) as late`,
    );
    const gaps = await this.db.query<{ topic: string; partition: number; from: string; to: string; idx: string }>(
      `select topic, partition, gap_before::text as from, "offset"::text as to, idx from ${s}.entries where gap_before is not null order by idx`,
    );
    return { entries: num(c!.entries), seenAgain: num(c!.seen), undecodable: num(c!.bad), late: num(c!.late), gaps: gaps.map((g) => ({ ...g, idx: num(g.idx) })) };
  }

  // -- checkpoints ---------------------------------------------------------------------------

  async latestCheckpoint(): Promise<CheckpointRow | undefined> {
    const [row] = await this.db.query<CheckpointRow>(`select size, root_hash as "rootHash", note, issued_at as "issuedAt" from ${this.schema}.checkpoints order by size desc limit 1`);
    return row === undefined ? undefined : { ...row, size: num(row.size), issuedAt: date(row.issuedAt) };
  }

  async checkpoint(size: number): Promise<CheckpointRow | undefined> {
    const [row] = await this.db.query<CheckpointRow>(`select size, root_hash as "rootHash", note, issued_at as "issuedAt" from ${this.schema}.checkpoints where size = $1`, [size]);
    return row === undefined ? undefined : { ...row, size: num(row.size), issuedAt: date(row.issuedAt) };
  }

  async checkpoints(maxSize: number): Promise<CheckpointRow[]> {
    const rows = await this.db.query<CheckpointRow>(`select size, root_hash as "rootHash", note, issued_at as "issuedAt" from ${this.schema}.checkpoints where size <= $1 order by size`, [maxSize]);
    return rows.map((r) => ({ ...r, size: num(r.size), issuedAt: date(r.issuedAt) }));
  }

  /**
   * Stores a checkpoint unless one of that size exists (compare-and-swap on size), and queues its
   * event in the outbox in the same transaction. `sign` runs only when nothing is stored yet.
   * Returns what is stored for that size, which the caller compares with its root.
   */
  async storeCheckpoint(size: number, rootHash: Buffer, sign: () => string, event: OutboxEvent): Promise<CheckpointRow> {
    const s = this.schema;
    return this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`checkpoint:${s}`]);
      const [existing] = await tx.query<CheckpointRow>(`select size, root_hash as "rootHash", note, issued_at as "issuedAt" from ${s}.checkpoints where size = $1`, [size]);
      if (existing !== undefined) return { ...existing, size: num(existing.size), issuedAt: date(existing.issuedAt) };
      const note = sign();
      const [row] = await tx.query<{ issued_at: Date; n: string }>(
        `insert into ${s}.checkpoints (size, root_hash, note) values ($1, $2, $3) returning issued_at, (select count(*) + 1 from ${s}.checkpoints) as n`,
        [size, rootHash, note],
      );
      const at = date(row!.issued_at);
      const data = { origin: event.subject, treeSize: size, rootHash: rootHash.toString('base64'), note, issuedAt: at.toISOString() };
      await raiseEvent(tx, s, event.registry, { ...event, data, at, sequence: num(row!.n) });
      return { size, rootHash, note, issuedAt: at };
    });
  }

  async cosignatures(sizes: number[]): Promise<CosignatureRow[]> {
    if (sizes.length === 0) return [];
    const rows = await this.db.query<CosignatureRow>(
      `select size, key_name as "keyName", key_hash as "keyHash", signature from ${this.schema}.cosignatures where size = any($1::bigint[]) order by size, key_name, key_hash`,
      [sizes],
    );
    return rows.map((r) => ({ ...r, size: num(r.size), keyHash: num(r.keyHash) }));
  }

  /** Stores cosignatures; returns how many were new. */
  async addCosignatures(rows: CosignatureRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const inserted = await this.db.query(
      `insert into ${this.schema}.cosignatures (size, key_name, key_hash, signature)
       select * from unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[]) on conflict do nothing returning size`,
      [rows.map((r) => r.size), rows.map((r) => r.keyName), rows.map((r) => r.keyHash), rows.map((r) => r.signature)],
    );
    return inserted.length;
  }

  // -- witnessing ----------------------------------------------------------------------------

  async latestWitnessed(origin: string, tx?: Tx): Promise<{ size: number; rootHash: Buffer } | undefined> {
    const [row] = await (tx ?? this.db).query<{ size: string; root_hash: Buffer }>(`select size, root_hash from ${this.schema}.witnessed where origin = $1 order by size desc limit 1`, [origin]);
    return row === undefined ? undefined : { size: num(row.size), rootHash: row.root_hash };
  }

  /**
   * Records a witnessed checkpoint if the latest is still `expectedSize` (compare-and-swap under
   * an advisory lock per origin) and queues its event; returns false when someone was faster.
   */
  async storeWitnessed(w: { origin: string; size: number; rootHash: Buffer; previousSize: number; note: string; cosignature: string }, expectedSize: number, event: OutboxEvent): Promise<boolean> {
    const s = this.schema;
    return this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`witness:${s}:${w.origin}`]);
      const latest = await this.latestWitnessed(w.origin, tx);
      if ((latest?.size ?? 0) !== expectedSize) return false;
      const [row] = await tx.query<{ witnessed_at: Date; n: string }>(
        `insert into ${s}.witnessed (origin, size, root_hash, previous_size, note, cosignature) values ($1, $2, $3, $4, $5, $6)
         returning witnessed_at, (select count(*) + 1 from ${s}.witnessed where origin = $1) as n`,
        [w.origin, w.size, w.rootHash, w.previousSize, w.note, w.cosignature],
      );
      const at = date(row!.witnessed_at);
      const data = { origin: w.origin, treeSize: w.size, rootHash: w.rootHash.toString('base64'), previousSize: w.previousSize, note: w.note, cosignature: w.cosignature, witnessedAt: at.toISOString() };
      await raiseEvent(tx, s, event.registry, { ...event, data, at, sequence: num(row!.n) });
      return true;
    });
  }
}

/**
 * An event the audit service raises in the same transaction as the row it reports (through the
 * backbone's outbox: envelope, traceparent, relay); its sequence is the row's number and its time
 * the row's timestamp.
 */
export interface OutboxEvent {
  topic: string;
  /** Avro full name. */
  type: string;
  /** eventSource(platform, 'audit'). */
  source: string;
  /** Subject and record key: the log origin. */
  subject: string;
  registry: SchemaRegistry;
}
