// Signed checkpoints for the audit ledger, in the C2SP formats so that the
// Go transparency-log ecosystem (golang.org/x/mod/sumdb/note, witnesses,
// monitors) can read and countersign them:
//
//   https://c2sp.org/signed-note        note text + "— name base64(keyID||sig)" lines
//   https://c2sp.org/tlog-checkpoint    origin / size / base64 root (+ extension lines)
//   https://c2sp.org/tlog-cosignature   witness cosignatures, Ed25519 cosignature/v1
//
// Only Ed25519 is supported: signature type 0x01 for the log's own key and
// 0x04 for cosignatures.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { HASH_SIZE } from "./merkle.ts";

/** Signature type of plain Ed25519 note signatures (c2sp.org/signed-note). */
export const ALG_ED25519 = 0x01;
/** Signature type of timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature). */
export const ALG_COSIGNATURE_V1 = 0x04;

const SEED_SIZE = 32;
const PUBLIC_KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
const TIMESTAMP_SIZE = 8;
/** Notes with more signature lines are rejected unread (the spec demands at least 16; Go uses 100). */
export const MAX_NOTE_SIGNATURES = 100;

// DER wrappers that turn raw Ed25519 keys into something node:crypto accepts (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Raised for malformed notes, checkpoints and keys, and for failed verification. */
export class NoteError extends Error {
  override readonly name = "NoteError";
}

// ---------------------------------------------------------------------------
// Encoding helpers.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 (RFC 4648 §4), strictly: padding required, no whitespace,
 * and canonical trailing bits, so one byte string has one text form.
 * Buffer.from(s, "base64") alone would silently skip invalid characters.
 */
function decodeBase64(s: string, what: string): Buffer {
  if (!BASE64.test(s)) throw new NoteError(`${what} is not valid base64`);
  const bytes = Buffer.from(s, "base64");
  if (bytes.toString("base64") !== s) throw new NoteError(`${what} is not canonical base64`);
  return bytes;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/**
 * Key names must be non-empty and free of Unicode white space and "+"
 * (signed-note §Format); the signature-line and vkey syntaxes depend on it.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !/[\p{White_Space}+]/u.test(name);
}

function checkKeyName(name: string): void {
  if (typeof name !== "string" || !isValidKeyName(name)) {
    throw new NoteError(`invalid key name ${JSON.stringify(name)}: must be non-empty, without spaces or "+"`);
  }
}

/** A note text must be well-formed Unicode without control characters other than newline. */
function checkNoteCharacters(text: string, what: string): void {
  if (!text.isWellFormed()) throw new NoteError(`${what} is not well-formed Unicode`);
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteError(`${what} contains a control character`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function noteToString(note: string | Uint8Array): string {
  if (typeof note === "string") return note;
  try {
    return utf8.decode(note);
  } catch {
    throw new NoteError("malformed note: not valid UTF-8");
  }
}

// ---------------------------------------------------------------------------
// Keys.

/**
 * Key ID of a note key: the first 4 bytes (big-endian) of
 * SHA-256(name || 0x0A || signature type || public key).
 */
export function keyHash(name: string, algorithm: number, publicKey: Uint8Array): number {
  return createHash("sha256")
    .update(name, "utf8")
    .update(Uint8Array.of(0x0a, algorithm))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/** Verifier key string: `<name>+<hex key ID>+<base64(type || public key)>`. */
export function formatVkey(name: string, algorithm: number, publicKey: Uint8Array): string {
  checkKeyName(name);
  const key = Buffer.concat([Uint8Array.of(algorithm), publicKey]);
  return `${name}+${hex32(keyHash(name, algorithm, publicKey))}+${key.toString("base64")}`;
}

export interface ParsedVkey {
  name: string;
  keyHash: number;
  /** ALG_ED25519 or ALG_COSIGNATURE_V1. */
  algorithm: number;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
}

/** Parses and checks a vkey; the embedded key ID must match the key. */
export function parseVkey(vkey: string): ParsedVkey {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) throw new NoteError("malformed vkey: expected <name>+<key hash>+<key>");
  const name = vkey.slice(0, first);
  const hashHex = vkey.slice(first + 1, second);
  checkKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(hashHex)) throw new NoteError("malformed vkey: key hash must be 8 hex digits");
  const key = decodeBase64(vkey.slice(second + 1), "vkey key");
  const algorithm = key[0];
  if (algorithm !== ALG_ED25519 && algorithm !== ALG_COSIGNATURE_V1) {
    const shown = algorithm === undefined ? "(none)" : `0x${algorithm.toString(16).padStart(2, "0")}`;
    throw new NoteError(`unsupported vkey signature type ${shown}`);
  }
  const publicKey = key.subarray(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new NoteError("malformed vkey: Ed25519 key must be 32 bytes");
  const hash = Number.parseInt(hashHex, 16);
  if (hash !== keyHash(name, algorithm, publicKey)) throw new NoteError("vkey key hash does not match its key");
  return { name, keyHash: hash, algorithm, publicKey: Buffer.from(publicKey) };
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new NoteError("Ed25519 public key must be 32 bytes");
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: "der", type: "spki" });
  } catch (err) {
    throw new NoteError(`invalid Ed25519 public key: ${(err as Error).message}`);
  }
}

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) throw new NoteError("Ed25519 seed must be 32 bytes");
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
    throw new NoteError("expected an Ed25519 private key");
  }
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return Buffer.from(spki.subarray(spki.length - PUBLIC_KEY_SIZE));
}

