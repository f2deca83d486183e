import {
  CompactRange, HASH_SIZE, SubtreeHashCache, consistencyProof, inclusionProof, nodeHash, rootFromLeafHashes,
  type TreeHashSource,
} from '@govmesh/ledger';

/**
 * The interior of the Merkle tree the service keeps so proofs are cheap at any size.
 *
 * Leaf hashes live in the entries table. Of the interior nodes only those at levels 4, 8, 12...
 * (the roots of complete 16-leaf tiles, of 16-tile blocks, and so on) are stored, in `tree_nodes`
 * and in memory here, packed: n/15 hashes, 21 MB for 10 million entries. Any perfect subtree hash
 * is then at most 8 stored hashes away, and an inclusion proof needs at most two tiles of leaf
 * hashes (the 16 around the leaf and the ragged right edge of the tree), fetched with one query,
 * so a share's lifecycle with hundreds of events is proven in milliseconds. (tlog-tiles uses
 * 256-wide tiles for static serving; a narrower tile trades storage rows for proof work here.)
 * Pure: no I/O.
 */
export const TILE_HEIGHT = 4;
export const TILE_WIDTH = 2 ** TILE_HEIGHT;

/** A growable array of 32-byte hashes packed in 1 MiB chunks (no object per hash). */
class HashArray {
  static readonly PER_CHUNK = 32768;
  #chunks: Buffer[] = [];
  #n = 0;
  get length(): number {
    return this.#n;
  }
  push(h: Uint8Array): void {
    const c = Math.floor(this.#n / HashArray.PER_CHUNK);
    if (c === this.#chunks.length) this.#chunks.push(Buffer.alloc(HashArray.PER_CHUNK * HASH_SIZE));
    this.#chunks[c]!.set(h, (this.#n % HashArray.PER_CHUNK) * HASH_SIZE);
    this.#n += 1;
  }
  /** A view of hash i (valid for the life of the array; hashes are never overwritten). */
  get(i: number): Buffer | undefined {
    if (i < 0 || i >= this.#n) return undefined;
    const off = (i % HashArray.PER_CHUNK) * HASH_SIZE;
    return this.#chunks[Math.floor(i / HashArray.PER_CHUNK)]!.subarray(off, off + HASH_SIZE);
  }
  range(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = from; i < to && i < this.#n; i++) out.push(this.get(i)!);
    return out;
  }
  /**
   * A copy that shares the chunks. Safe because hashes are only ever appended: the fork writes
   * past this array's length, where this array never reads, and of two arrays only one is ever
   * appended to afterwards (the fork when its batch commits, this one when it does not).
   */
  fork(): HashArray {
    const a = new HashArray();
    a.#chunks = [...this.#chunks];
    a.#n = this.#n;
    return a;
  }
}

/** A stored interior node: level is a multiple of TILE_HEIGHT, index counts nodes at that level. */
export interface StoredNode {
  level: number;
  index: number;
  hash: Buffer;
}

const log2 = (n: number): number => Math.round(Math.log2(n));

/** Merges 2^k perfect sibling hashes into their subtree root. */
const mergePerfect = (hashes: readonly Buffer[]): Buffer => {
  let level = [...hashes];
  while (level.length > 1) {
    const up: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
};

export class TileTree {
  /** levels[k]: the nodes at level TILE_HEIGHT * (k + 1). */
  #levels: HashArray[] = [];
  /** Leaf hashes of the incomplete last tile. */
  #partial: Buffer[] = [];
  #range = new CompactRange();

  /** Rebuilds the tree from its persisted parts: the frontier, the stored nodes, the last partial tile. */
  static restore(size: number, frontier: readonly Uint8Array[], nodes: readonly StoredNode[], partialTile: readonly Uint8Array[]): TileTree {
    const t = new TileTree();
    t.#range = CompactRange.fromFrontier(size, frontier);
    if (partialTile.length !== size % TILE_WIDTH) throw new Error(`tree of size ${size} needs ${size % TILE_WIDTH} leaf hashes of its last tile, got ${partialTile.length}`);
    t.#partial = partialTile.map((h) => Buffer.from(h));
    const sorted = [...nodes].sort((a, b) => a.level - b.level || a.index - b.index);
    for (const n of sorted) {
      if (n.level % TILE_HEIGHT !== 0 || n.level === 0) throw new Error(`stored node at level ${n.level} is not a tile level`);
      const k = n.level / TILE_HEIGHT - 1;
      const arr = (t.#levels[k] ??= new HashArray());
      if (n.index !== arr.length) throw new Error(`stored nodes of level ${n.level} are not contiguous at index ${n.index}`);
      arr.push(n.hash);
    }
    for (let k = 0; ; k++) {
      const expected = Math.floor(size / TILE_WIDTH ** (k + 1));
      const got = t.#levels[k]?.length ?? 0;
      if (got !== expected) throw new Error(`tree of size ${size} needs ${expected} nodes at level ${TILE_HEIGHT * (k + 1)}, got ${got}`);
      if (expected === 0 && k >= t.#levels.length - 1) break;
    }
    return t;
  }

  get size(): number {
    return this.#range.size;
  }

  root(): Buffer {
    return this.#range.root();
  }

  frontier(): Buffer[] {
    return this.#range.frontier();
  }

  /** A copy that can be appended to without touching this one (arrays are copied shallowly). */
  fork(): TileTree {
    const t = new TileTree();
    t.#levels = this.#levels.map((l) => l.fork());
    t.#partial = [...this.#partial];
    t.#range = this.#range.clone();
    return t;
  }

  /** Appends a leaf hash; returns the interior nodes it completed (to be stored with the leaf). */
  append(leafHash: Buffer): StoredNode[] {
    this.#range.append(leafHash);
    this.#partial.push(leafHash);
    const done: StoredNode[] = [];
    if (this.#partial.length < TILE_WIDTH) return done;
    let hash = rootFromLeafHashes(this.#partial);
    this.#partial = [];
    for (let k = 0; ; k++) {
      const arr = (this.#levels[k] ??= new HashArray());
      arr.push(hash);
      done.push({ level: TILE_HEIGHT * (k + 1), index: arr.length - 1, hash });
      if (arr.length % TILE_WIDTH !== 0) break;
      hash = mergePerfect(arr.range(arr.length - TILE_WIDTH, arr.length));
    }
    return done;
  }

  /**
   * Hash of the perfect subtree [start, end) from stored nodes, when it is at least a tile wide
   * and complete; undefined otherwise (the caller computes it from leaf hashes).
   */
  perfectHash(start: number, end: number): Buffer | undefined {
    const width = end - start;
    if (width < TILE_WIDTH || (width & (width - 1)) !== 0 || start % width !== 0 || end > this.size) return undefined;
    const level = log2(width);
    const base = level - (level % TILE_HEIGHT);
    const nodes = this.#levels[base / TILE_HEIGHT - 1];
    if (nodes === undefined) return undefined;
    const from = start / 2 ** base;
    if (base === level) return nodes.get(from);
    const slice = nodes.range(from, from + 2 ** (level - base));
    return slice.length === 2 ** (level - base) ? mergePerfect(slice) : undefined;
  }

  /** The leaf hash of entry i when it is in the last, incomplete tile (kept in memory). */
  partialLeaf(i: number): Buffer | undefined {
    const start = this.size - this.#partial.length;
    return i >= start && i < this.size ? this.#partial[i - start] : undefined;
  }
}

const ZERO = Buffer.alloc(HASH_SIZE);

/** Where proofs find leaf hashes: a Map of fetched ones, or every one (the verifier). */
export interface LeafHashLookup {
  get(index: number): Buffer | undefined;
}

/** The proof source over a tile tree: stored nodes for wide perfect subtrees, leaf hashes for the rest. */
export const treeHashSource = (tree: TileTree, leaves: LeafHashLookup): TreeHashSource => ({
  leafHash: (i) => {
    const h = leaves.get(i);
    if (h === undefined) throw new Error(`leaf hash ${i} is not available`);
    return h;
  },
  subtreeHash: (start, end) => tree.perfectHash(start, end),
});

/** Proof hashes, or the leaf indices whose hashes must be fetched first. */
export type ProofAttempt = { hashes: Buffer[]; missing?: undefined } | { missing: number[]; hashes?: undefined };

const attempt = (tree: TileTree, leaves: LeafHashLookup, run: (source: SubtreeHashCache) => Buffer[]): ProofAttempt => {
  const missing = new Set<number>();
  const source: TreeHashSource = {
    leafHash: (i) => {
      const h = leaves.get(i);
      if (h === undefined) {
        missing.add(i);
        return ZERO;
      }
      return h;
    },
    subtreeHash: (start, end) => tree.perfectHash(start, end),
  };
  const hashes = run(new SubtreeHashCache(source));
  // Which leaves a proof touches depends only on (index, size), never on hash values, so one
  // pass with placeholders finds them all.
  return missing.size > 0 ? { missing: [...missing].sort((a, b) => a - b) } : { hashes };
};

export const tryInclusionProof = (tree: TileTree, index: number, size: number, leaves: LeafHashLookup): ProofAttempt =>
  attempt(tree, leaves, (cache) => inclusionProof(index, size, cache));

/** Inclusion proofs of many entries in one tree size, sharing the subtree hashes they have in common. */
export const tryInclusionProofs = (tree: TileTree, indices: readonly number[], size: number, leaves: LeafHashLookup): { proofs: Map<number, Buffer[]>; missing?: undefined } | { missing: number[]; proofs?: undefined } => {
  const proofs = new Map<number, Buffer[]>();
  const r = attempt(tree, leaves, (cache) => {
    for (const i of indices) proofs.set(i, inclusionProof(i, size, cache));
    return [];
  });
  return r.missing !== undefined ? { missing: r.missing } : { proofs };
};

export const tryConsistencyProof = (tree: TileTree, from: number, to: number, leaves: LeafHashLookup): ProofAttempt =>
  attempt(tree, leaves, (cache) => consistencyProof(from, to, cache));

/** Root of the first `size` leaves (size <= tree size), from stored nodes and fetched leaf hashes. */
export const tryRootAt = (tree: TileTree, size: number, leaves: LeafHashLookup): { root: Buffer; missing?: undefined } | { missing: number[]; root?: undefined } => {
  if (size === tree.size) return { root: tree.root() };
  const r = attempt(tree, leaves, (cache) => [cache.hash(0, size)]);
  return r.missing !== undefined ? { missing: r.missing } : { root: r.hashes[0]! };
};
