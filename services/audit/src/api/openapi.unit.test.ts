import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPO_ROOT, SchemaRegistry } from '@govmesh/backbone';
import { openApiDefects, serviceOpenApi, unboundedFields } from '@govmesh/backbone/testing';
import { AuditQueries } from '../ledger/queries.ts';
import { auditRoutes } from './rest.ts';

const doc = () => serviceOpenApi('audit', auditRoutes({ ledger: {} as never, checkpointer: {} as never, queries: {} as never, witness: { vkey: 'unused' } as never }));

// Issue 13: the audit service's OpenAPI document is complete (no handler runs: the routes need no stack).
test('OPENAPI: every audit operation has an operationId, a 2xx schema, its problem answers and roles; every request field is bounded', async () => {
  const d = await doc();
  assert.deepEqual(openApiDefects(d), []);
  assert.deepEqual(unboundedFields(d), []);
  assert.equal(Object.values(d.paths).flatMap((ops) => Object.keys(ops)).length, 10);
  // The witness protocol is authenticated by its checkpoint signature, not by a department token.
  assert.deepEqual(d.paths['/tlog-witness/add-checkpoint']!['post']!.security, []);
});

// Found by schemathesis (tests/fuzz.e2e.test.ts): the document said gaps was a number.
test('OPENAPI: the completeness answer, gaps included, is what the document says', async () => {
  const ledger = {
    size: 3,
    store: { counts: async () => ({ entries: 3, seenAgain: 0, undecodable: 0, late: 0, gaps: [{ topic: 't', partition: 0, from: '4', to: '7', idx: 2 }] }) },
    watermarks: () => [{ topic: 't', partition: 0, logStart: 0n, nextOffset: 8n }],
  };
  const answer = await new AuditQueries({ ledger: ledger as never, checkpointer: { latestSize: 3 } as never, registry: SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`) }).completeness();
  const schema = (await doc()).paths['/v1/ledger/completeness']!['get']!.responses!['200']!.content!['application/json']!.schema as object;
  const validate = new Ajv2020({ strict: false }).compile(schema);
  assert.ok(validate(JSON.parse(JSON.stringify(answer))), JSON.stringify(validate.errors));
});
