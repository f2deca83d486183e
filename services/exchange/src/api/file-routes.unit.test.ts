import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDefects, serviceOpenApi, unboundedFields } from '@govmesh/backbone/testing';
import { fileDeliveryRoutes } from './file-routes.ts';

// Issue 13: the file download operations are documented completely (no handler runs).
test('OPENAPI: every file download operation has an operationId, a 2xx schema, its problem answers and roles; every request field is bounded', async () => {
  const doc = await serviceOpenApi('exchange', fileDeliveryRoutes({ files: {} as never }));
  assert.deepEqual(openApiDefects(doc), []);
  assert.deepEqual(unboundedFields(doc), []);
  assert.deepEqual(Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => (o as { operationId: string }).operationId)).sort(), ['buildFile', 'downloadFile', 'getFileManifest', 'getFileSigningKey']);
});
