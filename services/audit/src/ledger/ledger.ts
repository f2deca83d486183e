import { createHash } from 'node:crypto';
import { GovError, inputInvalid, type Failpoints, type Logger, type SchemaRegistry } from '@govmesh/backbone';
import { leafHash } from '@govmesh/ledger';
import { ledgerRecord, readEvent, recordLeaf, type KafkaRecordLike } from '../domain/record.ts';
import { compareOrder, partitionId, type OrderPosition, type PartitionWatermark, type SequencedRecord } from '../domain/sequencer.ts';
import { TILE_WIDTH, TileTree, tryConsistencyProof, tryInclusionProofs, tryRootAt, type LeafHashLookup, type StoredNode } from '../domain/tree.ts';
import type { EntryInsert, LedgerStore, SeenAgainInsert } from './store.ts';

/**
 * The ledger writer and prover: the one place that appends leaves.
 *
 * Guarantee: every record handed to `append` is, after the transaction commits, either a leaf
 * (at the next index, with its hash, chain hash and the new frontier) or, when its ce_id is
 * already ledgered, a "seen again" row; the partition watermarks move past it in the same
 * transaction. The in-memory tree is replaced only after the commit, so a failed or killed
 * append changes nothing, and its records are appended again, identically, on retry or restart.
 * Appends are serialised by the caller (one ingest loop); a second writer on the same schema
 * would collide on the entries' primary key and abort rather than fork the tree.
 */
export type LedgerPayload = KafkaRecordLike;

export interface LedgerCounts {
  seenAgain: number;
  late: number;
  undecodable: number;
}

export interface AppendResult {
  appended: number;
  seenAgain: number;
  size: number;
}

export class Ledger {
  readonly store: LedgerStore;
  readonly #platform: string;
  readonly #registry: SchemaRegistry;
  readonly #failpoints: Failpoints;
  readonly #logger: Logger;
  #tree: TileTree;
  #chain: Buffer;
  #last: OrderPosition | undefined;
  readonly #partitions = new Map<string, PartitionWatermark & { logStart: bigint }>();
  /** Running totals for /metrics (loaded once at open, then counted at each append: no query per scrape). */
  #counts: LedgerCounts = { seenAgain: 0, late: 0, undecodable: 0 };

  private constructor(store: LedgerStore, opts: { platform: string; registry: SchemaRegistry; failpoints: Failpoints; logger: Logger }, tree: TileTree, chain: Buffer, last: OrderPosition | undefined) {
    this.store = store;
    this.#platform = opts.platform;
    this.#registry = opts.registry;
    this.#failpoints = opts.failpoints;
    this.#logger = opts.logger;
    this.#tree = tree;
    this.#chain = chain;
    this.#last = last;
  }

  /** Restores the tree from the database: the last frontier, stored nodes, the last partial tile. */
  static async open(store: LedgerStore, opts: { platform: string; registry: SchemaRegistry; failpoints: Failpoints; logger: Logger }): Promise<Ledger> {
    const head = await store.loadHead(TILE_WIDTH);
    const tree = TileTree.restore(head.size, head.frontier, head.nodes, head.partialTile);
    const last = head.last === undefined ? undefined : { key: head.last.mergeKey, topic: head.last.topic, partition: head.last.partition, offset: head.last.offset };
    const ledger = new Ledger(store, opts, tree, head.chainHash, last);
    await ledger.reloadPartitions();
    const { seenAgain, late, undecodable } = await store.counts();
    ledger.#counts = { seenAgain, late, undecodable };
    return ledger;
  }

  async reloadPartitions(): Promise<void> {
    for (const p of await this.store.partitions()) {
      this.#partitions.set(partitionId(p.topic, p.partition), { topic: p.topic, partition: p.partition, nextOffset: p.nextOffset, lastKey: p.lastKey ?? -Infinity, logStart: p.logStart });
    }
  }

  get size(): number {
    return this.#tree.size;
  }

  /** Records seen again (a duplicate event id, not appended), appended late, and undecodable, in the whole ledger. */
  get counts(): Readonly<LedgerCounts> {
    return this.#counts;
  }

  get tree(): TileTree {
    return this.#tree;
  }

  get lastPosition(): OrderPosition | undefined {
    return this.#last;
  }