function rawSeed(privateKey: KeyObject): Buffer {
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  return Buffer.from(pkcs8.subarray(PKCS8_ED25519_PREFIX.length, PKCS8_ED25519_PREFIX.length + SEED_SIZE));
}

function ed25519Verify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_SIZE) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Checks signatures of one key. Both log keys and cosigner keys implement it. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  /** `text` is the note body; `signature` is the signature line's bytes after the key ID. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** The log's signing key (signature type 0x01). */
export interface NoteSigner {
  readonly name: string;
  readonly keyHash: number;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  /** The vkey to hand to auditors and witnesses. */
  readonly vkey: string;
  /** Ed25519 signature over a note text (without the key ID). */
  sign(text: Uint8Array): Buffer;
  /** A verifier for this key, e.g. for self-checks. */
  verifier(): NoteVerifier;
}

/** Verifier for plain Ed25519 note signatures (type 0x01). */
export function noteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  checkKeyName(name);
  const key = publicKeyObject(publicKey);
  return {
    name,
    keyHash: keyHash(name, ALG_ED25519, publicKey),
    verify: (text, signature) => ed25519Verify(key, text, signature),
  };
}

/** Builds the verifier a vkey describes: a note verifier (0x01) or a cosignature verifier (0x04). */
export function verifierFromVkey(vkey: string): NoteVerifier {
  const parsed = parseVkey(vkey);
  return parsed.algorithm === ALG_COSIGNATURE_V1
    ? cosignatureVerifier(parsed.name, parsed.publicKey)
    : noteVerifier(parsed.name, parsed.publicKey);
}

/** The log signer for an Ed25519 private key held as a node:crypto KeyObject. */
export function signerFromPrivateKey(name: string, privateKey: KeyObject): NoteSigner {
  checkKeyName(name);
  const publicKey = rawPublicKey(privateKey);
  return {
    name,
    keyHash: keyHash(name, ALG_ED25519, publicKey),
    publicKey,
    vkey: formatVkey(name, ALG_ED25519, publicKey),
    sign: (text) => sign(null, text, privateKey),
    verifier: () => noteVerifier(name, publicKey),
  };
}

/** The log signer for a 32-byte Ed25519 seed (RFC 8032 private key). */
export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  return signerFromPrivateKey(name, privateKeyFromSeed(seed));
}

/**
 * Signer key string in the golang.org/x/mod/sumdb/note format,
 * `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, so keys can move
 * between govmesh and Go tooling. It is a secret.
 */
export function formatSkey(name: string, seed: Uint8Array): string {
  const signer = signerFromSeed(name, seed);
  const key = Buffer.concat([Uint8Array.of(ALG_ED25519), seed]).toString("base64");
  return `PRIVATE+KEY+${name}+${hex32(signer.keyHash)}+${key}`;
}

/** Parses a Go-format signer key (see formatSkey); its key ID must match. */
export function signerFromSkey(skey: string): NoteSigner {
  const prefix = "PRIVATE+KEY+";
  if (!skey.startsWith(prefix)) throw new NoteError("malformed skey: expected PRIVATE+KEY+<name>+<key hash>+<key>");
  const rest = skey.slice(prefix.length);
  const first = rest.indexOf("+");
  const second = first < 0 ? -1 : rest.indexOf("+", first + 1);
  if (second < 0) throw new NoteError("malformed skey: expected PRIVATE+KEY+<name>+<key hash>+<key>");
  const name = rest.slice(0, first);
  const hashHex = rest.slice(first + 1, second);
  checkKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(hashHex)) throw new NoteError("malformed skey: key hash must be 8 hex digits");
  const key = decodeBase64(rest.slice(second + 1), "skey key");
  if (key[0] !== ALG_ED25519 || key.length !== 1 + SEED_SIZE) throw new NoteError("skey is not an Ed25519 key");
  const signer = signerFromSeed(name, key.subarray(1));
  if (signer.keyHash !== Number.parseInt(hashHex, 16)) throw new NoteError("skey key hash does not match its key");
  return signer;
}

