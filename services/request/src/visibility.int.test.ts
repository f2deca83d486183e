import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { uuidv7 } from '@govmesh/backbone';
import { testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import * as pb from '@govmesh/contracts/request/v1';
import type { CatalogService } from '../../catalog/src/app.ts';
import { conditionalContent } from '../../catalog/src/domain/fixtures.ts';
import { restAs, startTestCatalog } from '../../catalog/src/testing.ts';
import type { RequestService } from './app.ts';
import { startTestRequest } from './testing.ts';

// Issue 13, defect 8, through the request service's catalog view: a never-published entry's draft
// name was readable by any department at /v1/requestable-entries/{id}. Like the catalog itself, the
// view shows a draft to its provider and the competent department only.
let platform: TestPlatform;
let catalog: CatalogService;
let svc: RequestService;
before(async () => {
  platform = testPlatform();
  ({ service: catalog } = await startTestCatalog({ platform }));
  ({ service: svc } = await startTestRequest({ platform }));
});
after(async () => {
  await svc?.stop();
  await catalog?.stop();
});

test('EDGE: CAT-10: a never-published entry is not found in the request service\'s catalog view by a department other than its provider and the competent one, over REST and gRPC (defect 8)', async () => {
  const entryId = `ce-${uuidv7()}`;
  const name = `draft-only-${entryId}`;
  const created = await restAs(catalog.httpUrl, platform.token('dept-public-security')).post('/v1/entries', { entryId, content: { ...conditionalContent(), name } });
  assert.equal(created.status, 201);
  const path = `/v1/requestable-entries/${entryId}`;
  for (const dept of ['dept-public-security', 'dept-data-bureau']) {
    const seen = await waitFor(`${dept} sees the draft`, async () => {
      const r = await restAs(svc.httpUrl, platform.token(dept)).get(path);
      return r.status === 200 ? r.body : undefined;
    });
    assert.equal(seen['status'], 'UNPUBLISHED');
  }
  const other = await restAs(svc.httpUrl, platform.token('dept-civil-affairs')).get(path);
  assert.equal(other.status, 404);
  assert.ok(!JSON.stringify(other.body).includes('draft-only'));
  const client = new pb.RequestServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${platform.token('dept-civil-affairs')}`);
  try {
    const err = await new Promise<grpc.ServiceError | null>((r) => client.getRequestableEntry({ entryId }, md, (e) => r(e)));
    assert.equal(err?.code, grpc.status.NOT_FOUND);
  } finally {
    client.close();
  }
});