  watermarks(): (PartitionWatermark & { logStart: bigint })[] {
    return [...this.#partitions.values()];
  }

  watermark(topic: string, partition: number): (PartitionWatermark & { logStart: bigint }) | undefined {
    return this.#partitions.get(partitionId(topic, partition));
  }

  /** Starts ledgering new partitions at their log start offset. */
  async track(partitions: { topic: string; partition: number; logStart: bigint }[]): Promise<void> {
    const fresh = partitions.filter((p) => !this.#partitions.has(partitionId(p.topic, p.partition)));
    if (fresh.length === 0) return;
    await this.store.trackPartitions(fresh);
    await this.reloadPartitions();
  }

  /**
   * Appends records (in ledger order) in one transaction. Re-sent ce_ids are rare, so the batch
   * is first written assuming none; the unique index on ce_id refuses the transaction when one
   * slipped in, and the batch is rebuilt knowing which ce_ids are ledgered already.
   */
  async append(records: readonly SequencedRecord<LedgerPayload>[]): Promise<AppendResult> {
    const decoded = records.map((r) => {
      const leaf = recordLeaf(this.#platform, r.topic, r.partition, r.payload);
      return { r, leaf, rec: ledgerRecord(leaf) };
    });
    try {
      return await this.#append(decoded, new Map());
    } catch (err) {
      if (!/entries_ce_id/.test(String((err as Error).message) + String((err as { constraint?: string }).constraint))) throw err;
      const known = await this.store.ledgeredCeIds([...new Set(decoded.map((d) => d.rec.ceId).filter((id) => id !== ''))]);
      return this.#append(decoded, known);
    }
  }

  async #append(decoded: readonly { r: SequencedRecord<LedgerPayload>; leaf: Buffer; rec: ReturnType<typeof ledgerRecord> }[], known: Map<string, number>): Promise<AppendResult> {
    const tree = this.#tree.fork();
    let chain = this.#chain;
    let last = this.#last;
    const entries: EntryInsert[] = [];
    const seenAgain: SeenAgainInsert[] = [];
    const nodes: StoredNode[] = [];
    const partitions = new Map<string, { topic: string; partition: number; nextOffset: bigint; lastKey: number }>();
    for (const { r, leaf, rec } of decoded) {
      partitions.set(partitionId(r.topic, r.partition), { topic: r.topic, partition: r.partition, nextOffset: r.offset + 1n, lastKey: r.mergeKey });
      const first = rec.ceId === '' ? undefined : known.get(rec.ceId);
      if (first !== undefined) {
        seenAgain.push({ topic: r.topic, partition: r.partition, offset: r.offset, ceId: rec.ceId, firstIdx: first, atSize: tree.size, mergeKey: r.mergeKey, leaf });
        continue;
      }
      const idx = tree.size;
      const lh = leafHash(leaf);
      const chainHash = createHash('sha256').update(chain).update(lh).digest();
      const pos = { key: r.mergeKey, topic: r.topic, partition: r.partition, offset: r.offset };
      const late = last !== undefined && compareOrder(pos, last) < 0;
      if (!late) last = pos;
      nodes.push(...tree.append(lh));
      entries.push({
        idx,
        leaf,
        leafHash: lh,
        prevHash: chain,
        chainHash,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        mergeKey: r.mergeKey,
        ceId: rec.ceId,
        ceType: rec.ceType,
        ceSubject: rec.ceSubject,
        ceCorrelationid: rec.correlationId,
        ceTime: rec.ceTime,
        problem: readEvent(rec, this.#registry).problem ?? null,
        late,
        gapBefore: r.gapBefore === undefined ? null : r.gapBefore.from,
        frontier: null,
      });
      chain = chainHash;
      if (rec.ceId !== '') known.set(rec.ceId, idx);
      if (late) this.#logger.warn({ idx, topic: r.topic, partition: r.partition, offset: String(r.offset) }, 'record arrived after later records were ledgered: appended, flagged late');
      if (r.gapBefore !== undefined) this.#logger.error({ idx, topic: r.topic, partition: r.partition, from: String(r.gapBefore.from), to: String(r.gapBefore.to) }, 'offsets missing from the topic before this record');
    }
    const lastEntry = entries.at(-1);
    if (lastEntry !== undefined) lastEntry.frontier = Buffer.concat(tree.frontier());
    const range = entries.length === 0 ? 'none' : `${entries[0]!.idx}-${lastEntry!.idx}`;
    await this.store.append({ entries, nodes, seenAgain, partitions: [...partitions.values()] }, () => this.#failpoints.hit('ledger.before-commit', range));
    this.#tree = tree;
    this.#chain = chain;
    this.#last = last;
    this.#counts = {
      seenAgain: this.#counts.seenAgain + seenAgain.length,
      late: this.#counts.late + entries.filter((e) => e.late).length,
      undecodable: this.#counts.undecodable + entries.filter((e) => e.problem !== null).length,
    };
    for (const p of partitions.values()) {
      const w = this.#partitions.get(partitionId(p.topic, p.partition));
      if (w !== undefined) Object.assign(w, { nextOffset: p.nextOffset, lastKey: p.lastKey });
    }
    this.#failpoints.hit('ledger.after-commit', range);
    return { appended: entries.length, seenAgain: seenAgain.length, size: tree.size };
  }

  // -- proofs ----------------------------------------------------------------------------------

  /**
   * Runs a proof computation: a first pass learns which leaf hashes it needs (none for wide
   * subtrees, which come from stored nodes), their tiles are fetched, the second pass computes.
   */
  async #withLeaves<T extends { missing?: number[] | undefined }>(tree: TileTree, run: (leaves: LeafHashLookup) => T): Promise<T> {
    const fetched = new Map<number, Buffer>();
    const leaves: LeafHashLookup = { get: (i) => tree.partialLeaf(i) ?? fetched.get(i) };
    const first = run(leaves);
    if (first.missing === undefined) return first;
    for (const [i, h] of await this.#fetchTiles(first.missing, tree.size)) fetched.set(i, h);
    const second = run(leaves);
    if (second.missing !== undefined) throw new GovError('GOV_ERR_INTERNAL', `leaf hashes ${second.missing.slice(0, 5).join(',')} are missing from the ledger`);
    return second;
  }

  /** Leaf hashes of whole tiles around `indices` (proofs of neighbouring entries need the same ones). */
  async #fetchTiles(indices: number[], size: number): Promise<Map<number, Buffer>> {
    const tiles = [...new Set(indices.map((i) => Math.floor(i / TILE_WIDTH)))];
    if (tiles.length === 1) return new Map(await this.store.leafHashRange(tiles[0]! * TILE_WIDTH, Math.min((tiles[0]! + 1) * TILE_WIDTH, size)));
    const all = tiles.flatMap((t) => Array.from({ length: TILE_WIDTH }, (_, k) => t * TILE_WIDTH + k).filter((i) => i < size));
    return this.store.leafHashes(all);
  }

  #checkSize(size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.#tree.size) {
      throw inputInvalid([{ field: what, description: `must be a tree size between 0 and ${this.#tree.size}` }]);
    }
  }