export interface GeneratedSigner {
  name: string;
  /** The private key as a 32-byte Ed25519 seed. Secret. */
  seed: Buffer;
  /** The same private key as a Go-compatible signer key string. Secret. */
  skey: string;
  /** Public verifier key for auditors. */
  vkey: string;
  signer: NoteSigner;
}

/** Generates a fresh Ed25519 log key named `name` (by convention the checkpoint origin). */
export function generateSigner(name: string): GeneratedSigner {
  checkKeyName(name);
  const { privateKey } = generateKeyPairSync("ed25519");
  const seed = rawSeed(privateKey);
  const signer = signerFromSeed(name, seed);
  return { name, seed, skey: formatSkey(name, seed), vkey: signer.vkey, signer };
}

// ---------------------------------------------------------------------------
// Checkpoints (c2sp.org/tlog-checkpoint).

export interface Checkpoint {
  /** Log identity, e.g. "audit.govmesh.example/ledger". */
  origin: string;
  /** Number of leaves. */
  size: number;
  /** RFC 6962 root hash at that size. */
  rootHash: Buffer;
  /** Opaque extension lines after the root hash; usually none. */
  extensions: string[];
}

/** Formats a checkpoint body: `<origin>\n<size>\n<base64 root>\n` plus extension lines. */
export function formatCheckpoint(checkpoint: {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (typeof origin !== "string" || origin.length === 0 || origin.includes("\n")) {
    throw new NoteError("checkpoint origin must be a non-empty single line");
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError("checkpoint size must be a non-negative safe integer");
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) {
    throw new NoteError(`checkpoint root hash must be ${HASH_SIZE} bytes`);
  }
  for (const line of extensions) {
    if (typeof line !== "string" || line.length === 0 || line.includes("\n")) {
      throw new NoteError("checkpoint extension lines must be non-empty single lines");
    }
  }
  const body = [origin, String(size), Buffer.from(rootHash).toString("base64"), ...extensions].join("\n") + "\n";
  checkNoteCharacters(body, "checkpoint");
  return body;
}

/** Parses a checkpoint body (the note text, without signatures). */
export function parseCheckpoint(body: string): Checkpoint {
  checkNoteCharacters(body, "checkpoint");
  if (!body.endsWith("\n")) throw new NoteError("malformed checkpoint: must end with a newline");
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3) throw new NoteError("malformed checkpoint: needs origin, size and root hash lines");
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new NoteError("malformed checkpoint: empty origin");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    throw new NoteError("malformed checkpoint: tree size must be decimal without leading zeros");
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new NoteError("checkpoint tree size exceeds 2^53-1, which this code does not support");
  const rootHash = decodeBase64(rootText, "checkpoint root hash");
  if (rootHash.length !== HASH_SIZE) throw new NoteError(`malformed checkpoint: root hash must be ${HASH_SIZE} bytes`);
  if (extensions.some((line) => line.length === 0)) throw new NoteError("malformed checkpoint: empty extension line");
  return { origin, size, rootHash, extensions };
}

// ---------------------------------------------------------------------------
// Signed notes (c2sp.org/signed-note).

export interface NoteSignature {
  name: string;
  keyHash: number;
  /** Signature bytes after the 4-byte key ID. */
  signature: Buffer;
}

export interface ParsedNote {
  /** The signed text, including its final newline. */
  body: string;
  /** All signature lines, in order, unverified. */
  signatures: NoteSignature[];
}

const SIGNATURE_PREFIX = "\u2014 "; // em dash, space

function signatureLine(name: string, hash: number, signature: Uint8Array): string {
  const keyId = Buffer.alloc(4);
  keyId.writeUInt32BE(hash);
  return `${SIGNATURE_PREFIX}${name} ${Buffer.concat([keyId, signature]).toString("base64")}\n`;
}

