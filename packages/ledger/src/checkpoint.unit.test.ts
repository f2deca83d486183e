import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, verify } from "node:crypto";
import {
  ALG_COSIGNATURE_V1,
  ALG_ED25519,
  NoteError,
  addNoteSignature,
  cosignNote,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignerFromSeed,
  formatCheckpoint,
  formatSkey,
  formatVkey,
  generateCosigner,
  generateSigner,
  keyHash,
  noteVerifier,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVkey,
  signNote,
  signerFromPrivateKey,
  signerFromSeed,
  signerFromSkey,
  verifierFromVkey,
  verifyCosignature,
} from "./checkpoint.ts";
import { emptyRoot, leafHash, rootFromLeafHashes } from "./merkle.ts";

// Published vectors from golang.org/x/mod/sumdb/note (note_test.go).
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"; // the all-zero seed
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG =
  "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

const ORIGIN = "audit.govmesh.example/ledger";
const ROOT = rootFromLeafHashes([leafHash(Buffer.from("a")), leafHash(Buffer.from("b"))]);
const BODY = formatCheckpoint({ origin: ORIGIN, size: 2, rootHash: ROOT });

const logKey = signerFromSeed(ORIGIN, Buffer.alloc(32, 7));
const rejects = (fn: () => unknown, pattern?: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof NoteError && (pattern === undefined || pattern.test(err.message)));

