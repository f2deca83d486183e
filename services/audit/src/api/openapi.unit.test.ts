import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDefects, serviceOpenApi, unboundedFields } from '@govmesh/backbone/testing';
import { auditRoutes } from './rest.ts';

// Issue 13: the audit service's OpenAPI document is complete (no handler runs: the routes need no stack).
test('OPENAPI: every audit operation has an operationId, a 2xx schema, its problem answers and roles; every request field is bounded', async () => {
  const doc = await serviceOpenApi('audit', auditRoutes({ ledger: {} as never, checkpointer: {} as never, queries: {} as never, witness: { vkey: 'unused' } as never }));
  assert.deepEqual(openApiDefects(doc), []);
  assert.deepEqual(unboundedFields(doc), []);
  assert.equal(Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length, 10);
  // The witness protocol is authenticated by its checkpoint signature, not by a department token.
  assert.deepEqual(doc.paths['/tlog-witness/add-checkpoint']!['post']!.security, []);
});
