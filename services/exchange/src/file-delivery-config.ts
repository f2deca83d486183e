import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { GovError, type Logger } from '@govmesh/backbone';
import type { ExchangeConfig } from './config.ts';

/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Checked before anything connects, as MASKING_KEY_FILE is: a production exchange never signs
 * with the development key, and FILES_DIR exists (created) and is writable.
 */
export const assertFileDeliveryConfig = (config: ExchangeConfig): void => {
  if (config.FILE_SIGNING_KEY_FILE === '' && !config.FILE_SIGNING_DEV_KEY) throw new GovError('GOV_ERR_CONFIG_INVALID', 'FILE_SIGNING_KEY_FILE is required (FILE_SIGNING_DEV_KEY=false): the Ed25519 key that signs file manifests');
  try {
    mkdirSync(config.FILES_DIR, { recursive: true });
    accessSync(config.FILES_DIR, constants.W_OK);
  } catch (err) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `FILES_DIR ${config.FILES_DIR} cannot be created or written: ${(err as Error).message}`, { cause: err });
  }
};

/** The platform key that signs file manifests (Ed25519); a fixed development key when no file is given (logged). */
export const fileSigningKey = (config: ExchangeConfig, logger: Logger): KeyObject => {
  if (config.FILE_SIGNING_KEY_FILE === '') {
    logger.warn('FILE_SIGNING_KEY_FILE is empty: file manifests are signed with the development key; set a platform key in production');
    const seed = createHash('sha256').update('govmesh development file signing key').digest();
    return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(config.FILE_SIGNING_KEY_FILE));
  } catch (err) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `FILE_SIGNING_KEY_FILE ${config.FILE_SIGNING_KEY_FILE} is not a readable PEM private key (openssl genpkey -algorithm ed25519)`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new GovError('GOV_ERR_CONFIG_INVALID', `FILE_SIGNING_KEY_FILE ${config.FILE_SIGNING_KEY_FILE} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key: an Ed25519 key is required`);
  return key;
};