function checkBody(body: string): void {
  if (typeof body !== "string" || !body.endsWith("\n")) throw new NoteError("note text must end with a newline");
  checkNoteCharacters(body, "note text");
}

/** Splits a signed note into its text and signature lines without verifying anything. */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const text = noteToString(note);
  checkNoteCharacters(text, "note");
  // The text ends at the last blank line; it may itself contain blank lines.
  const split = text.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("malformed note: no blank line before the signatures");
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  if (block.length === 0 || !block.endsWith("\n")) throw new NoteError("malformed note: missing or unterminated signature lines");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteError(`malformed note: more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line, i): NoteSignature => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError(`malformed note: signature line ${i + 1} does not start with "— "`);
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    if (space < 0) throw new NoteError(`malformed note: signature line ${i + 1} has no signature`);
    const name = rest.slice(0, space);
    if (!isValidKeyName(name)) throw new NoteError(`malformed note: signature line ${i + 1} has an invalid key name`);
    const raw = decodeBase64(rest.slice(space + 1), `malformed note: signature line ${i + 1}`);
    if (raw.length < 5) throw new NoteError(`malformed note: signature line ${i + 1} is too short`);
    return { name, keyHash: raw.readUInt32BE(0), signature: Buffer.from(raw.subarray(4)) };
  });
  return { body, signatures };
}

function formatNote(body: string, signatures: readonly NoteSignature[]): string {
  return body + "\n" + signatures.map((s) => signatureLine(s.name, s.keyHash, s.signature)).join("");
}

/** Signs a note text (e.g. a checkpoint body) with one or more log keys. */
export function signNote(body: string, ...signers: NoteSigner[]): string {
  checkBody(body);
  if (signers.length === 0) throw new NoteError("signNote needs at least one signer");
  const bytes = Buffer.from(body, "utf8");
  return formatNote(
    body,
    signers.map((s) => ({ name: s.name, keyHash: s.keyHash, signature: s.sign(bytes) })),
  );
}

/** Replaces any signature by the same key, then appends the new one (Go's note.Sign does the same). */
function withSignature(note: string | Uint8Array, add: (body: string) => NoteSignature): string {
  const { body, signatures } = parseNote(note);
  const fresh = add(body);
  const kept = signatures.filter((s) => s.name !== fresh.name || s.keyHash !== fresh.keyHash);
  if (kept.length + 1 > MAX_NOTE_SIGNATURES) throw new NoteError(`a note may carry at most ${MAX_NOTE_SIGNATURES} signatures`);
  return formatNote(body, [...kept, fresh]);
}

/**
 * Adds a log-key signature to an already signed note, e.g. the new key
 * during key rotation. Existing signatures are kept but not checked.
 */
export function addNoteSignature(note: string | Uint8Array, signer: NoteSigner): string {
  return withSignature(note, (body) => ({
    name: signer.name,
    keyHash: signer.keyHash,
    signature: signer.sign(Buffer.from(body, "utf8")),
  }));
}

export interface OpenedNote {
  body: string;
  /** Signatures by known keys; all of them verified. */
  verified: NoteSignature[];
  /** Signatures by keys not among the verifiers (witnesses we do not track, rotated keys). */
  unknown: NoteSignature[];
}

/**
 * Opens a signed note: every signature by a known key (same name and key ID)
 * must verify, signatures by unknown keys are ignored, and at least one known
 * signature is required. Throws NoteError otherwise.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { body, signatures } = parseNote(note);
  const bytes = Buffer.from(body, "utf8");
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const sig of signatures) {
    const matches = verifiers.filter((v) => v.name === sig.name && v.keyHash === sig.keyHash);
    if (matches.length > 1) throw new NoteError(`ambiguous key ${sig.name}+${hex32(sig.keyHash)}: configured twice`);
    const verifier = matches[0];
    if (verifier === undefined) {
      unknown.push(sig);
      continue;
    }
    // A bad signature from a key we trust means someone tampered: reject the whole note.
    if (!verifier.verify(bytes, sig.signature)) {
      throw new NoteError(`invalid signature for key ${sig.name}+${hex32(sig.keyHash)}`);
    }
    if (!verified.some((v) => v.name === sig.name && v.keyHash === sig.keyHash)) verified.push(sig);
  }
  if (verified.length === 0) throw new NoteError("note has no verifiable signatures");
  return { body, verified, unknown };
}

/**
 * Opens a signed checkpoint and parses it. When `origin` is given the
 * checkpoint must be for that log, so a checkpoint of another log signed by
 * a shared key is not accepted.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): { checkpoint: Checkpoint; note: OpenedNote } {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.body);
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new NoteError(`checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(origin)}`);
  }
  return { checkpoint, note: opened };
}

// ---------------------------------------------------------------------------
// Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1).

/** A witness key: signs "cosignature/v1\ntime <t>\n" + checkpoint body. */
export interface Cosigner {
  readonly name: string;
  /** Key ID with signature type 0x04, so it never collides with the same key used for type 0x01. */
  readonly keyHash: number;
  readonly publicKey: Buffer;
  readonly vkey: string;
  /** Returns the 72-byte timestamped signature (u64 BE timestamp || Ed25519 signature). */
  cosign(body: string, timestamp: number): Buffer;
  verifier(): NoteVerifier;
}

function cosignedMessage(body: string, timestamp: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp.toString()}\n${body}`, "utf8");
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new NoteError("cosignature timestamp must be a non-negative integer number of seconds");
  }
}

