// RFC 6962 / RFC 9162 Merkle tree hashing for the audit ledger.
//
// The ledger must be checkable by auditors with off-the-shelf transparency-log
// tooling, so everything here follows RFC 9162 §2.1 to the bit: the 0x00/0x01
// domain-separation prefixes, the PATH/SUBPROOF proof generators and the
// bit-level verification algorithms of §2.1.3.2 and §2.1.4.2.
//
// Tree sizes and indices are JavaScript numbers. They are validated as safe
// integers, and all "bit" operations are done arithmetically (x % 2, x / 2)
// because JS bitwise operators truncate to 32 bits.

import { createHash } from "node:crypto";

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** Raised when a proof or tree hash is rejected; the message says why. */
export class MerkleProofError extends Error {
  override readonly name = "MerkleProofError";
}

/** Root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export function emptyRoot(): Buffer {
  return createHash("sha256").digest();
}

/** Leaf hash: SHA-256(0x00 || leaf). */
export function leafHash(leaf: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(leaf).digest();
}

/** Interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

// ---------------------------------------------------------------------------
// Small arithmetic helpers (safe for all sizes up to 2^53 - 1).

function isOdd(x: number): boolean {
  return x % 2 === 1;
}

function half(x: number): number {
  return Math.floor(x / 2);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v > 0; v = half(v)) if (isOdd(v)) n++;
  return n;
}

function trailingZeros(x: number): number {
  let n = 0;
  for (let v = x; v > 0 && !isOdd(v); v = half(v)) n++;
  return n;
}

function isPowerOfTwo(x: number): boolean {
  return x > 0 && popcount(x) === 1;
}

/** Largest power of two strictly less than n (n >= 2): the RFC's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkCount(x: number, what: string): void {
  if (!Number.isSafeInteger(x) || x < 0) {
    throw new MerkleProofError(`${what} must be a non-negative safe integer, got ${String(x)}`);
  }
}

function checkHash(h: unknown, what: string): asserts h is Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    const got = h instanceof Uint8Array ? `${h.length} bytes` : typeof h;
    throw new MerkleProofError(`${what} must be a ${HASH_SIZE}-byte hash, got ${got}`);
  }
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * Splits an inclusion proof for (index, size) into its two parts, as in
 * transparency-dev/merkle: `inner` levels below the point where the paths to
 * `index` and to the last leaf meet, and `border` left-hand siblings above it.
 * Their sum is the only valid proof length.
 */
function decomposeInclusion(index: number, size: number): { inner: number; border: number } {
  let a = index;
  let b = size - 1;
  let inner = 0;
  while (a !== b) {
    a = half(a);
    b = half(b);
    inner++;
  }
  return { inner, border: popcount(a) };
}

/** Number of hashes in a valid inclusion proof for leaf `index` of a `size`-leaf tree. */
export function inclusionProofLength(index: number, size: number): number {
  checkCount(size, "tree size");
  checkCount(index, "leaf index");
  if (index >= size) throw new MerkleProofError(`leaf index ${index} is not below tree size ${size}`);
  const { inner, border } = decomposeInclusion(index, size);
  return inner + border;
}

/** Number of hashes in a valid consistency proof from size m to size n. */
export function consistencyProofLength(m: number, n: number): number {
  checkCount(m, "old tree size");
  checkCount(n, "new tree size");
  if (m > n) throw new MerkleProofError(`old tree size ${m} is larger than new tree size ${n}`);
  if (m === 0 || m === n) return 0;
  const { inner, border } = decomposeInclusion(m - 1, n);
  // The levels below the largest perfect subtree ending at m are not in the
  // proof: that subtree's root is either the old root itself or proof[0].
  const shift = trailingZeros(m);
  return (isPowerOfTwo(m) ? 0 : 1) + (inner - shift) + border;
}

// ---------------------------------------------------------------------------
// Whole-tree root and the incremental frontier.

/**
 * The frontier of a tree of `size` leaves: the roots of the perfect subtrees
 * that make up [0, size), largest (leftmost) first, one per set bit of size.
 * It is all the audit service must keep to append leaves and compute roots,
 * which makes it the piece of state it persists between batches.
 */
export class CompactRange {
  #size = 0;
  #frontier: Buffer[] = [];

