import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT, SchemaRegistry } from '@govmesh/backbone';
import { openApiDefects, serviceOpenApi, unboundedFields } from '@govmesh/backbone/testing';
import { catalogRoutes } from './rest.ts';

// Issue 13: the catalog's OpenAPI document is complete (no handler runs: the routes need no stack).
test('OPENAPI: every catalog operation has an operationId, a 2xx schema, its problem answers and roles; every request field is bounded', async () => {
  const doc = await serviceOpenApi('catalog', catalogRoutes({ commands: {} as never, queries: {} as never, registry: SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`) }));
  assert.deepEqual(openApiDefects(doc), []);
  assert.deepEqual(unboundedFields(doc), []);
  assert.equal(Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length, 12);
});
