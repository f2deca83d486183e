import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type GovError } from '../errors/errors.ts';
import { ControlledClock } from '../time/clock.ts';
import { Directory, parsePlatformFile } from './platform.ts';
import { Authenticator, requireRole } from './principal.ts';
import { generateTokenKeys, issueToken, TokenVerifier } from './token.ts';

const keys = generateTokenKeys();
const now = new Date('2026-11-02T09:00:00+08:00');
const directory = new Directory([{ id: 'd1', name: 'Dept 1', platform: 'national', level: 'ministry', regionCode: '100000', roles: ['provider'] }]);
const auth = new Authenticator(new TokenVerifier(keys.publicKeyPem, 'national'), directory, new ControlledClock(now));
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as GovError).code;
  }
  return 'no error';
};

test('SEC-14: a platform-signed token authenticates a department of the directory', () => {
  const p = auth.authenticate(`Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'national', ttlSeconds: 60, now })}`);
  assert.equal(p.department.id, 'd1');
  requireRole(p, 'provider');
  assert.equal(code(() => requireRole(p, 'competent')), 'GOV_ERR_AUTH_FORBIDDEN');
});

test('SEC-14: missing, forged, expired, foreign-platform and unknown-department tokens are refused', () => {
  const other = generateTokenKeys();
  assert.equal(code(() => auth.authenticate(undefined)), 'GOV_ERR_AUTH_MISSING');
  assert.equal(code(() => auth.authenticate(`Bearer ${issueToken(other.privateKeyPem, { sub: 'd1', plt: 'national', ttlSeconds: 60, now })}`)), 'GOV_ERR_AUTH_MISSING');
  assert.equal(code(() => auth.authenticate(`Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'national', ttlSeconds: 60, now: new Date(now.getTime() - 120_000) })}`)), 'GOV_ERR_AUTH_MISSING');
  assert.equal(code(() => auth.authenticate(`Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'region-130000', ttlSeconds: 60, now })}`)), 'GOV_ERR_AUTH_MISSING');
  assert.equal(code(() => auth.authenticate(`Bearer ${issueToken(keys.privateKeyPem, { sub: 'ghost', plt: 'national', ttlSeconds: 60, now })}`)), 'GOV_ERR_AUTH_MISSING');
  assert.equal(code(() => auth.authenticate('Basic abc')), 'GOV_ERR_AUTH_MISSING');
});

test('a platform file with problems is refused, naming every field', () => {
  assert.throws(
    () => parsePlatformFile({ platform: { id: '', kind: 'galactic' }, departments: [{ id: 'a', name: '', level: 'x', roles: ['king'] }, { id: 'a', name: 'b', level: 'national', roles: ['provider'] }], auth: {} }),
    (e: unknown) => {
      const fields = (e as GovError).violations.map((v) => v.field);
      assert.deepEqual(fields, ['platform.id', 'platform.kind', 'departments[0].name', 'departments[0].level', 'departments[0].roles', 'departments[1].id', 'auth.tokenPublicKeyPem']);
      return true;
    },
  );
});