  /** Rebuilds a range from a persisted `size` and `frontier()`. */
  static fromFrontier(size: number, frontier: readonly Uint8Array[]): CompactRange {
    checkCount(size, "tree size");
    const expected = popcount(size);
    if (frontier.length !== expected) {
      throw new MerkleProofError(`a tree of size ${size} has ${expected} frontier hashes, got ${frontier.length}`);
    }
    const range = new CompactRange();
    frontier.forEach((h, i) => {
      checkHash(h, `frontier[${i}]`);
      range.#frontier.push(Buffer.from(h));
    });
    range.#size = size;
    return range;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Copies of the frontier hashes, largest subtree first (see the class comment). */
  frontier(): Buffer[] {
    return this.#frontier.map((h) => Buffer.from(h));
  }

  /** Appends one leaf hash; merges completed subtrees, so O(log n) hashing. */
  append(leafHashValue: Uint8Array): void {
    checkHash(leafHashValue, "leaf hash");
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new MerkleProofError("tree size limit reached");
    let h: Buffer = Buffer.from(leafHashValue);
    // Each trailing 1-bit of the old size is a perfect subtree of the same
    // height as h; merging carries upward like binary addition.
    for (let s = this.#size; isOdd(s); s = half(s)) {
      const left = this.#frontier.pop();
      if (left === undefined) throw new MerkleProofError("corrupt compact range");
      h = nodeHash(left, h);
    }
    this.#frontier.push(h);
    this.#size++;
  }

  /** Root hash of the tree of the leaves appended so far (RFC 9162 MTH). */
  root(): Buffer {
    const last = this.#frontier.at(-1);
    if (last === undefined) return emptyRoot();
    let r = last;
    for (let i = this.#frontier.length - 2; i >= 0; i--) {
      r = nodeHash(this.#frontier[i] as Buffer, r);
    }
    return Buffer.from(r);
  }

  clone(): CompactRange {
    return CompactRange.fromFrontier(this.#size, this.#frontier);
  }
}

/** MTH over a list of leaf hashes (RFC 9162 §2.1.1), in O(n) hashing. */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Buffer {
  const range = new CompactRange();
  for (const h of hashes) range.append(h);
  return range.root();
}

// ---------------------------------------------------------------------------
// Proof generation (RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF).

/** Returns the leaf hash of entry `index`. */
export type LeafHashFn = (index: number) => Uint8Array;

/**
 * Where proof generation gets hashes. `subtreeHash` lets a caller that stores
 * interior nodes short-cut the recursion: return the hash of leaves
 * [start, end), or undefined to have it computed from leaf hashes.
 */
export interface TreeHashSource {
  leafHash(index: number): Uint8Array;
  subtreeHash?(start: number, end: number): Uint8Array | undefined;
}

/**
 * Memoised MTH(D[start:end]). Proof generation goes through one of these;
 * pass the same instance to many proof calls to share work between them
 * (e.g. all proofs for one checkpoint). The memo is unbounded: keep an
 * instance for a batch, not forever.
 */
export class SubtreeHashCache {
  readonly #source: TreeHashSource;
  readonly #memo = new Map<string, Buffer>();

  constructor(source: LeafHashFn | TreeHashSource) {
    this.#source = typeof source === "function" ? { leafHash: source } : source;
  }

  /** Hash of the subtree over leaves [start, end); the empty range hashes to emptyRoot(). */
  hash(start: number, end: number): Buffer {
    checkCount(start, "subtree start");
    checkCount(end, "subtree end");
    if (end < start) throw new MerkleProofError(`subtree end ${end} is before start ${start}`);
    if (end === start) return emptyRoot();
    // A copy, so a caller mutating a proof cannot poison the memo.
    return Buffer.from(this.#mth(start, end));
  }

  #mth(start: number, end: number): Buffer {
    const key = `${start}:${end}`;
    const cached = this.#memo.get(key);
    if (cached !== undefined) return cached;
    let h: Buffer;
    if (end - start === 1) {
      const leaf = this.#source.leafHash(start);
      checkHash(leaf, `leaf hash ${start}`);
      h = Buffer.from(leaf);
    } else {
      const stored = this.#source.subtreeHash?.(start, end);
      if (stored !== undefined) {
        checkHash(stored, `subtree hash [${start}, ${end})`);
        h = Buffer.from(stored);
      } else {
        const k = splitPoint(end - start);
        h = nodeHash(this.#mth(start, start + k), this.#mth(start + k, end));
      }
    }
    this.#memo.set(key, h);
    return h;
  }
}

function asCache(source: LeafHashFn | TreeHashSource | SubtreeHashCache): SubtreeHashCache {
  return source instanceof SubtreeHashCache ? source : new SubtreeHashCache(source);
}

/**
 * Audit path for leaf `index` in the tree of the first `size` leaves,
 * ordered from the leaf's sibling up to the root's child (RFC 9162 PATH).
 */
export function inclusionProof(
  index: number,
  size: number,
  source: LeafHashFn | TreeHashSource | SubtreeHashCache,
): Buffer[] {
  inclusionProofLength(index, size); // validates arguments
  const cache = asCache(source);
  const proof: Buffer[] = [];
  // PATH(m, D[start:end]) = PATH(m, left) : MTH(right) or PATH(m-k, right) : MTH(left);
  // the recursion is a walk down from the root, so collect then reverse.
  let m = index;
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      proof.push(cache.hash(start + k, end));
      end = start + k;
    } else {
      proof.push(cache.hash(start, start + k));
      m -= k;
      start += k;
    }
  }
  return proof.reverse();
}

/**
 * Consistency proof between the trees of the first `m` and first `n` leaves
 * (RFC 9162 PROOF / SUBPROOF). Empty when m is 0 or m equals n.
 */
export function consistencyProof(
  m: number,
  n: number,
  source: LeafHashFn | TreeHashSource | SubtreeHashCache,
): Buffer[] {
  consistencyProofLength(m, n); // validates arguments
  if (m === 0 || m === n) return [];
  const cache = asCache(source);
  const proof: Buffer[] = [];
  // SUBPROOF(m, D[start:end], b), unrolled into a walk down from the root.
  let mm = m;
  let start = 0;
  let end = n;
  let completeSubtree = true; // the RFC's flag b
  for (;;) {
    if (mm === end - start) {
      // Reached the old tree's boundary: the subtree's root is needed unless
      // the verifier already knows it as the old root.
      if (!completeSubtree) proof.push(cache.hash(start, end));
      break;
    }
    const k = splitPoint(end - start);
    if (mm <= k) {
      proof.push(cache.hash(start + k, end));
      end = start + k;
    } else {
      proof.push(cache.hash(start, start + k));
      mm -= k;
      start += k;
      completeSubtree = false;
    }
  }
  // The walk collected hashes from the root down; SUBPROOF lists them from
  // the old tree's boundary up.
  return proof.reverse();
}

// ---------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2).

function checkProof(proof: readonly Uint8Array[], expected: number, what: string): void {
  if (!Array.isArray(proof)) throw new MerkleProofError(`${what} must be an array of hashes`);
  if (proof.length !== expected) {
    throw new MerkleProofError(`${what} has ${proof.length} hashes, expected ${expected}`);
  }
  proof.forEach((h, i) => checkHash(h, `${what}[${i}]`));
}

/**
 * Recomputes the root from an inclusion proof with the RFC 9162 §2.1.3.2
 * algorithm. Throws when the proof has the wrong shape.
 */
export function rootFromInclusionProof(
  leafHashValue: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Buffer {
  checkHash(leafHashValue, "leaf hash");
  const expected = inclusionProofLength(index, size); // also: index < size
  checkProof(proof, expected, "inclusion proof");

  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHashValue);
  for (const p of proof) {
    if (sn === 0) throw new MerkleProofError("inclusion proof is too long");
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new MerkleProofError("inclusion proof is too short");
  return r;
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves with
 * root `root`. Throws MerkleProofError when it is not; returns nothing so a
 * forgotten result cannot be mistaken for success.
 */
export function verifyInclusion(
  leafHashValue: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, "root hash");
  const computed = rootFromInclusionProof(leafHashValue, index, size, proof);
  if (!sameHash(computed, root)) {
    throw new MerkleProofError(
      `inclusion proof leads to root ${computed.toString("hex")}, not ${Buffer.from(root).toString("hex")}`,
    );
  }
}

/**
 * Checks that the tree of `m` leaves with root `oldRoot` is a prefix of the
 * tree of `n` leaves with root `newRoot`. Throws MerkleProofError when not.
 *
 * Beyond RFC 9162 (which covers 0 < m < n): m = n requires an empty proof
 * and equal roots; m = 0 requires an empty proof and `oldRoot` to be the
 * empty-tree root, since that is the only root a 0-leaf tree can have.
 */
export function verifyConsistency(
  m: number,
  n: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): void {
  checkHash(oldRoot, "old root hash");
  checkHash(newRoot, "new root hash");
  const expected = consistencyProofLength(m, n); // also: m <= n
  checkProof(proof, expected, "consistency proof");

  if (m === 0) {
    if (!sameHash(oldRoot, emptyRoot())) throw new MerkleProofError("old root of an empty tree must be the empty root");
    if (n === 0 && !sameHash(newRoot, oldRoot)) throw new MerkleProofError("roots of two empty trees differ");
    return;
  }
  if (m === n) {
    if (!sameHash(oldRoot, newRoot)) throw new MerkleProofError(`roots differ for the same tree size ${m}`);
    return;
  }

  // RFC 9162 §2.1.4.2, step by step.
  // 1. An empty proof fails (cannot happen after the length check, kept for fidelity).
  if (proof.length === 0) throw new MerkleProofError("consistency proof is empty");
  // 2. If m is an exact power of 2, prepend the old root to the path.
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : [...proof];
  // 3. fn = m - 1, sn = n - 1.
  let fn = m - 1;
  let sn = n - 1;
  // 4. If LSB(fn) is set, right-shift both until it is not.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr and sr start at the first path value.
  const first = path[0] as Uint8Array;
  let fr: Buffer = Buffer.from(first);
  let sr: Buffer = Buffer.from(first);
  // 6. Walk the remaining values.
  for (const c of path.slice(1)) {
    if (sn === 0) throw new MerkleProofError("consistency proof is too long");
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr must be the old root, sr the new root, and sn must have reached 0.
  if (sn !== 0) throw new MerkleProofError("consistency proof is too short");
  if (!sameHash(fr, oldRoot)) {
    throw new MerkleProofError(`consistency proof leads to old root ${fr.toString("hex")}, not the given one`);
  }
  if (!sameHash(sr, newRoot)) {
    throw new MerkleProofError(`consistency proof leads to new root ${sr.toString("hex")}, not the given one`);
  }
}
