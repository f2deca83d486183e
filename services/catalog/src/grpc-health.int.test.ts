import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { waitFor } from '@govmesh/backbone/testing';
import { startTestCatalog } from './testing.ts';

// The service as Kubernetes probes it: grpc.health.v1.Health on the gRPC port says what /readyz
// says, and turns NOT_SERVING as soon as the service begins to stop (issue 13).
const require = createRequire(import.meta.url);
const healthProto = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');

test('HEALTH: the catalog service answers grpc.health.v1.Health as /readyz does, and Watch sees NOT_SERVING when it stops', async () => {
  const { service } = await startTestCatalog();
  const { grpc: { health: { v1 } } } = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { enums: String })) as Record<string, any>;
  const client = new v1.Health(service.grpcAddress, grpc.credentials.createInsecure());
  const seen: string[] = [];
  try {
    await waitFor('/readyz 200', async () => ((await fetch(`${service.httpUrl}/readyz`)).status === 200 ? true : undefined));
    const status = await waitFor('SERVING', async () => {
      const s = await new Promise<string>((r) => client.Check({ service: 'govmesh.catalog.v1.CatalogService' }, (_e: unknown, res?: { status: string }) => r(res?.status ?? '')));
      return s === 'SERVING' ? s : undefined;
    });
    assert.equal(status, 'SERVING');
    const watch = client.Watch({ service: '' });
    watch.on('data', (m: { status: string }) => seen.push(m.status));
    watch.on('error', () => undefined);
    await waitFor('first status', async () => seen.length > 0 || undefined);
  } finally {
    await service.stop();
    client.close();
  }
  assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
});
