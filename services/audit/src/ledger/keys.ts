import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GovError, type Logger } from '@govmesh/backbone';
import { generateSigner, signerFromSeed, signerFromSkey, type NoteSigner } from '@govmesh/ledger';

/**
 * Key files. The log key is a Go-format note signer key (`PRIVATE+KEY+<name>+<id>+<base64>`, the
 * format of golang.org/x/mod/sumdb/note, so it moves between govmesh and Go tooling) or a bare
 * 32-byte Ed25519 seed (raw, or 64 hex digits). The key name is the checkpoint origin. In
 * development a missing key file is created with its public `.vkey` beside it; in production
 * (LEDGER_DEV_KEY=false) a missing key is a configuration error.
 */
const readSeed = (file: string, text: string, raw: Buffer): Buffer => {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (raw.length === 32) return raw;
  throw new GovError('GOV_ERR_CONFIG_INVALID', `${file} is neither a note skey nor a 32-byte Ed25519 seed (raw or hex)`);
};

export const vkeyFileFor = (keyFile: string): string => `${keyFile.replace(/\.(skey|seed|key)$/, '')}.vkey`;

export const loadLogSigner = (file: string, origin: string, createIfMissing: boolean, logger: Logger): NoteSigner => {
  if (!existsSync(file)) {
    if (!createIfMissing) throw new GovError('GOV_ERR_CONFIG_INVALID', `ledger signing key ${file} does not exist (LEDGER_DEV_KEY=false)`);
    const generated = generateSigner(origin);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${generated.skey}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    writeFileSync(vkeyFileFor(file), `${generated.vkey}\n`);
    logger.warn({ file, vkey: generated.vkey }, 'created a development ledger signing key');
    return generated.signer;
  }
  const raw = readFileSync(file);
  const text = raw.toString('utf8').trim();
  const signer = text.startsWith('PRIVATE+KEY+') ? signerFromSkey(text) : signerFromSeed(origin, readSeed(file, text, raw));
  if (signer.name !== origin) throw new GovError('GOV_ERR_CONFIG_INVALID', `ledger signing key ${file} is named ${signer.name}, but the checkpoint origin is ${origin}`);
  return signer;
};

export const loadSeedFile = (file: string): Buffer => {
  if (!existsSync(file)) throw new GovError('GOV_ERR_CONFIG_INVALID', `key file ${file} does not exist`);
  const raw = readFileSync(file);
  return readSeed(file, raw.toString('utf8').trim(), raw);
};
