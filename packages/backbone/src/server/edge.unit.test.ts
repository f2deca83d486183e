import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { Directory } from '../identity/platform.ts';
import { Authenticator } from '../identity/principal.ts';
import { generateTokenKeys, issueToken, TokenVerifier } from '../identity/token.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { systemClock } from '../time/clock.ts';
import type { Logger } from '../telemetry/logging.ts';
import { unboundedFields, type OpenApiDoc } from '../testing/openapi.ts';
import { createHttpServer, ID_MAX_LENGTH, idSchema } from './http.ts';

// The hostile-input edge of issue 13, once for every service: what a fuzzer or a careless client
// sends must come back as a 4xx problem+json naming the field, never a 500 or a silent rewrite.
const keys = generateTokenKeys();
const directory = new Directory([{ id: 'd1', name: 'Dept', platform: 'p', level: 'ministry', regionCode: '1', roles: ['provider'] }]);
const token = `Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'p', ttlSeconds: 60 })}`;

const build = async (logger: Logger = pino({ level: 'silent' })) => {
  const app = await createHttpServer({
    service: 't', version: '1', description: 'd', logger, metrics: createMetrics('t'),
    authenticator: new Authenticator(new TokenVerifier(keys.publicKeyPem, 'p'), directory, systemClock),
    readiness: async () => ({ checks: {}, warnings: {} }),
  });
  await app.register(async (scope) => {
    scope.post<{ Body: Record<string, unknown> }>(
      '/v1/things',
      {
        schema: {
          body: {
            type: 'object',
            required: ['name'],
            additionalProperties: false,
            properties: { id: idSchema, name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, at: { type: 'string', format: 'date-time' }, count: { type: 'integer' } },
          },
        },
      },
      async (req) => {
        req.principal();
        return { echo: req.body };
      },
    );
    scope.get<{ Params: { id: string } }>('/v1/things/:id', { schema: { params: { type: 'object', required: ['id'], properties: { id: idSchema } } } }, async (req) => ({ id: req.params.id }));
    scope.get<{ Params: { id: string } }>('/v1/raw/:id', async (req) => ({ id: req.params.id }));
    scope.get<{ Querystring: Record<string, unknown> }>(
      '/v1/search',
      { schema: { querystring: { type: 'object', additionalProperties: false, properties: { q: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 }, offset: { type: 'integer', minimum: 0 }, overdue: { type: 'boolean' } } } } },
      async (req) => ({ query: req.query }),
    );
    scope.get('/v1/boom', async () => {
      throw new Error('secret detail');
    });
  });
  return app;
};

const problemOf = (r: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }) => {
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/, `problem+json, got ${String(r.headers['content-type'])}`);
  return r.json() as { status: number; code: string; violations?: { field: string; description: string }[]; requestId?: string };
};
const short = (s: string) => s.slice(0, 300);
const fields = (p: { violations?: { field: string }[] }) => (p.violations ?? []).map((v) => v.field);

