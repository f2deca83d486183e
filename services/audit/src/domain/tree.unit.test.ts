import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { consistencyProof, inclusionProof, leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from '@govmesh/ledger';
import { TILE_HEIGHT, TILE_WIDTH, TileTree, tryConsistencyProof, tryInclusionProof, tryRootAt, type StoredNode } from './tree.ts';

const leaves = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(String(i)).digest()));

const build = (hashes: Buffer[]) => {
  const tree = new TileTree();
  const stored: StoredNode[] = [];
  for (const h of hashes) stored.push(...tree.append(h));
  return { tree, stored };
};

/** Runs a proof the way the service does: one pass to learn the leaves, one fetch, one pass to compute. */
const withFetch = <T>(hashes: Buffer[], run: (leaves: Map<number, Buffer>) => { missing?: number[] } & T): T & { fetched: number } => {
  const first = run(new Map());
  const need = first.missing ?? [];
  const second = run(new Map(need.map((i) => [i, hashes[i]!])));
  assert.equal(second.missing, undefined);
  return { ...second, fetched: need.length };
};

const BIG = leaves(5 * TILE_WIDTH * TILE_WIDTH + 7 * TILE_WIDTH + 5);
const big = build(BIG);
// Beyond 65,536 leaves the level-16 nodes come into play.
const HUGE = leaves(65536 + 3 * 256 + 17);
const huge = build(HUGE);

describe('tile tree', () => {
  test('its root and stored nodes match the RFC 6962 tree at every size around tile boundaries', () => {
    for (const n of [0, 1, 15, 16, 17, 255, 256, 257, 511, 512, 1000]) {
      const { tree, stored } = build(BIG.slice(0, n));
      assert.deepEqual(tree.root(), rootFromLeafHashes(BIG.slice(0, n)));
      assert.equal(stored.filter((x) => x.level === TILE_HEIGHT).length, Math.floor(n / TILE_WIDTH));
      assert.equal(stored.length, Math.floor(n / TILE_WIDTH) + Math.floor(n / TILE_WIDTH ** 2) + Math.floor(n / TILE_WIDTH ** 3));
    }
    assert.ok(huge.stored.some((s) => s.level === 16), 'a level-16 node once 65,536 leaves are in');
    assert.deepEqual(huge.tree.root(), rootFromLeafHashes(HUGE));
  });

  test('past a level-16 node, proofs still match the reference and touch at most two tiles of leaves', () => {
    const root = rootFromLeafHashes(HUGE);
    for (const index of [0, 65600, HUGE.length - 1]) {
      const got = withFetch(HUGE, (l) => tryInclusionProof(huge.tree, index, HUGE.length, l));
      verifyInclusion(HUGE[index]!, index, HUGE.length, got.hashes!, root);
      assert.ok(got.fetched <= 2 * TILE_WIDTH);
    }
    const from = 65536 + 1;
    const c = withFetch(HUGE, (l) => tryConsistencyProof(huge.tree, from, HUGE.length, l));
    verifyConsistency(from, HUGE.length, c.hashes!, rootFromLeafHashes(HUGE.slice(0, from)), root);
    assert.deepEqual(withFetch(HUGE, (l) => tryRootAt(huge.tree, from, l)).root, rootFromLeafHashes(HUGE.slice(0, from)));
  });

  test('inclusion proofs equal the reference ones and fetch at most two tiles of leaf hashes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: BIG.length }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))), ([size, index]) => {
        const got = withFetch(BIG, (l) => tryInclusionProof(big.tree, index, size, l));
        assert.deepEqual(got.hashes, inclusionProof(index, size, (i) => BIG[i]!));
        verifyInclusion(BIG[index]!, index, size, got.hashes!, rootFromLeafHashes(BIG.slice(0, size)));
        assert.ok(got.fetched <= 2 * TILE_WIDTH, `fetched ${got.fetched}`);
      }),
      { numRuns: 100 },
    );
  });

  test('consistency proofs and old roots equal the reference ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: BIG.length }).chain((to) => fc.tuple(fc.integer({ min: 0, max: to }), fc.constant(to))), ([from, to]) => {
        const got = withFetch(BIG, (l) => tryConsistencyProof(big.tree, from, to, l));
        assert.deepEqual(got.hashes, consistencyProof(from, to, (i) => BIG[i]!));
        const oldRoot = withFetch(BIG, (l) => tryRootAt(big.tree, from, l)).root!;
        const newRoot = withFetch(BIG, (l) => tryRootAt(big.tree, to, l)).root!;
        assert.deepEqual(oldRoot, rootFromLeafHashes(BIG.slice(0, from)));
        verifyConsistency(from, to, got.hashes!, oldRoot, newRoot);
        assert.ok(got.fetched <= 3 * TILE_WIDTH, `fetched ${got.fetched}`);
      }),
      { numRuns: 100 },
    );
  });

  test('restores from frontier, stored nodes and the last partial tile, and refuses an inconsistent restore', () => {
    const n = 3 * TILE_WIDTH * TILE_WIDTH + 3 * TILE_WIDTH + 5;
    const { tree, stored } = build(BIG.slice(0, n));
    const restored = TileTree.restore(n, tree.frontier(), stored, BIG.slice(n - 5, n));
    restored.append(BIG[n]!);
    assert.deepEqual(restored.root(), rootFromLeafHashes(BIG.slice(0, n + 1)));
    assert.throws(() => TileTree.restore(n, tree.frontier(), stored.slice(1), BIG.slice(n - 5, n)), /not contiguous|needs/);
    assert.throws(() => TileTree.restore(n, tree.frontier(), stored, BIG.slice(n - 4, n)), /leaf hashes of its last tile/);
  });

  test('a fork is independent of its original', () => {
    const { tree } = build(BIG.slice(0, 300));
    const fork = tree.fork();
    fork.append(BIG[300]!);
    assert.equal(tree.size, 300);
    assert.equal(fork.size, 301);
    assert.deepEqual(tree.root(), rootFromLeafHashes(BIG.slice(0, 300)));
  });
});
