import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDefects, serviceOpenApi, unboundedFields } from '@govmesh/backbone/testing';
import { exchangeRoutes } from './rest.ts';

// Issue 13: the exchange's OpenAPI document is complete (no handler runs: the routes need no stack).
test('OPENAPI: every exchange operation has an operationId, a 2xx schema, its problem answers and roles; every request field is bounded', async () => {
  const doc = await serviceOpenApi('exchange', exchangeRoutes({ commands: {} as never, datasets: {} as never, catalog: {} as never, shares: {} as never, calls: {} as never, pull: {} as never, clock: {} as never, maskingKey: new Uint8Array(32), uploadMaxBytes: 1 }));
  assert.deepEqual(openApiDefects(doc), []);
  assert.deepEqual(unboundedFields(doc), []);
  assert.equal(Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length, 6);
});
