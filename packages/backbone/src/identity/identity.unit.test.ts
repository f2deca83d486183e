import { createPrivateKey, sign } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type GovError } from '../errors/errors.ts';
import { ControlledClock } from '../time/clock.ts';
import { Directory, parsePlatformFile, tokenKeys } from './platform.ts';
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

test('EDGE: SEC-14: a token living longer than the bound, issued in the future or not yet valid (nbf) is refused; within the clock skew it is accepted (defect 9)', () => {
  const t = (o: { ttlSeconds: number; now?: Date; notBefore?: Date }) => `Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'national', now, ...o })}`;
  const later = (s: number) => new Date(now.getTime() + s * 1000);
  // A 12-hour bound by default: a 13-hour token is refused even while it is unexpired.
  assert.equal(code(() => auth.authenticate(t({ ttlSeconds: 13 * 3600 }))), 'GOV_ERR_AUTH_MISSING');
  assert.equal(auth.authenticate(t({ ttlSeconds: 12 * 3600 })).department.id, 'd1');
  const bounded = new Authenticator(new TokenVerifier(keys.publicKeyPem, 'national', { maxLifetimeSeconds: 600 }), directory, new ControlledClock(now));
  assert.equal(code(() => bounded.authenticate(t({ ttlSeconds: 601 }))), 'GOV_ERR_AUTH_MISSING');
  // iat after the service's clock: refused beyond the 60 s skew, accepted within it.
  assert.equal(code(() => auth.authenticate(t({ ttlSeconds: 60, now: later(120) }))), 'GOV_ERR_AUTH_MISSING');
  assert.equal(auth.authenticate(t({ ttlSeconds: 60, now: later(30) })).department.id, 'd1');
  // nbf after the service's clock: not yet valid.
  assert.equal(code(() => auth.authenticate(t({ ttlSeconds: 600, notBefore: later(300) }))), 'GOV_ERR_AUTH_MISSING');
  assert.equal(auth.authenticate(t({ ttlSeconds: 600, notBefore: later(30) })).department.id, 'd1');
  // A token without iat cannot be bounded: refused.
  const b64u = (x: string | Buffer) => Buffer.from(x).toString('base64url');
  const h = b64u(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));
  const body = b64u(JSON.stringify({ sub: 'd1', plt: 'national', exp: Math.floor(now.getTime() / 1000) + 60 }));
  const noIat = `${h}.${body}.${b64u(sign(null, Buffer.from(`${h}.${body}`), createPrivateKey(keys.privateKeyPem)))}`;
  assert.equal(code(() => auth.authenticate(`Bearer ${noIat}`)), 'GOV_ERR_AUTH_MISSING');
});

test('EDGE: SEC-14: during a key rotation the platform file lists two token keys and tokens signed by either are accepted; a removed key is refused (defect 9)', () => {
  const next = generateTokenKeys();
  const file = parsePlatformFile({ platform: { id: 'national', name: 'n', kind: 'national', regionCode: '100000' }, departments: [{ id: 'd1', name: 'D', level: 'ministry', roles: ['provider'] }], auth: { tokenPublicKeyPem: next.publicKeyPem, additionalTokenPublicKeyPems: [keys.publicKeyPem] } });
  const rotating = new Authenticator(new TokenVerifier(tokenKeys(file), 'national'), directory, new ControlledClock(now));
  for (const k of [keys, next]) assert.equal(rotating.authenticate(`Bearer ${issueToken(k.privateKeyPem, { sub: 'd1', plt: 'national', ttlSeconds: 60, now })}`).department.id, 'd1');
  const after = new Authenticator(new TokenVerifier([next.publicKeyPem], 'national'), directory, new ControlledClock(now));
  assert.equal(code(() => after.authenticate(`Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'national', ttlSeconds: 60, now })}`)), 'GOV_ERR_AUTH_MISSING');
  assert.throws(() => parsePlatformFile({ ...file, auth: { tokenPublicKeyPem: next.publicKeyPem, additionalTokenPublicKeyPems: ['nope'] } }), /auth.additionalTokenPublicKeyPems/);
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

test('APR-02: the platform file loads year schedules by path relative to itself, checks them at start, and refuses a malformed or doubled one', async () => {
  const { mkdtempSync, writeFileSync, copyFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { loadPlatformSchedules } = await import('./platform.ts');
  const { TEST_SCHEDULE_2027_PATH } = await import('../testing/calendar.ts');
  const dir = mkdtempSync(join(tmpdir(), 'govmesh-calendar-'));
  copyFileSync(TEST_SCHEDULE_2027_PATH, join(dir, '2027.json'));
  const base = { platform: { id: 'national', name: 'n', kind: 'national', regionCode: '100000' }, departments: [{ id: 'd1', name: 'D', level: 'ministry', roles: ['provider'] }], auth: { tokenPublicKeyPem: keys.publicKeyPem } };
  const file = parsePlatformFile({ ...base, calendar: { schedules: ['2027.json'] } });
  assert.deepEqual(loadPlatformSchedules(file, join(dir, 'platform.json')).map((s) => s.year), [2027]);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ year: 2027, source: 'x', holidays: ['2027-01-01'], workdays: [] }));
  assert.throws(() => loadPlatformSchedules(parsePlatformFile({ ...base, calendar: { schedules: ['bad.json'] } }), join(dir, 'platform.json')), /bad\.json: holidays: 2027-02-05, Spring Festival eve/);
  assert.throws(() => loadPlatformSchedules(parsePlatformFile({ ...base, calendar: { schedules: ['2027.json', './2027.json'] } }), join(dir, 'platform.json')), /more than one schedule for 2027/);
  assert.throws(() => parsePlatformFile({ ...base, calendar: { schedules: '2027.json', holidays: ['2027-02-30'], year: 2027 } }), (e: unknown) => {
    assert.deepEqual((e as GovError).violations.map((v) => v.field), ['calendar.year', 'calendar.holidays', 'calendar.schedules']);
    return true;
  });
});
