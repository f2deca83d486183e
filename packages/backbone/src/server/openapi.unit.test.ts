import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDefects, serviceOpenApi } from '../testing/openapi.ts';
import { idSchema } from './edge.ts';
import { operation } from './openapi.ts';

// Issue 13: the OpenAPI documents are complete. The shared parts are written once here; what a
// service forgets is found by openApiDefects, which every service's document test runs.

const ack = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;

test('OPENAPI: a documented command gets every problem answer from the error table, its roles, the command headers and a token how-to', async () => {
  const doc = await serviceOpenApi('t', async (app) => {
    app.post(
      '/v1/things/:id/approval',
      { schema: operation({ operationId: 'approveThing', summary: 'Approve a thing', roles: ['competent'], who: 'of the platform', errors: ['GOV_ERR_AUTH_FORBIDDEN', 'GOV_ERR_NOT_FOUND', 'GOV_ERR_RULE_VIOLATED', 'GOV_ERR_CONCURRENCY_CONFLICT'] }, { params: { type: 'object', properties: { id: idSchema } }, response: { 200: ack } }) },
      async () => ({ id: 'x' }),
    );
  });
  assert.deepEqual(openApiDefects(doc), []);
  const op = doc.paths['/v1/things/{id}/approval']!['post']!;
  assert.equal(op.operationId, 'approveThing');
  assert.deepEqual(op['x-govmesh-roles'], ['competent']);
  assert.match(op.description ?? '', /Roles: competent \(of the platform\)\./);
  assert.deepEqual(Object.keys(op.responses!).sort(), ['200', '400', '401', '403', '404', '409', '412', '413', '414', '415', '431', '500', '503']);
  assert.match(op.responses!['409']!.description!, /GOV_ERR_RULE_VIOLATED.*GOV_ERR_CONCURRENCY_CONFLICT|GOV_ERR_CONCURRENCY_CONFLICT.*GOV_ERR_RULE_VIOLATED/);
  assert.match(op.responses!['409']!.description!, /GOV_ERR_IDEMPOTENCY_KEY_REUSED/);
  assert.deepEqual(op.responses!['404']!.content, { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
  assert.deepEqual(op.parameters!.filter((p) => p.in === 'header').map((p) => p.name).sort(), ['idempotency-key', 'if-match']);
  assert.ok(doc.components?.schemas?.['Problem'] !== undefined);
  assert.match(doc.info?.description ?? '', /scripts\/token\.ts/);
});

test('OPENAPI: openApiDefects names each operation without operationId, 2xx schema, problem answers or roles', async () => {
  const doc = await serviceOpenApi('t', async (app) => {
    app.get('/v1/bare', async () => ({}));
  });
  const defects = openApiDefects(doc);
  assert.ok(defects.includes('GET /v1/bare: no operationId'), defects.join('\n'));
  assert.ok(defects.includes('GET /v1/bare: no 2xx response schema'), defects.join('\n'));
  assert.ok(defects.includes('GET /v1/bare: no x-govmesh-roles'), defects.join('\n'));
  // Stripped of what the edge adds, a document is incomplete.
  const op = doc.paths['/v1/bare']!['get']!;
  delete op.responses!['503'];
  op.responses!['418'] = { description: 'teapot' };
  const stripped = openApiDefects(doc);
  assert.ok(stripped.includes('GET /v1/bare: 503 not documented as application/problem+json'), stripped.join('\n'));
  assert.ok(stripped.includes('GET /v1/bare: 418 without a schema'), stripped.join('\n'));
});

test('OPENAPI: answers are serialised as they are, not reshaped by their documented schema (the fuzzer checks the schema)', async () => {
  const { createHttpServer } = await import('./http.ts');
  const { createLogger } = await import('../telemetry/logging.ts');
  const { createMetrics } = await import('../telemetry/metrics.ts');
  const app = await createHttpServer({
    service: 't', version: '1', description: 'd', logger: createLogger('t', 'silent'), metrics: createMetrics('t'),
    authenticator: { authenticate: () => ({ department: { id: 'd', name: 'd', platform: 'p', level: 'ministry', regionCode: '1', roles: [] } }) } as never,
    readiness: async () => ({ checks: {}, warnings: {} }),
  });
  app.get('/v1/shape', { schema: { response: { 200: ack } } }, async () => ({ id: 7, extra: true }));
  const r = await app.inject({ url: '/v1/shape' });
  await app.close();
  assert.deepEqual(r.json(), { id: 7, extra: true });
});
