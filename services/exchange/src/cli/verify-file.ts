import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { verifyFile } from '../domain/file-manifest.ts';

/**
 * The offline verifier of a delivered file: no network, no govmesh service. It checks that the
 * manifest is signed by the platform key given (the PEM of GET /v1/files/signing-key) and that
 * the file is the one the manifest describes (size and SHA-256).
 *
 *   npm run verify-file -- <file> <manifest.json> <public-key.pem>
 *
 * Prints `OK` and what the manifest certifies, or `FAILED <reason>: ...`. Exit 0 when the file
 * verifies, 1 when it does not, 2 when an input cannot be read (usage, missing file, not JSON,
 * not a public key).
 */
const unreadable = (message: string): never => {
  console.error(`error: ${message}`);
  process.exit(2);
};

const [file, manifestFile, keyFile] = process.argv.slice(2);
if (file === undefined || manifestFile === undefined || keyFile === undefined) unreadable('usage: npm run verify-file -- <file> <manifest.json> <public-key.pem>');

let doc: unknown;
try {
  doc = JSON.parse(readFileSync(manifestFile!, 'utf8'));
} catch (err) {
  unreadable(`${manifestFile}: ${(err as Error).message}`);
}
let key: KeyObject | undefined;
try {
  key = createPublicKey(readFileSync(keyFile!));
} catch (err) {
  unreadable(`${keyFile}: not a public key (${(err as Error).message})`);
}
if (key!.asymmetricKeyType !== 'ed25519') unreadable(`${keyFile}: a ${key!.asymmetricKeyType ?? 'non-asymmetric'} key, not Ed25519`);

const hash = createHash('sha256');
let bytes = 0;
try {
  // Streamed: a file of millions of records is never held whole.
  for await (const chunk of createReadStream(file!)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
} catch (err) {
  unreadable(`${file}: ${(err as Error).message}`);
}

const v = verifyFile(doc, key!, { sha256: hash.digest('hex'), bytes });
if (v.ok) {
  const m = v.manifest;
  console.log('OK');
  console.log(`file ${m.fileId}: ${m.recordCount} records (${m.format}, ${m.bytes} bytes, sha256 ${m.sha256}) of share ${m.shareId}, entry ${m.entryId} dataset version ${m.datasetVersion}`);
  console.log(`built for ${m.recipient} by platform ${m.platform} at ${m.createdAt}; items: ${m.dataItems.join(', ')}; watermark ${m.watermarkId}`);
  process.exit(0);
}
console.log(`FAILED ${v.failure}: ${v.reason}`);
process.exit(1);
