import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import * as pb from '@govmesh/contracts/catalog/v1';
import { REPO_ROOT } from './main.ts';
import { serveStandardServices, startGrpcServer, stopGrpcServer } from './grpc.ts';

// Issue 13: gRPC speaks what gRPC clients and Kubernetes expect. The standard health service
// (grpc.health.v1.Health: Check and Watch) tells the same truth as /readyz, and server reflection
// lets grpcurl and Postman call the service without its .proto files. Real clients, over a port.
const require = createRequire(import.meta.url);
const load = (file: string, includeDirs: string[] = []) =>
  grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, enums: String, longs: String, defaults: true, includeDirs })) as Record<string, any>;
const healthProto = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

let ready = true;
let server: grpc.Server;
let address: string;
let standard: { refresh(): Promise<void>; stop(): void };
before(async () => {
  const started = await startGrpcServer('127.0.0.1', 0, (s) => {
    s.addService(pb.CatalogServiceService, {} as grpc.UntypedServiceImplementation);
    standard = serveStandardServices(s, { definition: pb.CatalogServiceService, protoRoot: join(REPO_ROOT, 'proto'), ready: async () => ready, pollMs: 50 });
  });
  server = started.server;
  address = `127.0.0.1:${started.port}`;
});
after(async () => {
  standard.stop();
  await stopGrpcServer(server, 1000);
});

test('HEALTH: grpc.health.v1.Health Check reports SERVING while /readyz would be 200 and NOT_SERVING while it would be 503, for the server and for the service; an unknown service is NOT_FOUND', async () => {
  const { grpc: { health: { v1 } } } = load(healthProto);
  const client = new v1.Health(address, grpc.credentials.createInsecure());
  const check = (service: string) => new Promise<{ err: grpc.ServiceError | null; status?: string }>((r) => client.Check({ service }, (err: grpc.ServiceError | null, res?: { status: string }) => r({ err, ...(res === undefined ? {} : { status: res.status }) })));
  try {
    ready = true;
    await standard.refresh();
    assert.equal((await check('')).status, 'SERVING');
    assert.equal((await check('govmesh.catalog.v1.CatalogService')).status, 'SERVING');
    ready = false;
    await standard.refresh();
    assert.equal((await check('')).status, 'NOT_SERVING');
    assert.equal((await check('govmesh.catalog.v1.CatalogService')).status, 'NOT_SERVING');
    assert.equal((await check('no.such.Service')).err?.code, grpc.status.NOT_FOUND);
  } finally {
    ready = true;
    await standard.refresh();
    client.close();
  }
});

test('HEALTH: grpc.health.v1.Health Watch streams each change of readiness as it happens', async () => {
  const { grpc: { health: { v1 } } } = load(healthProto);
  const client = new v1.Health(address, grpc.credentials.createInsecure());
  const seen: string[] = [];
  const call = client.Watch({ service: '' });
  call.on('data', (m: { status: string }) => seen.push(m.status));
  call.on('error', () => undefined);
  const until = async (n: number) => {
    for (let i = 0; i < 100 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  };
  try {
    await until(1);
    ready = false;
    await until(2);
    ready = true;
    await until(3);
    assert.deepEqual(seen.slice(0, 3), ['SERVING', 'NOT_SERVING', 'SERVING']);
  } finally {
    call.cancel();
    client.close();
  }
});

test('HEALTH: server reflection lists the services and describes them without the .proto files (grpcurl, Postman)', async () => {
  const { grpc: { reflection: { v1 } } } = load(reflectionProto);
  const client = new v1.ServerReflection(address, grpc.credentials.createInsecure());
  const ask = (req: Record<string, unknown>) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const call = client.ServerReflectionInfo();
      call.on('data', (m: Record<string, any>) => {
        resolve(m);
        call.end();
      });
      call.on('error', reject);
      call.write(req);
    });
  try {
    const list = await ask({ list_services: '' });
    const names = (list['list_services_response'].service as { name: string }[]).map((s) => s.name);
    for (const n of ['govmesh.catalog.v1.CatalogService', 'grpc.health.v1.Health']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    const file = await ask({ file_containing_symbol: 'govmesh.catalog.v1.CatalogService' });
    assert.ok(file['file_descriptor_response'].file_descriptor_proto.length >= 1);
    assert.ok(Buffer.concat(file['file_descriptor_response'].file_descriptor_proto).includes('DraftEntry'));
  } finally {
    client.close();
  }
});