describe("checkpoint: keys", () => {
  it("reproduces the Go sumdb/note signer, vkey and key hash", () => {
    const signer = signerFromSkey(PETER_SKEY);
    assert.equal(signer.name, "PeterNeumann");
    assert.equal(signer.keyHash, 0xc74f20a3);
    assert.equal(signer.vkey, PETER_VKEY);
    assert.equal(keyHash("PeterNeumann", ALG_ED25519, signer.publicKey), 0xc74f20a3);
  });

  it("derives the documented key from the all-zero seed", () => {
    const zero = signerFromSeed("EnochRoot", Buffer.alloc(32));
    assert.equal(zero.vkey, ENOCH_VKEY);
    assert.equal(zero.publicKey.toString("hex"), "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29");
    assert.equal(signerFromSeed("EnochRoot", Buffer.alloc(32)).keyHash, 0xaf0cfe78, "deterministic");
  });

  it("matches RFC 8032 test 1 through the PKCS#8 seed wrapping", () => {
    const seed = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
    const signer = signerFromSeed("rfc8032", seed);
    assert.equal(signer.publicKey.toString("hex"), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert.equal(
      signer.sign(new Uint8Array(0)).toString("hex"),
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
  });

  it("parses vkeys and round-trips them", () => {
    const peter = parseVkey(PETER_VKEY);
    assert.equal(peter.name, "PeterNeumann");
    assert.equal(peter.keyHash, 0xc74f20a3);
    assert.equal(peter.algorithm, ALG_ED25519);
    assert.equal(formatVkey(peter.name, peter.algorithm, peter.publicKey), PETER_VKEY);
    const generated = generateSigner("example.com/log");
    const parsed = parseVkey(generated.vkey);
    assert.deepEqual(parsed.publicKey, generated.signer.publicKey);
    assert.equal(formatVkey(parsed.name, parsed.algorithm, parsed.publicKey), generated.vkey);
  });

  it("accepts vkeys from transparency-dev/formats, including a '+' inside the key", () => {
    const ed = parseVkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6");
    assert.equal(ed.algorithm, ALG_ED25519);
    const cosig = parseVkey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
    assert.equal(cosig.algorithm, ALG_COSIGNATURE_V1);
    assert.equal(cosig.keyHash, 0xda77ade7);
  });

  it("rejects every mangling of a vkey (as Go's TestNewVerifier)", () => {
    const b = Buffer.from(PETER_VKEY, "latin1");
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i !== 0 || j !== b.length) rejects(() => parseVkey(b.subarray(i, j).toString("latin1")));
      }
    }
    for (let i = 0; i < b.length; i++) {
      const c = Buffer.from(b);
      c[i] = (c[i] as number) + 1;
      rejects(() => parseVkey(c.toString("latin1")));
    }
    rejects(() => parseVkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")); // wrong length
    rejects(() => parseVkey(formatVkey("PeterNeumann", ALG_ED25519, Buffer.alloc(33))), /32 bytes/);
    rejects(() => parseVkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"), /unsupported/);
    rejects(() => parseVkey("rekor.sigstore.dev+12345678+AwEB"), /unsupported vkey signature type 0x03/);
    rejects(() => parseVkey("bananas.sigstore.dev+12344556"));
    rejects(() => parseVkey("rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!"), /base64/);
  });

  it("round-trips Go-format signer keys", () => {
    const generated = generateSigner("example.com/log");
    assert.equal(generated.skey, formatSkey(generated.name, generated.seed));
    const again = signerFromSkey(generated.skey);
    assert.equal(again.vkey, generated.vkey);
    assert.equal(formatSkey("PeterNeumann", Buffer.from("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "base64").subarray(1)), PETER_SKEY);
    rejects(() => signerFromSkey(PETER_SKEY.replace("c74f20a3", "c74f20a4")), /key hash/);
    rejects(() => signerFromSkey(PETER_SKEY.replace("PRIVATE+KEY+", "")), /malformed skey/);
  });

  it("wraps a KeyObject private key", () => {
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32)]);
    const key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
    assert.equal(signerFromPrivateKey("EnochRoot", key).vkey, ENOCH_VKEY);
    rejects(() => signerFromPrivateKey("EnochRoot", createPublicKey(key)), /Ed25519 private key/);
  });

  it("rejects invalid key names", () => {
    for (const name of ["", "a b", "a+b", "a\u00a0b", "tab\there", "nl\n"]) {
      rejects(() => signerFromSeed(name, Buffer.alloc(32)), /invalid key name/);
    }
    rejects(() => signerFromSeed("ok", Buffer.alloc(31)), /32 bytes/);
  });
});

describe("checkpoint: signed notes", () => {
  it("signs exactly like golang.org/x/mod/sumdb/note", () => {
    assert.equal(signNote(GO_TEXT, signerFromSkey(PETER_SKEY)), `${GO_TEXT}\n${PETER_SIG}`);
    assert.equal(signNote(GO_TEXT, signerFromSeed("EnochRoot", Buffer.alloc(32))), `${GO_TEXT}\n${ENOCH_SIG}`);
  });

  it("opens Go's notes: known keys verified, unknown keys ignored", () => {
    const peter = verifierFromVkey(PETER_VKEY);
    const enoch = verifierFromVkey(ENOCH_VKEY);
    const msg = `${GO_TEXT}\n${PETER_SIG}${ENOCH_SIG}`;

    const one = openNote(msg, [peter]);
    assert.equal(one.body, GO_TEXT);
    assert.deepEqual(one.verified.map((s) => s.name), ["PeterNeumann"]);
    assert.deepEqual(one.unknown.map((s) => [s.name, s.keyHash]), [["EnochRoot", 0xaf0cfe78]]);

    const both = openNote(msg, [peter, enoch]);
    assert.deepEqual(both.verified.map((s) => s.name), ["PeterNeumann", "EnochRoot"]);
    assert.equal(both.unknown.length, 0);

    rejects(() => openNote(msg, []), /no verifiable signatures/);
    rejects(() => openNote(`${GO_TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]), /ambiguous key EnochRoot\+af0cfe78/);
    openNote(`${GO_TEXT}\n${PETER_SIG}`, [enoch, peter, enoch]); // the duplicate is never consulted
    rejects(() => openNote(`${GO_TEXT}\n${PETER_SIG.repeat(101)}`, [peter]), /more than 100 signatures/);
    rejects(
      () => openNote(`${GO_TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [peter]),
      /invalid signature for key PeterNeumann\+c74f20a3/,
    );
  });

  it("ignores a signature whose name or key ID differs from the known key", () => {
    const peter = verifierFromVkey(PETER_VKEY);
    const renamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego");
    rejects(() => openNote(`${GO_TEXT}\n${renamed}`, [peter]), /no verifiable signatures/);
    const rehashed = PETER_SIG.replace("x08g", "xxxx");
    rejects(() => openNote(`${GO_TEXT}\n${rehashed}`, [peter]), /no verifiable signatures/);
  });

  it("rejects malformed notes (Go's list and more)", () => {
    const peter = verifierFromVkey(PETER_VKEY);
    const bad = [
      GO_TEXT,
      GO_TEXT + "\n",
      GO_TEXT + "\n" + PETER_SIG.slice(0, -1),
      "\x01" + GO_TEXT + "\n" + PETER_SIG,
      GO_TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
      GO_TEXT + "\n" + PETER_SIG.replace("— ", "- "),
      GO_TEXT + "\n" + PETER_SIG.replace("=\n", "\n"), // unpadded base64
      GO_TEXT + "\n" + "— PeterNeumann AAAA\n", // shorter than key ID + 1 byte
      GO_TEXT + "\n" + "— PeterNeumann\n",
      GO_TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG,
      "bad\uD800surrogate\n\n" + PETER_SIG,
    ];
    for (const msg of bad) rejects(() => openNote(msg, [peter]), /malformed|control character|well-formed/);
    rejects(() => openNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(GO_TEXT + "\n" + PETER_SIG)]), [peter]), /UTF-8/);
    openNote(Buffer.from(GO_TEXT + "\n" + PETER_SIG, "utf8"), [peter]); // bytes are fine
  });

  it("round-trips a checkpoint through sign and open", () => {
    const note = signNote(BODY, logKey);
    const { checkpoint, note: opened } = openCheckpoint(note, [logKey.verifier()], ORIGIN);
    assert.equal(checkpoint.origin, ORIGIN);
    assert.equal(checkpoint.size, 2);
    assert.deepEqual(checkpoint.rootHash, ROOT);
    assert.deepEqual(checkpoint.extensions, []);
    assert.equal(opened.verified.length, 1);
    rejects(() => openCheckpoint(note, [logKey.verifier()], "other.example/log"), /origin/);
  });

  it("rejects altered origin, size, root and signature", () => {
    const note = signNote(BODY, logKey);
    const verifiers = [logKey.verifier()];
    const rootB64 = ROOT.toString("base64");
    const otherRoot = Buffer.from(ROOT);
    otherRoot[0] = (otherRoot[0] as number) ^ 1;
    const altered = [
      note.replace(ORIGIN, "audit.govmesh.example/ledger2"),
      note.replace(`\n2\n`, `\n3\n`),
      note.replace(rootB64, otherRoot.toString("base64")),
      note.replace(rootB64, emptyRoot().toString("base64")),
    ];
    for (const a of altered) {
      assert.notEqual(a, note);
      rejects(() => openNote(a, verifiers), /invalid signature/);
    }
    const sig = parseNote(note).signatures[0];
    assert.ok(sig);
    for (const byte of [4, 30, 67]) {
      const raw = Buffer.concat([Buffer.alloc(4), sig.signature]);
      raw.writeUInt32BE(sig.keyHash);
      raw[byte] = (raw[byte] as number) ^ 0x40;
      const tampered = `${BODY}\n— ${ORIGIN} ${raw.toString("base64")}\n`;
      rejects(() => openNote(tampered, verifiers), /invalid signature/);
    }
    // Truncated signature bytes.
    const short = Buffer.concat([Buffer.alloc(4), sig.signature.subarray(0, 63)]);
    short.writeUInt32BE(sig.keyHash);
    rejects(() => openNote(`${BODY}\n— ${ORIGIN} ${short.toString("base64")}\n`, verifiers), /invalid signature/);
  });

  it("supports key rotation: old and new key both sign, either verifier suffices", () => {
    const newKey = signerFromSeed(ORIGIN, Buffer.alloc(32, 9));
    assert.notEqual(newKey.keyHash, logKey.keyHash);
    const note = addNoteSignature(signNote(BODY, logKey), newKey);
    assert.equal(parseNote(note).signatures.length, 2);
    assert.deepEqual(openNote(note, [logKey.verifier()]).unknown.map((s) => s.keyHash), [newKey.keyHash]);
    assert.deepEqual(openNote(note, [newKey.verifier()]).unknown.map((s) => s.keyHash), [logKey.keyHash]);
    assert.equal(openNote(note, [logKey.verifier(), newKey.verifier()]).verified.length, 2);
    // Re-signing with the same key replaces rather than duplicates its line.
    assert.equal(parseNote(addNoteSignature(note, newKey)).signatures.length, 2);
    assert.equal(signNote(BODY, logKey, newKey), note);
  });

  it("refuses to sign text that could not be opened", () => {
    rejects(() => signNote("no newline", logKey), /newline/);
    rejects(() => signNote("tab\there\n", logKey), /control character/);
    rejects(() => signNote(BODY), /at least one signer/);
  });

  it("verifies with a verifier built from raw key material", () => {
    const v = noteVerifier(logKey.name, logKey.publicKey);
    assert.equal(v.keyHash, logKey.keyHash);
    openNote(signNote(BODY, logKey), [v]);
    openNote(signNote(BODY, logKey), [verifierFromVkey(logKey.vkey)]);
  });
});

