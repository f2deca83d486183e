import { createHash, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { DatasetFormat } from '@govmesh/contracts/avro';
import { GovError, canonicalJson, forbidden } from '@govmesh/backbone';

/**
 * File download (DLV-02, DLV-06): what the platform signs about a file it built for one share,
 * how a recipient verifies a file offline, and who may fetch it through its link. Pure: the
 * file's bytes are hashed by the caller (streamed), the keys are given.
 *
 * The signature covers the manifest's canonical JSON (keys sorted, no spaces: the backbone's
 * canonicalJson) after a context line, so that a signature over a manifest can never be
 * presented as a signature over anything else the platform signs.
 */
export const MANIFEST_CONTEXT = 'govmesh file manifest v1\n';

export interface FileManifest {
  fileId: string;
  platform: string;
  shareId: string;
  /** The requesting department the file was built for: the only one that may fetch it (SUS-04). */
  recipient: string;
  provider: string;
  entryId: string;
  /** The approved data items the file holds, in its column order. */
  dataItems: string[];
  datasetVersion: number;
  recordCount: number;
  format: DatasetFormat;
  /** SHA-256 of the file's bytes, lowercase hex. */
  sha256: string;
  bytes: number;
  /** The recipient the records' fingerprint names (SEC-17): `<shareId>/<department>`, as a trace answers it. */
  watermarkId: string;
  createdAt: string;
  /** When the download link dies; the file's integrity, checked offline, never expires. */
  expiresAt: string;
}

export interface ManifestSignature {
  algorithm: 'Ed25519';
  /** Which platform key signed: the first 16 hex digits of the SHA-256 of its SPKI (DER) encoding. */
  keyId: string;
  /** The Ed25519 signature, base64. */
  value: string;
}

export interface SignedManifest {
  manifest: FileManifest;
  signature: ManifestSignature;
}

/** The exact bytes signed. */
export const manifestBytes = (m: FileManifest): Buffer => Buffer.from(MANIFEST_CONTEXT + canonicalJson(m), 'utf8');

export const keyId = (publicKey: KeyObject): string => createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);

export const signManifest = (m: FileManifest, privateKey: KeyObject): SignedManifest => ({
  manifest: m,
  signature: { algorithm: 'Ed25519', keyId: keyId(createPublicKey(privateKey)), value: sign(null, manifestBytes(m), privateKey).toString('base64') },
});

/** Why a file does not verify, most fundamental first (a bad signature makes the rest untrustworthy). */
export type VerifyFailure = 'MANIFEST_MALFORMED' | 'KEY_MISMATCH' | 'SIGNATURE_INVALID' | 'SIZE_MISMATCH' | 'DIGEST_MISMATCH';

export type FileVerdict = { ok: true; manifest: FileManifest } | { ok: false; failure: VerifyFailure; reason: string };

const MANIFEST_FIELDS: Record<keyof FileManifest, 'string' | 'number' | 'strings'> = {
  fileId: 'string', platform: 'string', shareId: 'string', recipient: 'string', provider: 'string', entryId: 'string', dataItems: 'strings',
  datasetVersion: 'number', recordCount: 'number', format: 'string', sha256: 'string', bytes: 'number', watermarkId: 'string', createdAt: 'string', expiresAt: 'string',
};

/** The signed manifest as read from a file, or what is wrong with its shape (any extra field would not be covered as the platform meant it). */
const readSigned = (doc: unknown): SignedManifest | string => {
  if (doc === null || typeof doc !== 'object') return 'not a JSON object';
  const { manifest, signature } = doc as Record<string, unknown>;
  if (manifest === null || typeof manifest !== 'object') return 'no manifest object';
  if (signature === null || typeof signature !== 'object') return 'no signature object';
  const m = manifest as Record<string, unknown>;
  for (const [name, kind] of Object.entries(MANIFEST_FIELDS)) {
    const v = m[name];
    const fits = kind === 'strings' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : kind === 'number' ? Number.isSafeInteger(v) && (v as number) >= 0 : typeof v === 'string';
    if (!fits) return `manifest.${name} is missing or not a ${kind === 'strings' ? 'list of strings' : kind}`;
  }
  const extra = Object.keys(m).filter((k) => !(k in MANIFEST_FIELDS));
  if (extra.length > 0) return `manifest has fields no platform signs: ${extra.join(', ')}`;
  const s = signature as Record<string, unknown>;
  if (s['algorithm'] !== 'Ed25519' || typeof s['keyId'] !== 'string' || typeof s['value'] !== 'string') return 'signature is not {algorithm: "Ed25519", keyId, value}';
  return { manifest: m as unknown as FileManifest, signature: s as unknown as ManifestSignature };
};

/**
 * Offline verification: the manifest is signed by the platform key given, and the file (its
 * SHA-256 and size, computed by the caller) is the one the manifest describes.
 */
export const verifyFile = (doc: unknown, publicKey: KeyObject, file: { sha256: string; bytes: number }): FileVerdict => {
  const signed = readSigned(doc);
  if (typeof signed === 'string') return { ok: false, failure: 'MANIFEST_MALFORMED', reason: signed };
  const { manifest: m, signature: s } = signed;
  const expected = keyId(publicKey);
  if (s.keyId !== expected) return { ok: false, failure: 'KEY_MISMATCH', reason: `the manifest was signed by key ${s.keyId}, not by the key given (${expected})` };
  if (!verify(null, manifestBytes(m), publicKey, Buffer.from(s.value, 'base64'))) return { ok: false, failure: 'SIGNATURE_INVALID', reason: 'the signature does not match the manifest: it was altered after signing' };
  if (file.bytes !== m.bytes) return { ok: false, failure: 'SIZE_MISMATCH', reason: `the file holds ${file.bytes} bytes, the manifest says ${m.bytes}` };
  if (file.sha256 !== m.sha256) return { ok: false, failure: 'DIGEST_MISMATCH', reason: `the file's SHA-256 is ${file.sha256}, the manifest says ${m.sha256}: the file was altered` };
  return { ok: true, manifest: m };
};

/** A built file as its link is checked: who it is for, the link token's hash, when the link dies. */
export interface FileLink {
  fileId: string;
  shareId: string;
  recipient: string;
  tokenSha256: string;
  expiresAt: string;
}

export const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * May `caller`, presenting `token`, fetch the file now? Single recipient: only the department the
 * file was built for, with its own bearer token, and the link's token (SUS-04); only until the link
 * expires. Each refusal is a 403 naming why (a `violations` entry says which part failed). The
 * share's own state is checked apart, at the same moment (deliveryAccess).
 */
export const fileLinkAccess = (file: FileLink, caller: string, token: string, now: Date): void => {
  if (caller !== file.recipient) throw forbidden(`file ${file.fileId} of share ${file.shareId} was built for ${file.recipient}: no other department may fetch it`, 'SUS-04');
  const given = Buffer.from(tokenDigest(token), 'hex');
  const expected = Buffer.from(file.tokenSha256, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw linkRefused(file, 'token', 'not the token of this file\'s link', `the link token is not the one issued for file ${file.fileId}`);
  if (now.getTime() >= Date.parse(file.expiresAt)) throw linkRefused(file, 'link.expiresAt', file.expiresAt, `the link of file ${file.fileId} expired at ${file.expiresAt}: build a new file`);
};

/** A 403 whose violation names the part of the link that failed, for machines (as share.state does for a cut share). */
const linkRefused = (file: FileLink, field: string, description: string, message: string): GovError =>
  new GovError('GOV_ERR_AUTH_FORBIDDEN', message, { rule: 'DLV-02', violations: [{ field, description }] });
