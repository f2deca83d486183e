import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDefects, serviceOpenApi, unboundedFields } from '@govmesh/backbone/testing';
import { pushRoutes } from './push-routes.ts';

// Issue 13: the push schema operation is documented like every other (no handler runs).
test('OPENAPI: the push schema operation has an operationId, a 2xx schema, its problem answers and roles', async () => {
  const doc = await serviceOpenApi('exchange', pushRoutes({ platform: 'national', catalog: {} as never, shares: {} as never, maskingKey: new Uint8Array(32) }));
  assert.deepEqual(openApiDefects(doc), []);
  assert.deepEqual(unboundedFields(doc), []);
  assert.deepEqual(Object.keys(doc.paths), ['/v1/shares/{shareId}/push-schema']);
});