describe("checkpoint: checkpoint bodies", () => {
  it("formats and parses the C2SP example", () => {
    const body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    const cp = parseCheckpoint(body);
    assert.equal(cp.origin, "example.com/behind-the-sofa");
    assert.equal(cp.size, 20852163);
    assert.equal(formatCheckpoint(cp), body);
  });

  it("keeps extension lines", () => {
    const body = formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: emptyRoot(), extensions: ["ext one", "ext two"] });
    assert.equal(body, `${ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n` + "ext one\next two\n");
    assert.deepEqual(parseCheckpoint(body).extensions, ["ext one", "ext two"]);
  });

  it("rejects malformed checkpoints", () => {
    const root = ROOT.toString("base64");
    const bad = [
      `${ORIGIN}\n2\n${root}`, // no final newline
      `${ORIGIN}\n2\n`,
      `\n2\n${root}\n`,
      `${ORIGIN}\n02\n${root}\n`,
      `${ORIGIN}\n-2\n${root}\n`,
      `${ORIGIN}\n 2\n${root}\n`,
      `${ORIGIN}\n2\n${root.slice(0, -1)}\n`,
      `${ORIGIN}\n2\n${Buffer.alloc(31).toString("base64")}\n`,
      `${ORIGIN}\n2\n${root}\n\n`, // empty extension line
      `${ORIGIN}\n99999999999999999999\n${root}\n`,
      `${ORIGIN}\r\n2\n${root}\n`,
    ];
    for (const body of bad) rejects(() => parseCheckpoint(body), undefined);
    rejects(() => formatCheckpoint({ origin: "", size: 1, rootHash: ROOT }), /origin/);
    rejects(() => formatCheckpoint({ origin: ORIGIN, size: -1, rootHash: ROOT }), /size/);
    rejects(() => formatCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT.subarray(1) }), /root hash/);
    rejects(() => formatCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT, extensions: [""] }), /extension/);
  });
});

