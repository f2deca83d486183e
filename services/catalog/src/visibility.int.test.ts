import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { uuidv7 } from '@govmesh/backbone';
import { waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import * as pb from '@govmesh/contracts/catalog/v1';
import type { CatalogService } from './app.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { publishOverRest, restAs, startTestCatalog } from './testing.ts';

// Issue 13, defect 8: any department read every other department's drafts, assessments and
// return reasons. A draft (an entry never published, or the unpublished update of a published one)
// is seen by its provider and the competent department only; everyone else sees published versions.
let svc: CatalogService;
let platform: TestPlatform;
before(async () => {
  ({ service: svc, platform } = await startTestCatalog());
});
after(async () => {
  await svc?.stop();
});

const as = (dept: string) => restAs(svc.httpUrl, platform.token(dept));
const ok = (r: { status: number; body?: unknown }) => assert.ok(r.status < 300, JSON.stringify(r.body));
const grpcAs = (dept: string) => {
  const client = new pb.CatalogServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${platform.token(dept)}`);
  return {
    get: (entryId: string) => new Promise<{ err: grpc.ServiceError | null; res?: pb.GetEntryResponse }>((r) => client.getEntry({ entryId }, md, (err, res) => r({ err, res }))),
    search: (keyword: string) => new Promise<pb.SearchEntriesResponse>((r, j) => client.searchEntries({ ...pb.SearchEntriesRequest.fromPartial({ keyword, limit: 500 }) }, md, (err, res) => (err ? j(err) : r(res)))),
    close: () => client.close(),
  };
};

test('EDGE: CAT-10: a draft, its assessments and return reasons are seen by its provider and the competent department only; other departments see published versions only, over REST and gRPC (defect 8)', async () => {
  const tag = uuidv7().slice(-12);
  const provider = as('dept-public-security');
  // A draft returned with reasons: never published.
  const draftId = `ce-draft-${tag}`;
  const draft = { ...conditionalContent(), name: `draft-${tag}` };
  for (const step of [
    () => provider.post('/v1/entries', { entryId: draftId, content: draft }),
    () => provider.post(`/v1/entries/${draftId}/assessments`, { kind: 'SECRECY_RISK', reference: `SR-${tag}`, conclusion: 'no state secrets' }),
    () => provider.post(`/v1/entries/${draftId}/assessments`, { kind: 'PERSONAL_INFORMATION', reference: `PIA-${tag}`, conclusion: 'minimised' }),
    () => provider.post(`/v1/entries/${draftId}/head-approval`, { approver: 'Director Wang' }),
    () => provider.post(`/v1/entries/${draftId}/submission`),
    () => as('dept-data-bureau').post(`/v1/entries/${draftId}/return`, { reasons: [`secret reason ${tag}`] }),
  ]) ok(await step());
  // A published entry whose update is under way with new, unpublished content.
  const pubId = `ce-pub-${tag}`;
  await publishOverRest(svc, platform, pubId, { ...conditionalContent(), name: `published-${tag}` });
  ok(await provider.post(`/v1/entries/${pubId}/updates`, { trigger: 'LAW_CHANGE', description: 'new law' }));
  ok(await provider.put(`/v1/entries/${pubId}/content`, { content: { ...conditionalContent(), name: `unpublished-update-${tag}` } }));
  await waitFor('both projected', async () => {
    const r = await provider.get(`/v1/entries?keyword=${tag}&limit=500`);
    const e = r.body!['entries'] as { entryId: string; content: { name: string } }[];
    return e.length === 2 && e.some((x) => x.content.name === `unpublished-update-${tag}`) ? true : undefined;
  });

  // The provider and the competent department see the drafts, their assessments and reasons.
  for (const dept of ['dept-public-security', 'dept-data-bureau']) {
    const got = await as(dept).get(`/v1/entries/${draftId}`);
    assert.equal(got.status, 200, dept);
    assert.deepEqual(got.body!['entry'].returnReasons, [`secret reason ${tag}`], dept);
    assert.ok(JSON.stringify(got.body!['history']).includes(`SR-${tag}`), dept);
    const upd = await as(dept).get(`/v1/entries/${pubId}`);
    assert.equal(upd.body!['entry'].content.name, `unpublished-update-${tag}`, dept);
    assert.equal((await as(dept).get(`/v1/entries?keyword=${tag}&limit=500`)).body!['total'], 2, dept);
  }

  // Another department: the never-published draft does not exist for it; the updated entry shows its published version.
  for (const dept of ['dept-civil-affairs', 'dept-audit-office']) {
    const other = as(dept);
    assert.equal((await other.get(`/v1/entries/${draftId}`)).status, 404, dept);
    const got = await other.get(`/v1/entries/${pubId}`);
    assert.equal(got.status, 200, dept);
    const body = JSON.stringify(got.body);
    assert.equal(got.body!['entry'].content.name, `published-${tag}`, dept);
    assert.equal(got.body!['entry'].status, 'PUBLISHED', dept);
    assert.equal(got.body!['entry'].publishedVersion, 1, dept);
    assert.deepEqual(got.body!['versions'].map((v: { version: number }) => v.version), [1], dept);
    for (const secret of [`unpublished-update-${tag}`, 'SR-2026-001', 'PIA-2026-001', 'Director Wang', 'new law']) assert.ok(!body.includes(secret), `${dept} sees ${secret}`);
    const found = await other.get(`/v1/entries?keyword=${tag}&limit=500`);
    assert.deepEqual(found.body!['entries'].map((e: { entryId: string }) => e.entryId), [pubId], dept);
    assert.equal(found.body!['total'], 1, dept);
    assert.equal(found.body!['entries'][0].content.name, `published-${tag}`, dept);
    assert.equal((await other.get(`/v1/entries?keyword=unpublished-update-${tag}&limit=500`)).body!['total'], 0, `${dept}: search matches unpublished content`);
    assert.equal((await other.get(`/v1/entries?keyword=draft-${tag}&limit=500`)).body!['total'], 0, dept);
  }

  // The same over gRPC.
  const other = grpcAs('dept-civil-affairs');
  try {
    assert.equal((await other.get(draftId)).err?.code, grpc.status.NOT_FOUND);
    const got = await other.get(pubId);
    assert.equal(got.err, null);
    assert.equal(got.res!.entry!.content!.name, `published-${tag}`);
    assert.ok(!JSON.stringify(got.res).includes('SR-2026-001'));
    const found = await other.search(tag);
    assert.deepEqual(found.entries.map((e) => [e.entryId, e.content?.name]), [[pubId, `published-${tag}`]]);
  } finally {
    other.close();
  }
  const own = grpcAs('dept-public-security');
  try {
    assert.equal((await own.get(draftId)).res!.entry!.returnReasons[0], `secret reason ${tag}`);
    assert.equal((await own.search(tag)).total, 2);
  } finally {
    own.close();
  }
});