test('EDGE: a NUL character or a lone UTF-16 surrogate is refused with 400 naming the field, in a path parameter, a query string and body content (issue 13, defect 3)', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const auth = { authorization: token };
  const cases: [string, InjectOptions, string][] = [
    ['NUL in a path parameter with a schema', { url: '/v1/things/a%00b', headers: auth }, 'params.id'],
    ['NUL in a path parameter without a schema', { url: '/v1/raw/a%00b', headers: auth }, 'params.id'],
    ['NUL in a query string', { url: '/v1/search?q=a%00b', headers: auth }, 'querystring.q'],
    ['NUL in body content', { method: 'POST', url: '/v1/things', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":"a\\u0000b"}' }, 'body.name'],
    ['NUL nested in an array of the body', { method: 'POST', url: '/v1/things', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":"n","tags":["ok","\\u0000"]}' }, 'body.tags.1'],
    ['a lone high surrogate in body content', { method: 'POST', url: '/v1/things', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":"a\\ud800b"}' }, 'body.name'],
    ['a lone low surrogate in body content', { method: 'POST', url: '/v1/things', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":"\\udc00"}' }, 'body.name'],
  ];
  for (const [what, req, field] of cases) {
    const r = await app.inject(req);
    assert.equal(r.statusCode, 400, `${what}: ${short(r.body)}`);
    const p = problemOf(r);
    assert.equal(p.code, 'GOV_ERR_INPUT_INVALID', what);
    assert.ok(fields(p).includes(field), `${what}: names ${field}, got ${JSON.stringify(p.violations)}`);
  }
  // A well-formed surrogate pair (an astral character) is ordinary text.
  const emoji = await app.inject({ method: 'POST', url: '/v1/things', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":"\\ud83d\\ude00 𠀀"}' });
  assert.equal(emoji.statusCode, 200, short(emoji.body));
  assert.equal(emoji.json().echo.name, '😀 𠀀');
});

test('EDGE: every string of a route schema has a maxLength, every array a maxItems and every integer a bound, also in the published OpenAPI (issue 13, defect 1)', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const auth = { authorization: token, 'content-type': 'application/json' };
  const long = await app.inject({ method: 'POST', url: '/v1/things', headers: auth, payload: { name: 'x'.repeat(100_000) } });
  assert.equal(long.statusCode, 400, short(long.body));
  assert.ok(fields(problemOf(long)).includes('body.name'));
  const many = await app.inject({ method: 'POST', url: '/v1/things', headers: auth, payload: { name: 'n', tags: Array.from({ length: 20_000 }, () => 't') } });
  assert.equal(many.statusCode, 400, short(many.body));
  assert.ok(fields(problemOf(many)).includes('body.tags'));

  assert.deepEqual(unboundedFields((await app.inject({ url: '/docs/json' })).json() as OpenApiDoc), []);
});

test('EDGE: a body over the body limit is 413 problem+json, not 500 (issue 13, defect 4)', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const r = await app.inject({ method: 'POST', url: '/v1/things', headers: { authorization: token, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }) });
  assert.equal(r.statusCode, 413, short(r.body));
  assert.equal(problemOf(r).code, 'GOV_ERR_BODY_TOO_LARGE');
});

test('EDGE: numbers beyond a safe range, non-decimal numerals and invalid date-times (leap second 23:59:60) are 400, and a numeric query parameter is parsed strictly (issue 13, defect 5)', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const auth = { authorization: token };
  for (const q of ['offset=99999999999999999999', 'offset=1e3', 'offset=0x10', 'offset=%2012', 'offset=1.5', 'limit=10&limit=20', 'overdue=1', 'overdue=yes']) {
    const r = await app.inject({ url: `/v1/search?${q}`, headers: auth });
    assert.equal(r.statusCode, 400, `${q}: ${short(r.body)}`);
    assert.equal(problemOf(r).code, 'GOV_ERR_INPUT_INVALID');
  }
  const ok = await app.inject({ url: '/v1/search?offset=9007199254740991&limit=10&overdue=false&q=12', headers: auth });
  assert.equal(ok.statusCode, 200, short(ok.body));
  assert.deepEqual(ok.json().query, { offset: 9007199254740991, limit: 10, overdue: false, q: '12' });
  const body = { authorization: token, 'content-type': 'application/json' };
  for (const at of ['2016-12-31T23:59:60Z', '2026-02-30T10:00:00Z', '2026-13-01T10:00:00Z', '2026-01-01T24:00:00Z']) {
    const r = await app.inject({ method: 'POST', url: '/v1/things', headers: body, payload: { name: 'n', at } });
    assert.equal(r.statusCode, 400, `${at}: ${short(r.body)}`);
    assert.ok(fields(problemOf(r)).includes('body.at'), at);
  }
  const big = await app.inject({ method: 'POST', url: '/v1/things', headers: body, payload: '{"name":"n","count":1e300}' });
  assert.equal(big.statusCode, 400, short(big.body));
  assert.ok(fields(problemOf(big)).includes('body.count'));
  assert.equal((await app.inject({ method: 'POST', url: '/v1/things', headers: body, payload: { name: 'n', at: '2026-12-31T23:59:59+08:00' } })).statusCode, 200);
});

test(`EDGE: ids are bounded so every accepted id is reachable by its /{id} route: an id of ${ID_MAX_LENGTH} characters is served, a longer or ill-formed one is 400, a too-long path segment is 414 problem+json (issue 13, defect 5)`, async (t) => {
  const app = await build();
  t.after(() => app.close());
  const auth = { authorization: token, 'content-type': 'application/json' };
  const longest = `e-${'a'.repeat(ID_MAX_LENGTH - 2)}`;
  assert.equal((await app.inject({ method: 'POST', url: '/v1/things', headers: auth, payload: { id: longest, name: 'n' } })).statusCode, 200);
  const got = await app.inject({ url: `/v1/things/${longest}`, headers: auth });
  assert.equal(got.statusCode, 200, short(got.body));
  assert.equal(got.json().id, longest);
  for (const id of [`${longest}b`, 'has space', 'a/b', '-leading-dash', '', 'ü-umlaut']) {
    const r = await app.inject({ method: 'POST', url: '/v1/things', headers: auth, payload: { id, name: 'n' } });
    assert.equal(r.statusCode, 400, `${JSON.stringify(id)}: ${short(r.body)}`);
    assert.ok(fields(problemOf(r)).includes('body.id'), id);
  }
  const tooLong = await app.inject({ url: `/v1/things/${'a'.repeat(ID_MAX_LENGTH + 50)}`, headers: auth });
  assert.equal(tooLong.statusCode, 414, short(tooLong.body));
  assert.equal(problemOf(tooLong).code, 'GOV_ERR_URI_TOO_LONG');
  const badUrl = await app.inject({ url: '/v1/things/%FF', headers: auth });
  assert.equal(badUrl.statusCode, 400, short(badUrl.body));
  assert.equal(problemOf(badUrl).code, 'GOV_ERR_INPUT_INVALID');
});

test('EDGE: JSON types are never coerced: a number where a string is declared is 400, not "0" (issue 13, defect 6)', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const auth = { authorization: token, 'content-type': 'application/json' };
  for (const payload of [{ name: 0 }, { name: true }, { name: 'n', tags: 'one' }, { name: 'n', count: '3' }, { name: 'n', tags: [1] }, { name: null }]) {
    const r = await app.inject({ method: 'POST', url: '/v1/things', headers: auth, payload });
    assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${short(r.body)}`);
    assert.equal(problemOf(r).code, 'GOV_ERR_INPUT_INVALID');
  }
});

test('EDGE: an unsupported media type is 415 problem+json; every response carries x-request-id (a well-formed one echoed) and traceparent; a 500 body gives the request id to quote and logs it (issue 13, defect 10)', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb(); } });
  const app = await build(pino({ level: 'error' }, sink));
  t.after(() => app.close());
  const xml = await app.inject({ method: 'POST', url: '/v1/things', headers: { authorization: token, 'content-type': 'text/xml' }, payload: '<name/>' });
  assert.equal(xml.statusCode, 415, short(xml.body));
  assert.equal(problemOf(xml).code, 'GOV_ERR_MEDIA_TYPE_UNSUPPORTED');

  const traceparent = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;
  for (const [what, r] of [
    ['healthz', await app.inject({ url: '/healthz' })],
    ['404', await app.inject({ url: '/nowhere' })],
    ['401', await app.inject({ url: '/v1/things/x' })],
    ['415', xml],
    ['414', await app.inject({ url: `/v1/things/${'a'.repeat(300)}`, headers: { authorization: token } })],
    ['200', await app.inject({ url: '/v1/things/x', headers: { authorization: token } })],
  ] as const) {
    assert.match(String(r.headers['x-request-id']), /^[A-Za-z0-9._:-]{1,128}$/, `${what} carries x-request-id`);
    assert.match(String(r.headers['traceparent']), traceparent, `${what} carries traceparent`);
  }
  const echoed = await app.inject({ url: '/v1/things/x', headers: { authorization: token, 'x-request-id': 'client-req-42' } });
  assert.equal(echoed.headers['x-request-id'], 'client-req-42');
  const forged = await app.inject({ url: '/v1/things/x', headers: { authorization: token, 'x-request-id': 'bad id\twith spaces' } });
  assert.notEqual(forged.headers['x-request-id'], 'bad id\twith spaces');
  const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const continued = await app.inject({ url: '/v1/things/x', headers: { authorization: token, traceparent: incoming } });
  assert.match(String(continued.headers['traceparent']), traceparent);

  const boom = await app.inject({ url: '/v1/boom', headers: { authorization: token, 'x-request-id': 'quote-me-7' } });
  assert.equal(boom.statusCode, 500);
  const p = problemOf(boom);
  assert.equal(p.requestId, 'quote-me-7');
  assert.doesNotMatch(boom.body, /secret detail/);
  assert.ok(lines.some((l) => l['reqId'] === 'quote-me-7' && l['level'] === 50), `the 500 is logged with its request id: ${JSON.stringify(lines)}`);
});

test('EDGE: request headers over the size limit get 431 problem+json with a request id (issue 13, defect 10)', async (t) => {
  const app = await build();
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-filler': 'f'.repeat(40_000) } }, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.status, 431, short(res.body));
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal((JSON.parse(res.body) as { code: string }).code, 'GOV_ERR_HEADERS_TOO_LARGE');
  assert.match(String(res.headers['x-request-id']), /.+/);
  assert.match(String(res.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
});