/** A cosigner for a 32-byte Ed25519 seed. */
export function cosignerFromSeed(name: string, seed: Uint8Array): Cosigner {
  checkKeyName(name);
  const privateKey = privateKeyFromSeed(seed);
  const publicKey = rawPublicKey(privateKey);
  return {
    name,
    keyHash: keyHash(name, ALG_COSIGNATURE_V1, publicKey),
    publicKey,
    vkey: formatVkey(name, ALG_COSIGNATURE_V1, publicKey),
    cosign: (body, timestamp) => {
      checkTimestamp(timestamp);
      parseCheckpoint(body); // witnesses only vouch for checkpoints
      const ts = Buffer.alloc(TIMESTAMP_SIZE);
      ts.writeBigUInt64BE(BigInt(timestamp));
      return Buffer.concat([ts, sign(null, cosignedMessage(body, BigInt(timestamp)), privateKey)]);
    },
    verifier: () => cosignatureVerifier(name, publicKey),
  };
}

/** Generates a fresh witness key. */
export function generateCosigner(name: string): { name: string; seed: Buffer; vkey: string; cosigner: Cosigner } {
  checkKeyName(name);
  const seed = rawSeed(generateKeyPairSync("ed25519").privateKey);
  const cosigner = cosignerFromSeed(name, seed);
  return { name, seed, vkey: cosigner.vkey, cosigner };
}

/** The timestamp (Unix seconds) inside a cosignature/v1 signature. */
export function cosignatureTimestamp(signature: Uint8Array): number {
  if (signature.length !== TIMESTAMP_SIZE + SIGNATURE_SIZE) {
    throw new NoteError(`cosignature must be ${TIMESTAMP_SIZE + SIGNATURE_SIZE} bytes, got ${signature.length}`);
  }
  const ts = Buffer.from(signature.buffer, signature.byteOffset, TIMESTAMP_SIZE).readBigUInt64BE(0);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new NoteError("cosignature timestamp is implausibly large");
  return Number(ts);
}

/**
 * Verifies a cosignature/v1 over a checkpoint body and returns its timestamp.
 * Throws NoteError when the signature does not verify.
 */
export function verifyCosignature(body: string, signature: Uint8Array, publicKey: Uint8Array): number {
  checkBody(body);
  const timestamp = cosignatureTimestamp(signature);
  const key = publicKeyObject(publicKey);
  try {
    parseCheckpoint(body);
  } catch (err) {
    throw new NoteError(`cosigned text is not a checkpoint: ${(err as Error).message}`);
  }
  if (!ed25519Verify(key, cosignedMessage(body, BigInt(timestamp)), signature.subarray(TIMESTAMP_SIZE))) {
    throw new NoteError("cosignature does not verify");
  }
  return timestamp;
}

/** A NoteVerifier for a witness, so openNote can check cosignatures alongside log signatures. */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  checkKeyName(name);
  publicKeyObject(publicKey); // reject bad keys now rather than at every verify
  return {
    name,
    keyHash: keyHash(name, ALG_COSIGNATURE_V1, publicKey),
    verify: (text, signature) => {
      try {
        verifyCosignature(Buffer.from(text).toString("utf8"), signature, publicKey);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Adds a witness cosignature line to a signed checkpoint (existing signatures are kept, not checked). */
export function cosignNote(note: string | Uint8Array, cosigner: Cosigner, timestamp: number): string {
  return withSignature(note, (body) => ({
    name: cosigner.name,
    keyHash: cosigner.keyHash,
    signature: cosigner.cosign(body, timestamp),
  }));
}