  async inclusionProof(index: number, size: number): Promise<{ leafHash: Buffer; hashes: Buffer[] }> {
    this.#checkSize(size, 'size');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw inputInvalid([{ field: 'index', description: `must be an entry index below the tree size ${size}` }]);
    const proofs = await this.#inclusion([index], size);
    const leaf = proofs.leaves.get(index) ?? (await this.store.leafHashes([index])).get(index);
    return { leafHash: leaf!, hashes: proofs.proofs.get(index)! };
  }

  /** Inclusion proofs of many entries against one size, fetching their leaf hashes in one query. */
  async inclusionProofs(indices: number[], size: number): Promise<Map<number, Buffer[]>> {
    this.#checkSize(size, 'size');
    return (await this.#inclusion(indices.filter((i) => i < size), size)).proofs;
  }

  /**
   * An inclusion proof touches leaf hashes in two tiles only: the leaf's own and the ragged right
   * edge of the tree (everything wider comes from stored nodes), so those are fetched up front and
   * the proofs computed in one pass.
   */
  async #inclusion(indices: number[], size: number): Promise<{ proofs: Map<number, Buffer[]>; leaves: LeafHashLookup }> {
    const tree = this.#tree;
    const fetched = new Map<number, Buffer>();
    const leaves: LeafHashLookup = { get: (i) => tree.partialLeaf(i) ?? fetched.get(i) };
    const around = indices.map((i) => i - (i % TILE_WIDTH));
    if (size % TILE_WIDTH !== 0) around.push(size - 1);
    const need = around.filter((i) => leaves.get(i) === undefined || leaves.get(Math.min(i - (i % TILE_WIDTH) + TILE_WIDTH, size) - 1) === undefined);
    for (const [i, h] of await this.#fetchTiles(need, size)) fetched.set(i, h);
    const r = await this.#withLeaves(tree, (l) => tryInclusionProofs(tree, indices, size, { get: (i) => leaves.get(i) ?? l.get(i) }));
    return { proofs: r.proofs!, leaves };
  }

  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    this.#checkSize(to, 'to');
    if (!Number.isSafeInteger(from) || from < 0 || from > to) throw inputInvalid([{ field: 'from', description: `must be a tree size between 0 and ${to}` }]);
    const tree = this.#tree;
    return (await this.#withLeaves(tree, (l) => tryConsistencyProof(tree, from, to, l))).hashes!;
  }

  async rootAt(size: number): Promise<Buffer> {
    this.#checkSize(size, 'size');
    const tree = this.#tree;
    return (await this.#withLeaves(tree, (l) => tryRootAt(tree, size, l))).root!;
  }
}

