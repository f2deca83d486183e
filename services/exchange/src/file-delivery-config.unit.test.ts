import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GovError, createLogger } from '@govmesh/backbone';
import { readExchangeConfig } from './config.ts';
import { assertFileDeliveryConfig, fileSigningKey } from './file-delivery-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'govmesh-file-config-'));
const config = (env: Record<string, string>) => readExchangeConfig({ FILES_DIR: join(dir, 'files'), ...env });
const logger = createLogger('exchange-test', 'silent');
const refusedNaming = (f: () => unknown, what: RegExp) => assert.throws(f, (err: unknown) => err instanceof GovError && err.code === 'GOV_ERR_CONFIG_INVALID' && what.test(err.message));

test('DLV-02: without a signing key file, production (FILE_SIGNING_DEV_KEY=false) refuses to start; development signs with a fixed key', () => {
  refusedNaming(() => assertFileDeliveryConfig(config({ FILE_SIGNING_DEV_KEY: 'false' })), /FILE_SIGNING_KEY_FILE is required/);
  assert.doesNotThrow(() => assertFileDeliveryConfig(config({})));
  const a = fileSigningKey(config({}), logger);
  const b = fileSigningKey(config({}), logger);
  assert.equal(a.asymmetricKeyType, 'ed25519');
  assert.deepEqual(a.export({ type: 'pkcs8', format: 'der' }), b.export({ type: 'pkcs8', format: 'der' }), 'the development key is stable across starts');
});

test('DLV-02: the signing key file must hold an Ed25519 private key (PEM); FILES_DIR is created, and must be writable', () => {
  const ed = join(dir, 'ed.pem');
  writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  assert.equal(fileSigningKey(config({ FILE_SIGNING_KEY_FILE: ed }), logger).asymmetricKeyType, 'ed25519');
  const ec = join(dir, 'ec.pem');
  writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  refusedNaming(() => fileSigningKey(config({ FILE_SIGNING_KEY_FILE: ec }), logger), /an Ed25519 key is required/);
  refusedNaming(() => fileSigningKey(config({ FILE_SIGNING_KEY_FILE: join(dir, 'missing.pem') }), logger), /not a readable PEM private key/);
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, '');
  refusedNaming(() => assertFileDeliveryConfig(config({ FILES_DIR: join(blocker, 'files') })), /FILES_DIR .* cannot be created/);
});
