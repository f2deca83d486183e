import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/exchange/v1';
import { ControlledClock } from '@govmesh/backbone';
import { restAs, waitFor } from '@govmesh/backbone/testing';
import type { AuditService } from '../../audit/src/app.ts';
import { startTestAudit } from '../../audit/src/testing.ts';
import { OTHER, PROVIDER, REQUESTER, approvedShare, publishEntry, startTestMesh, type TestMesh } from './testing.ts';

// The mesh with its ledger: catalog, request, exchange and audit in-process on one platform. The
// audit service knows the exchange only through <P>.exchange.events (found by its topic pattern).
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
let m: TestMesh;
let audit: AuditService;

before(async () => {
  m = await startTestMesh(clock);
  ({ service: audit } = await startTestAudit({ platform: m.platform }));
});
after(async () => {
  await audit?.stop();
  await m?.stop();
});

const auditor = () => restAs(audit.httpUrl, m.platform.token('dept-audit-office'));
const lifecycle = (id: string, has: (l: Record<string, any>) => boolean) =>
  waitFor(`lifecycle of ${id}`, async () => {
    const r = await auditor().get(`/v1/lifecycles/${id}`);
    return r.status === 200 && has(r.body!) ? r.body! : undefined;
  }, 30000);
const person = (i: number) => ({ citizen_id: `11010119900307${String(i).padStart(4, '0')}`, name: `居民${i}`, household_size: 2, income: 1000 });

describe('the exchange in the ledger and over gRPC', () => {
  test("DLV-01: the ledger rebuilds a share's lifecycle with its first delivery (exchange) and the activation it caused (request), and the entry's with its dataset loads", async () => {
    const entryId = await publishEntry(m);
    const res = await fetch(`${m.exchange.httpUrl}/v1/datasets/${entryId}/records?key=citizen_id`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m.platform.token(PROVIDER)}`, 'content-type': 'application/x-ndjson' },
      body: [person(1), person(2)].map((r) => JSON.stringify(r)).join('\n'),
    });
    assert.equal(res.status, 201);
    const shareId = await approvedShare(m, entryId);
    const pulled = await fetch(`${m.exchange.httpUrl}/v1/shares/${shareId}/records`, { headers: { authorization: `Bearer ${m.platform.token(REQUESTER)}` } });
    assert.equal(pulled.status, 200);
    await pulled.text();

    const l = await lifecycle(shareId, (b) => ['ShareActivated', 'ShareDeliveryStarted'].every((type) => (b['timeline'] as { type: string }[]).some((t) => t.type === type)));
    const timeline = (l['timeline'] as { service: string; type: string }[]).filter((t) => t.service !== 'catalog').map((t) => `${t.service}:${t.type}`);
    assert.deepEqual(timeline.slice(-2), ['exchange:ShareDeliveryStarted', 'request:ShareActivated']);
    const final = Object.fromEntries((l['finalState'] as { service: string; status: string }[]).map((s) => [s.service, s.status]));
    assert.equal(final['exchange'], 'DELIVERING');
    assert.equal(final['request'], 'ACTIVE');
    const entry = await lifecycle(entryId, (b) => (b['timeline'] as { type: string }[]).some((t) => t.type === 'DatasetVersionLoaded'));
    assert.equal(Object.fromEntries((entry['finalState'] as { service: string; status: string }[]).map((s) => [s.service, s.status]))['exchange'], 'DATASET_V1');
  });

  test('SEC-14: gRPC GetDataset for the provider and GetShare for the parties; another department is PERMISSION_DENIED, a blank id INVALID_ARGUMENT', async () => {
    const entryId = await publishEntry(m);
    const shareId = await approvedShare(m, entryId);
    const client = new pb.ExchangeServiceClient(m.exchange.grpcAddress, grpc.credentials.createInsecure());
    const md = (dept: string) => {
      const x = new grpc.Metadata();
      x.set('authorization', `Bearer ${m.platform.token(dept)}`);
      return x;
    };
    const call = <Req, Res>(fn: (r: Req, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: Res) => void) => unknown, req: Req, dept: string) =>
      new Promise<{ err: grpc.ServiceError | null; res?: Res }>((resolve) => fn.call(client, req, md(dept), (err, res) => resolve({ err, res })));
    try {
      const ds = await call<pb.GetDatasetRequest, pb.GetDatasetResponse>(client.getDataset, { entryId }, PROVIDER);
      assert.equal(ds.err, null);
      assert.deepEqual([ds.res!.provider, ds.res!.currentVersion, ds.res!.history.length], [PROVIDER, 0, 0]);
      const share = await call<pb.GetShareRequest, pb.GetShareResponse>(client.getShare, { shareId }, REQUESTER);
      assert.equal(share.err, null);
      assert.deepEqual([share.res!.state, share.res!.approvedItems, share.res!.shareMethod], ['APPROVED', ['citizen_id', 'name', 'income'], 'API']);
      assert.equal((await call<pb.GetShareRequest, pb.GetShareResponse>(client.getShare, { shareId }, OTHER)).err?.code, grpc.status.PERMISSION_DENIED);
      assert.equal((await call<pb.GetDatasetRequest, pb.GetDatasetResponse>(client.getDataset, { entryId }, OTHER)).err?.code, grpc.status.PERMISSION_DENIED);
      assert.equal((await call<pb.GetShareRequest, pb.GetShareResponse>(client.getShare, { shareId: ' ' }, REQUESTER)).err?.code, grpc.status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
  });
});
