import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonConfigSpec, key, readConfig } from './config.ts';
import { GovError } from '../errors/errors.ts';

test('defaults apply and values are typed', () => {
  const cfg = readConfig(commonConfigSpec, { KAFKA_BROKERS: 'a:1, b:2', HTTP_PORT: '8081' });
  assert.deepEqual(cfg.KAFKA_BROKERS, ['a:1', 'b:2']);
  assert.equal(cfg.HTTP_PORT, 8081);
  assert.equal(cfg.PLATFORM_ID, 'national');
  assert.ok(Object.isFrozen(cfg));
});

test('every bad key is named in one error, so an operator fixes them all at once', () => {
  const spec = { ...commonConfigSpec, SIGNING_KEY: key({ kind: 'string', doc: 'checkpoint key' }) };
  assert.throws(
    () => readConfig(spec, { HTTP_PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud', CONSUMER_MAX_ATTEMPTS: '0' }),
    (err: unknown) => {
      assert.ok(err instanceof GovError);
      assert.equal(err.code, 'GOV_ERR_CONFIG_INVALID');
      for (const k of ['HTTP_PORT=eighty', 'DATABASE_URL=not a url', 'LOG_LEVEL=loud', 'CONSUMER_MAX_ATTEMPTS=0', 'SIGNING_KEY is required']) assert.match(err.message, new RegExp(k));
      return true;
    },
  );
});