describe("checkpoint: witness cosignatures", () => {
  const witness = cosignerFromSeed("witness.example/w1", Buffer.alloc(32, 3));

  it("signs the cosignature/v1 message and prefixes the timestamp", () => {
    const sig = witness.cosign(BODY, 1679315147);
    assert.equal(sig.length, 72);
    assert.equal(sig.readBigUInt64BE(0), 1679315147n);
    const message = Buffer.from(`cosignature/v1\ntime 1679315147\n${BODY}`, "utf8");
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), witness.publicKey]);
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    assert.ok(verify(null, message, key, sig.subarray(8)), "independent check of the signed message");
    assert.equal(verifyCosignature(BODY, sig, witness.publicKey), 1679315147);
  });

  it("uses signature type 0x04 in the key ID and vkey", () => {
    assert.equal(witness.keyHash, keyHash(witness.name, ALG_COSIGNATURE_V1, witness.publicKey));
    assert.notEqual(witness.keyHash, keyHash(witness.name, ALG_ED25519, witness.publicKey));
    const parsed = parseVkey(witness.vkey);
    assert.equal(parsed.algorithm, ALG_COSIGNATURE_V1);
    assert.equal(verifierFromVkey(witness.vkey).keyHash, witness.keyHash);
  });

  it("adds a cosignature line that openNote verifies alongside the log signature", () => {
    const note = cosignNote(signNote(BODY, logKey), witness, 1700000000);
    const lines = parseNote(note).signatures;
    assert.deepEqual(lines.map((s) => s.name), [ORIGIN, "witness.example/w1"]);
    // A client that only knows the log key ignores the cosignature...
    assert.equal(openNote(note, [logKey.verifier()]).unknown.length, 1);
    // ...and one that also tracks the witness verifies both.
    const opened = openNote(note, [logKey.verifier(), verifierFromVkey(witness.vkey)]);
    assert.equal(opened.verified.length, 2);
    const cosig = opened.verified[1];
    assert.ok(cosig);
    assert.equal(cosignatureTimestamp(cosig.signature), 1700000000);
    // Cosigning again replaces the witness's earlier line.
    const again = cosignNote(note, witness, 1700000100);
    assert.equal(parseNote(again).signatures.length, 2);
    assert.equal(cosignatureTimestamp(parseNote(again).signatures[1]?.signature ?? Buffer.alloc(0)), 1700000100);
  });

  it("rejects a cosignature with an altered timestamp, body or signature", () => {
    const sig = witness.cosign(BODY, 1700000000);
    const laterTime = Buffer.from(sig);
    laterTime.writeBigUInt64BE(1700000001n, 0);
    rejects(() => verifyCosignature(BODY, laterTime, witness.publicKey), /does not verify/);
    rejects(() => verifyCosignature(BODY.replace("\n2\n", "\n3\n"), sig, witness.publicKey), /does not verify/);
    const flipped = Buffer.from(sig);
    flipped[40] = (flipped[40] as number) ^ 1;
    rejects(() => verifyCosignature(BODY, flipped, witness.publicKey), /does not verify/);
    rejects(() => verifyCosignature(BODY, sig.subarray(8), witness.publicKey), /72 bytes/);
    rejects(() => verifyCosignature(BODY, sig, logKey.publicKey), /does not verify/);
    const note = cosignNote(signNote(BODY, logKey), witness, 1700000000);
    const w = verifierFromVkey(witness.vkey);
    rejects(() => openNote(note.replace("\n2\n", "\n3\n"), [w]), /invalid signature/);
  });

  it("keeps cosignatures and plain signatures apart (domain separation)", () => {
    // The same key material used as a plain note key must not validate a cosignature, and vice versa.
    const seed = Buffer.alloc(32, 3);
    const plain = signerFromSeed("witness.example/w1", seed);
    const plainNote = signNote(BODY, plain);
    rejects(() => openNote(plainNote, [cosignatureVerifier(witness.name, witness.publicKey)]), /no verifiable signatures/);
    const cosigned = cosignNote(plainNote, witness, 5);
    const plainSig = parseNote(cosigned).signatures[0];
    assert.ok(plainSig);
    // A raw Ed25519 signature over the body is not a valid cosignature even with a timestamp in front.
    const forged = Buffer.concat([Buffer.alloc(8), plainSig.signature]);
    rejects(() => verifyCosignature(BODY, forged, witness.publicKey), /does not verify/);
  });

  it("reads timestamps from published cosignatures", () => {
    // c2sp.org/tlog-cosignature example line (its timestamp line reads "time 1679315147").
    const spec = Buffer.from(
      "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==",
      "base64",
    );
    assert.equal(cosignatureTimestamp(spec.subarray(4)), 1679315147);
    // transparency-dev/formats TestCoSigV1Timestamp.
    const tdev = Buffer.from(
      "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==",
      "base64",
    );
    assert.equal(cosignatureTimestamp(tdev.subarray(4)), 1727964367);
    rejects(() => cosignatureTimestamp(Buffer.alloc(68)), /72 bytes/);
  });

  it("generates cosigners and only cosigns checkpoints", () => {
    const { cosigner, vkey } = generateCosigner("witness.example/w2");
    assert.equal(vkey, cosigner.vkey);
    const note = cosignNote(signNote(BODY, logKey), cosigner, 10);
    assert.equal(openNote(note, [cosigner.verifier()]).verified.length, 1);
    rejects(() => cosigner.cosign("just\none line\n", 10), /checkpoint/);
    rejects(() => cosigner.cosign(BODY, -1), /timestamp/);
    rejects(() => cosigner.cosign(BODY, 1.5), /timestamp/);
  });
});
