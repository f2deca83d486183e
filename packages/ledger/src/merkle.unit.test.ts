import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  CompactRange,
  MerkleProofError,
  SubtreeHashCache,
  consistencyProof,
  consistencyProofLength,
  emptyRoot,
  inclusionProof,
  inclusionProofLength,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from "./merkle.ts";

const hex = (h: string): Buffer => Buffer.from(h, "hex");

// RFC 6962 reference data as used by transparency-dev/merkle (proof/verify_test.go)
// and certificate-transparency.
const LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map(hex);
const LEAF_HASHES = LEAVES.map((l) => leafHash(l));
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
].map(hex);
const EMPTY_ROOT_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SOME_HASH = hex("abacaba000000000000000000000000000000000000000000060061e00123456");

const rootOfSize = (n: number): Buffer => ROOTS[n - 1] as Buffer;
const refLeafHash = (i: number): Buffer => LEAF_HASHES[i] as Buffer;

// Inclusion vectors: 0-based leaf index, tree size, expected audit path.
const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  { index: 2, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1,
    size: 5,
    proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];

const CONSISTENCY_VECTORS: { m: number; n: number; proof: string[] }[] = [
  { m: 1, n: 1, proof: [] },
  {
    m: 1,
    n: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    m: 6,
    n: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    m: 2,
    n: 5,
    proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    m: 6,
    n: 7,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

/** MTH straight from the RFC 9162 §2.1.1 definition, as an independent reference. */
function referenceRoot(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return createHash("sha256").digest();
  if (hashes.length === 1) return Buffer.from(hashes[0] as Uint8Array);
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(referenceRoot(hashes.slice(0, k)), referenceRoot(hashes.slice(k)));
}

const rejects = (fn: () => void, what: string): void => assert.throws(fn, MerkleProofError, what);

function flipBit(h: Uint8Array, byte = 0, mask = 0x08): Buffer {
  const c = Buffer.from(h);
  c[byte] = (c[byte] as number) ^ mask;
  return c;
}

/** The mutations transparency-dev/merkle's verifier tests try on a good inclusion proof. */
function inclusionMutations(index: number, size: number, proof: Buffer[], root: Buffer, leaf: Buffer) {
  const probes: { desc: string; index: number; size: number; leaf: Uint8Array; proof: Uint8Array[]; root: Uint8Array }[] = [
    { desc: "index - 1", index: index - 1, size, leaf, proof, root },
    { desc: "index + 1", index: index + 1, size, leaf, proof, root },
    { desc: "index ^ 2", index: index ^ 2, size, leaf, proof, root },
    { desc: "size * 2", index, size: size * 2, leaf, proof, root },
    { desc: "size / 2", index, size: Math.floor(size / 2), leaf, proof, root },
    { desc: "wrong leaf", index, size, leaf: leafHash(Buffer.from("WrongLeaf")), proof, root },
    { desc: "empty root", index, size, leaf, proof, root: emptyRoot() },
    { desc: "random root", index, size, leaf, proof, root: SOME_HASH },
    { desc: "flipped root bit", index, size, leaf, proof, root: flipBit(root, 31, 0x01) },
    { desc: "trailing root", index, size, leaf, proof: [...proof, root], root },
    { desc: "preceding root", index, size, leaf, proof: [root, ...proof], root },
    { desc: "trailing short garbage", index, size, leaf, proof: [...proof, Buffer.alloc(0)], root },
  ];
  proof.forEach((_, i) => {
    const bad = [...proof];
    bad[i] = flipBit(proof[i] as Buffer);
    probes.push({ desc: `proof[${i}] bit flip`, index, size, leaf, proof: bad, root });
  });
  if (proof.length > 0) probes.push({ desc: "truncated", index, size, leaf, proof: proof.slice(0, -1), root });
  if (proof.length > 1) {
    probes.push({ desc: "inserted", index, size, leaf, proof: [proof[0] as Buffer, SOME_HASH, ...proof.slice(1)], root });
    for (let i = 0; i + 1 < proof.length; i++) {
      const swapped = [...proof];
      [swapped[i], swapped[i + 1]] = [proof[i + 1] as Buffer, proof[i] as Buffer];
      probes.push({ desc: `swapped siblings ${i},${i + 1}`, index, size, leaf, proof: swapped, root });
    }
  }
  return probes.filter((p) => p.index >= 0);
}

function consistencyMutations(m: number, n: number, proof: Buffer[], oldRoot: Buffer, newRoot: Buffer) {
  const probes: { desc: string; m: number; n: number; proof: Uint8Array[]; oldRoot: Uint8Array; newRoot: Uint8Array }[] = [
    { desc: "m - 1", m: m - 1, n, proof, oldRoot, newRoot },
    { desc: "m + 1", m: m + 1, n, proof, oldRoot, newRoot },
    { desc: "m ^ 2", m: m ^ 2, n, proof, oldRoot, newRoot },
    { desc: "n * 2", m, n: n * 2, proof, oldRoot, newRoot },
    { desc: "n / 2", m, n: Math.floor(n / 2), proof, oldRoot, newRoot },
    { desc: "wrong old root", m, n, proof, oldRoot: SOME_HASH, newRoot },
    { desc: "wrong new root", m, n, proof, oldRoot, newRoot: SOME_HASH },
    { desc: "flipped new root bit", m, n, proof, oldRoot, newRoot: flipBit(newRoot, 31, 0x01) },
    { desc: "swapped roots", m, n, proof, oldRoot: newRoot, newRoot: oldRoot },
    { desc: "empty proof", m, n, proof: [], oldRoot, newRoot },
    { desc: "trailing old root", m, n, proof: [...proof, oldRoot], oldRoot, newRoot },
    { desc: "trailing new root", m, n, proof: [...proof, newRoot], oldRoot, newRoot },
    { desc: "preceding old root", m, n, proof: [oldRoot, ...proof], oldRoot, newRoot },
    { desc: "preceding proof[0]", m, n, proof: [proof[0] as Buffer, ...proof], oldRoot, newRoot },
    { desc: "truncated", m, n, proof: proof.slice(0, -1), oldRoot, newRoot },
  ];
  proof.forEach((_, i) => {
    const bad = [...proof];
    bad[i] = flipBit(proof[i] as Buffer, 0, 0x10);
    probes.push({ desc: `proof[${i}] bit flip`, m, n, proof: bad, oldRoot, newRoot });
  });
  for (let i = 0; i + 1 < proof.length; i++) {
    const swapped = [...proof];
    [swapped[i], swapped[i + 1]] = [proof[i + 1] as Buffer, proof[i] as Buffer];
    probes.push({ desc: `swapped ${i},${i + 1}`, m, n, proof: swapped, oldRoot, newRoot });
  }
  return probes;
}

describe("merkle: RFC 6962 reference vectors", () => {
  it("hashes the empty tree to SHA-256 of the empty string", () => {
    assert.equal(emptyRoot().toString("hex"), EMPTY_ROOT_HEX);
    assert.equal(rootFromLeafHashes([]).toString("hex"), EMPTY_ROOT_HEX);
    assert.equal(new CompactRange().root().toString("hex"), EMPTY_ROOT_HEX);
  });

  it("uses 0x00 / 0x01 domain separation", () => {
    assert.equal(leafHash(Buffer.alloc(0)).toString("hex"), ROOTS[0]?.toString("hex"));
    const l = hex("00".repeat(32));
    const r = hex("11".repeat(32));
    assert.deepEqual(nodeHash(l, r), createHash("sha256").update(Buffer.concat([hex("01"), l, r])).digest());
  });

  it("computes the roots of sizes 1..8", () => {
    for (let n = 1; n <= 8; n++) {
      assert.deepEqual(rootFromLeafHashes(LEAF_HASHES.slice(0, n)), rootOfSize(n), `size ${n}`);
      assert.deepEqual(referenceRoot(LEAF_HASHES.slice(0, n)), rootOfSize(n), `reference, size ${n}`);
    }
  });

  it("grows a compact range through the same roots", () => {
    const range = new CompactRange();
    LEAF_HASHES.forEach((h, i) => {
      range.append(h);
      assert.equal(range.size, i + 1);
      assert.deepEqual(range.root(), rootOfSize(i + 1));
    });
  });

  for (const v of INCLUSION_VECTORS) {
    it(`inclusion proof for leaf ${v.index} of ${v.size}: generates, verifies, rejects mutations`, () => {
      const proof = inclusionProof(v.index, v.size, refLeafHash);
      assert.deepEqual(
        proof.map((h) => h.toString("hex")),
        v.proof,
      );
      assert.equal(inclusionProofLength(v.index, v.size), v.proof.length);
      const root = rootOfSize(v.size);
      const leaf = refLeafHash(v.index);
      assert.deepEqual(rootFromInclusionProof(leaf, v.index, v.size, proof), root);
      verifyInclusion(leaf, v.index, v.size, proof, root);
      for (const p of inclusionMutations(v.index, v.size, proof, root, leaf)) {
        rejects(() => verifyInclusion(p.leaf, p.index, p.size, p.proof, p.root), p.desc);
      }
    });
  }

  for (const v of CONSISTENCY_VECTORS) {
    it(`consistency proof ${v.m} -> ${v.n}: generates, verifies, rejects mutations`, () => {
      const proof = consistencyProof(v.m, v.n, refLeafHash);
      assert.deepEqual(
        proof.map((h) => h.toString("hex")),
        v.proof,
      );
      assert.equal(consistencyProofLength(v.m, v.n), v.proof.length);
      const oldRoot = rootOfSize(v.m);
      const newRoot = rootOfSize(v.n);
      verifyConsistency(v.m, v.n, proof, oldRoot, newRoot);
      if (proof.length === 0) return;
      for (const p of consistencyMutations(v.m, v.n, proof, oldRoot, newRoot)) {
        rejects(() => verifyConsistency(p.m, p.n, p.proof, p.oldRoot, p.newRoot), p.desc);
      }
    });
  }

  it("handles the trivial consistency cases as transparency-dev/merkle does (with a strict empty root)", () => {
    const empty = emptyRoot();
    const r1 = rootOfSize(1);
    const r2 = rootOfSize(2);
    // Always consistent.
    verifyConsistency(0, 0, [], empty, empty);
    verifyConsistency(0, 1, [], empty, r1);
    verifyConsistency(1, 1, [], r1, r1);
    // Same size, different roots.
    rejects(() => verifyConsistency(1, 1, [], r1, r2), "1,1 different roots");
    rejects(() => verifyConsistency(0, 0, [], empty, r1), "0,0 different roots");
    // Time travel to the past.
    rejects(() => verifyConsistency(1, 0, [], r1, empty), "m > n (1, 0)");
    rejects(() => verifyConsistency(2, 1, [], r2, r1), "m > n (2, 1)");
    rejects(() => verifyConsistency(8, 6, consistencyProof(6, 8, refLeafHash), rootOfSize(8), rootOfSize(6)), "m > n with a proof");
    // An empty proof between different sizes.
    rejects(() => verifyConsistency(1, 2, [], r1, r2), "1,2 empty proof");
    // Roots match but the proof is not empty.
    rejects(() => verifyConsistency(0, 0, [empty], empty, empty), "0,0 non-empty proof");
    rejects(() => verifyConsistency(0, 1, [empty], empty, r1), "m = 0 with a non-empty proof");
    rejects(() => verifyConsistency(0, 8, [rootOfSize(8)], empty, rootOfSize(8)), "m = 0 with a plausible proof");
    rejects(() => verifyConsistency(1, 1, [empty], r1, r1), "1,1 non-empty proof");
    // A 0-leaf tree has exactly one root.
    rejects(() => verifyConsistency(0, 1, [], SOME_HASH, r1), "m = 0 with a non-empty-tree old root");
  });

  it("rejects malformed arguments", () => {
    const leaf = refLeafHash(0);
    const root = rootOfSize(1);
    rejects(() => verifyInclusion(leaf, 0, 0, [], emptyRoot()), "index in an empty tree");
    rejects(() => verifyInclusion(leaf, 1, 1, [], root), "index == size");
    rejects(() => verifyInclusion(leaf, -1, 1, [], root), "negative index");
    rejects(() => verifyInclusion(leaf, 0.5, 1, [], root), "fractional index");
    rejects(() => verifyInclusion(leaf, 0, 1, [], Buffer.alloc(0)), "empty root");
    rejects(() => verifyInclusion(Buffer.alloc(0), 0, 1, [], root), "empty leaf hash");
    rejects(() => verifyInclusion(leaf, 0, 2, [Buffer.alloc(31)], rootOfSize(2)), "short proof hash");
    rejects(() => inclusionProof(8, 8, refLeafHash), "generate for index == size");
    rejects(() => consistencyProof(3, 2, refLeafHash), "generate for m > n");
    rejects(() => inclusionProof(0, 2, () => Buffer.alloc(3)), "source returning a bad hash");
  });
});

describe("merkle: second preimages and proof shape", () => {
  // Tree of 4: root = H(1 || n01 || n23). An attacker would like to present
  // the interior node n01 as if it were a leaf of a 2-leaf tree.
  const n01 = nodeHash(refLeafHash(0), refLeafHash(1));
  const n23 = nodeHash(refLeafHash(2), refLeafHash(3));
  const root4 = rootOfSize(4);

  it("an interior node's preimage hashes differently as a leaf", () => {
    const interiorPreimage = Buffer.concat([refLeafHash(0), refLeafHash(1)]);
    const asLeaf = leafHash(interiorPreimage);
    assert.notDeepEqual(asLeaf, n01);
    rejects(() => verifyInclusion(asLeaf, 0, 2, [n23], root4), "interior preimage as leaf 0 of 2");
    rejects(() => verifyInclusion(asLeaf, 0, 4, inclusionProof(0, 4, refLeafHash), root4), "interior preimage as leaf 0 of 4");
  });

  it("an interior node hash passed as a leaf of the real tree size fails on the proof length", () => {
    rejects(() => verifyInclusion(n01, 0, 4, [n23], root4), "n01 at index 0 of 4");
    rejects(() => verifyInclusion(n23, 1, 4, [n01], root4), "n23 at index 1 of 4");
    rejects(() => verifyInclusion(n01, 0, 4, [n23, SOME_HASH], root4), "n01 padded to the right length");
  });

  it("computes proof lengths like transparency-dev/merkle", () => {
    assert.equal(inclusionProofLength(0, 1), 0);
    assert.equal(inclusionProofLength(6, 7), 2);
    assert.equal(inclusionProofLength(0, 7), 3);
    assert.equal(inclusionProofLength(2 ** 40, 2 ** 41 + 5), 42);
    assert.equal(consistencyProofLength(0, 5), 0);
    assert.equal(consistencyProofLength(4, 8), 1);
    assert.equal(consistencyProofLength(3, 8), 4);
    for (const v of CONSISTENCY_VECTORS) assert.equal(consistencyProofLength(v.m, v.n), v.proof.length);
  });
});

describe("merkle: sizes beyond 32 bits", () => {
  it("walks the audit path arithmetically, not with 32-bit bitwise operators", () => {
    // Leaf 2^40 of a 2^41 + 5 leaf tree: left child for 40 levels, then a
    // right child at level 40, then the left half of the root.
    const index = 2 ** 40;
    const size = 2 ** 41 + 5;
    const proof = Array.from({ length: 42 }, (_, i) => leafHash(Buffer.from([i])));
    let expected: Buffer = refLeafHash(0);
    for (let level = 0; level < 40; level++) expected = nodeHash(expected, proof[level] as Buffer);
    expected = nodeHash(proof[40] as Buffer, expected);
    expected = nodeHash(expected, proof[41] as Buffer);
    assert.deepEqual(rootFromInclusionProof(refLeafHash(0), index, size, proof), expected);
    verifyInclusion(refLeafHash(0), index, size, proof, expected);
    rejects(() => verifyInclusion(refLeafHash(0), index + 2 ** 33, size, proof, expected), "index off by 2^33");
  });
});

describe("merkle: generated trees", () => {
  const leavesArb = (min: number, max: number) =>
    fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: min, maxLength: max });

  it("every inclusion proof verifies, for random trees of 1..300 leaves", () => {
    fc.assert(
      fc.property(leavesArb(1, 300), (leaves) => {
        const hashes = leaves.map((l) => leafHash(l));
        const size = hashes.length;
        const root = referenceRoot(hashes);
        assert.deepEqual(rootFromLeafHashes(hashes), root);
        const cache = new SubtreeHashCache((i) => hashes[i] as Buffer);
        for (let i = 0; i < size; i++) {
          const proof = inclusionProof(i, size, cache);
          assert.equal(proof.length, inclusionProofLength(i, size));
          verifyInclusion(hashes[i] as Buffer, i, size, proof, root);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("every consistency pair (m, n) verifies for n up to 64", () => {
    fc.assert(
      fc.property(leavesArb(1, 64), (leaves) => {
        const hashes = leaves.map((l) => leafHash(l));
        const cache = new SubtreeHashCache((i) => hashes[i] as Buffer);
        const roots = [emptyRoot(), ...hashes.map((_, i) => referenceRoot(hashes.slice(0, i + 1)))];
        const n = hashes.length;
        for (let m = 0; m <= n; m++) {
          const proof = consistencyProof(m, n, cache);
          assert.equal(proof.length, consistencyProofLength(m, n));
          verifyConsistency(m, n, proof, roots[m] as Buffer, roots[n] as Buffer);
        }
      }),
      { numRuns: 64 },
    );
  });

  it("every consistency pair verifies over one tree of 64 leaves, including intermediate sizes", () => {
    const hashes = Array.from({ length: 64 }, (_, i) => leafHash(Buffer.from([i])));
    const cache = new SubtreeHashCache((i) => hashes[i] as Buffer);
    const roots = [emptyRoot(), ...hashes.map((_, i) => referenceRoot(hashes.slice(0, i + 1)))];
    for (let n = 0; n <= 64; n++) {
      for (let m = 0; m <= n; m++) {
        verifyConsistency(m, n, consistencyProof(m, n, cache), roots[m] as Buffer, roots[n] as Buffer);
      }
    }
  });

  it("the compact range root equals the recursive root after every append", () => {
    fc.assert(
      fc.property(leavesArb(0, 300), (leaves) => {
        const hashes = leaves.map((l) => leafHash(l));
        const range = new CompactRange();
        assert.deepEqual(range.root(), emptyRoot());
        hashes.forEach((h, i) => {
          range.append(h);
          assert.deepEqual(range.root(), referenceRoot(hashes.slice(0, i + 1)));
        });
      }),
      { numRuns: 25 },
    );
  });

  it("a compact range survives persistence through its frontier", () => {
    fc.assert(
      fc.property(leavesArb(0, 200), fc.nat(), (leaves, cut) => {
        const hashes = leaves.map((l) => leafHash(l));
        const at = hashes.length === 0 ? 0 : cut % (hashes.length + 1);
        const first = new CompactRange();
        hashes.slice(0, at).forEach((h) => first.append(h));
        const frontier = first.frontier().map((h) => h.toString("hex"));
        const restored = CompactRange.fromFrontier(first.size, frontier.map(hex));
        hashes.slice(at).forEach((h) => restored.append(h));
        assert.equal(restored.size, hashes.length);
        assert.deepEqual(restored.root(), referenceRoot(hashes));
      }),
      { numRuns: 50 },
    );
  });

  it("rejects a frontier of the wrong shape", () => {
    const range = new CompactRange();
    for (let i = 0; i < 7; i++) range.append(refLeafHash(i));
    assert.equal(range.frontier().length, 3);
    rejects(() => CompactRange.fromFrontier(7, range.frontier().slice(1)), "too few hashes");
    rejects(() => CompactRange.fromFrontier(8, range.frontier()), "too many hashes");
    rejects(() => CompactRange.fromFrontier(1, [Buffer.alloc(5)]), "short hash");
    const clone = range.clone();
    clone.append(refLeafHash(7));
    assert.deepEqual(clone.root(), rootOfSize(8));
    assert.deepEqual(range.root(), rootOfSize(7), "clone is independent");
  });

  it("rejects random corruptions of good proofs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), fc.nat(255), (size, i, which, bit) => {
        const hashes = Array.from({ length: size }, (_, k) => leafHash(Buffer.from(`entry ${k}`)));
        const root = referenceRoot(hashes);
        const index = i % size;
        const proof = inclusionProof(index, size, (k) => hashes[k] as Buffer);
        if (proof.length === 0) return;
        const bad = [...proof];
        const j = which % bad.length;
        bad[j] = flipBit(bad[j] as Buffer, bit % 32, 1 << bit % 8);
        rejects(() => verifyInclusion(hashes[index] as Buffer, index, size, bad, root), "bit flip");
        rejects(() => verifyInclusion(hashes[index] as Buffer, (index + 1) % size, size, proof, root), "other index");
        // No "size + 1" probe: e.g. leaf 0 of 5 and of 6 share an audit-path
        // shape, and it is the root (signed together with its size) that
        // tells the trees apart, so only sizes with another shape must fail.
      }),
      { numRuns: 200 },
    );
  });

  it("rejects consistency proofs between trees that diverge", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), fc.nat(), (n, mSeed, changeSeed) => {
        const m = 1 + (mSeed % (n - 1)); // 0 < m < n
        const hashes = Array.from({ length: n }, (_, k) => leafHash(Buffer.from(`entry ${k}`)));
        const forged = [...hashes];
        forged[changeSeed % m] = leafHash(Buffer.from("rewritten history"));
        const proof = consistencyProof(m, n, (k) => hashes[k] as Buffer);
        rejects(
          () => verifyConsistency(m, n, proof, referenceRoot(forged.slice(0, m)), referenceRoot(hashes)),
          "old tree with a rewritten leaf",
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe("merkle: hash sources", () => {
  it("uses stored subtree hashes and memoises lookups", () => {
    let leafCalls = 0;
    let subtreeCalls = 0;
    const cache = new SubtreeHashCache({
      leafHash: (i) => {
        leafCalls++;
        return refLeafHash(i);
      },
      subtreeHash: (start, end) => {
        subtreeCalls++;
        // The service might keep only perfect subtrees of 4 leaves.
        return end - start === 4 && start % 4 === 0 ? referenceRoot(LEAF_HASHES.slice(start, end)) : undefined;
      },
    });
    for (let i = 0; i < 8; i++) verifyInclusion(refLeafHash(i), i, 8, inclusionProof(i, 8, cache), rootOfSize(8));
    for (let m = 0; m <= 8; m++) verifyConsistency(m, 8, consistencyProof(m, 8, cache), m === 0 ? emptyRoot() : rootOfSize(m), rootOfSize(8));
    assert.ok(leafCalls <= 8, `each leaf hash fetched at most once, got ${leafCalls}`);
    const firstRound = subtreeCalls;
    for (let i = 0; i < 8; i++) inclusionProof(i, 8, cache);
    assert.equal(subtreeCalls, firstRound, "second round served from the memo");
    assert.deepEqual(cache.hash(0, 8), rootOfSize(8));
    assert.deepEqual(cache.hash(3, 3), emptyRoot());
  });

  it("hands out copies, so mutating a proof cannot poison the memo", () => {
    const cache = new SubtreeHashCache(refLeafHash);
    const proof = inclusionProof(0, 8, cache);
    (proof[0] as Buffer).fill(0);
    verifyInclusion(refLeafHash(0), 0, 8, inclusionProof(0, 8, cache), rootOfSize(8));
    const range = new CompactRange();
    range.append(refLeafHash(0));
    range.root().fill(0);
    range.frontier()[0]?.fill(0);
    assert.deepEqual(range.root(), rootOfSize(1));
  });

  it("rejects a stored subtree hash of the wrong size", () => {
    const cache = new SubtreeHashCache({ leafHash: refLeafHash, subtreeHash: () => Buffer.alloc(16) });
    rejects(() => cache.hash(0, 8), "short subtree hash");
  });
});
