import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ruleViolated } from '../errors/errors.ts';
import { Directory } from '../identity/platform.ts';
import { Authenticator } from '../identity/principal.ts';
import { generateTokenKeys, issueToken, TokenVerifier } from '../identity/token.ts';
import { createLogger } from '../telemetry/logging.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { systemClock } from '../time/clock.ts';
import { createHttpServer } from './http.ts';

const keys = generateTokenKeys();
const directory = new Directory([{ id: 'd1', name: 'Dept', platform: 'p', level: 'ministry', regionCode: '1', roles: ['provider'] }]);
const build = async () => {
  const app = await createHttpServer({
    service: 't', version: '1', description: 'd', logger: createLogger('t', 'silent'), metrics: createMetrics('t'),
    authenticator: new Authenticator(new TokenVerifier(keys.publicKeyPem, 'p'), directory, systemClock),
    readiness: async () => ({ checks: { database: false }, warnings: { calendar: 'official calendar data ends in 10 days' } }),
  });
  app.post('/v1/things', { schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string' } } } } }, async (req) => {
    req.principal();
    throw ruleViolated('APR-04', 'a refusal states its reasons');
  });
  app.get('/v1/boom', async () => {
    throw new Error('secret detail');
  });
  return app;
};
const token = `Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'p', ttlSeconds: 60 })}`;

test('validation errors become 400 problem+json naming the field', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const r = await app.inject({ method: 'POST', url: '/v1/things', headers: { authorization: token }, payload: { nam: 'x' } });
  assert.equal(r.statusCode, 400);
  assert.match(r.headers['content-type'] as string, /application\/problem\+json/);
  const body = r.json() as { code: string; violations: { field: string }[] };
  assert.equal(body.code, 'GOV_ERR_INPUT_INVALID');
  assert.deepEqual(body.violations.map((v) => v.field).sort(), ['body.nam', 'body.name']);
});

test('rule violations map to 409 with the rule; internal errors hide their detail; no token is 401', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const rule = await app.inject({ method: 'POST', url: '/v1/things', headers: { authorization: token }, payload: { name: 'x' } });
  assert.equal(rule.statusCode, 409);
  assert.equal(rule.json().rule, 'APR-04');
  const boom = await app.inject({ method: 'GET', url: '/v1/boom', headers: { authorization: token } });
  assert.equal(boom.statusCode, 500);
  assert.doesNotMatch(boom.body, /secret detail/);
  const anon = await app.inject({ method: 'POST', url: '/v1/things', payload: { nam: 'x' } });
  assert.equal(anon.statusCode, 401);
});

test('health is up, readiness reports failing dependencies with 503, metrics are Prometheus text', async (t) => {
  const app = await build();
  t.after(() => app.close());
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.deepEqual(ready.json().checks, { database: false });
  assert.deepEqual(ready.json().warnings, { calendar: 'official calendar data ends in 10 days' });
  assert.match((await app.inject({ url: '/metrics' })).body, /govmesh_outbox_published_total/);
  assert.equal((await app.inject({ url: '/docs/json' })).statusCode, 200);
});

test('HEALTH: one log line per request (method, matched route, status, latency) and /metrics counts requests by route and status, never by raw path', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const metrics = createMetrics('t');
  const app = await createHttpServer({
    service: 't', version: '1', description: 'd', logger, metrics,
    authenticator: new Authenticator(new TokenVerifier(keys.publicKeyPem, 'p'), directory, systemClock),
    readiness: async () => ({ checks: {}, warnings: {} }),
  });
  app.get('/v1/things/:id', async () => ({ ok: true }));
  t.after(() => app.close());
  for (const id of ['a', 'b']) assert.equal((await app.inject({ url: `/v1/things/${id}`, headers: { authorization: token } })).statusCode, 200);
  assert.equal((await app.inject({ url: '/v1/nowhere/x' })).statusCode, 404);
  await app.inject({ url: '/healthz' });
  const requests = lines.filter((l) => l['msg'] === 'request');
  assert.deepEqual(requests.filter((l) => l['level'] === 30).map((l) => [l['method'], l['route'], l['status']]), [['GET', '/v1/things/:id', 200], ['GET', '/v1/things/:id', 200], ['GET', 'unmatched', 404]]);
  assert.ok(requests.every((l) => typeof l['ms'] === 'number' && typeof l['requestId'] === 'string'));
  assert.equal(requests.find((l) => l['route'] === '/healthz')?.['level'], 20, 'probes log at debug');
  assert.equal(lines.filter((l) => l['msg'] === 'incoming request' || l['msg'] === 'request completed').length, 0, "fastify's own two lines are off");
  const text = await metrics.registry.metrics();
  assert.match(text, /govmesh_http_request_duration_seconds_count\{[^}]*route="\/v1\/things\/:id"[^}]*status="200"[^}]*\} 2/);
  assert.match(text, /govmesh_http_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status="404"[^}]*\} 1/);
  assert.doesNotMatch(text, /nowhere/, 'a raw path never becomes a label');
});
