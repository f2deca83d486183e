import { test } from 'node:test';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Directory } from '../identity/platform.ts';
import { Authenticator } from '../identity/principal.ts';
import { generateTokenKeys, issueToken, TokenVerifier } from '../identity/token.ts';
import { systemClock } from '../time/clock.ts';
import { unary } from './grpc.ts';

// The gRPC edge refuses the same hostile text as the REST edge (issue 13, defect 3): a NUL in an
// id gave INTERNAL (PostgreSQL cannot hold it) and in content reached the event store.
const keys = generateTokenKeys();
const authenticator = new Authenticator(new TokenVerifier(keys.publicKeyPem, 'p'), new Directory([{ id: 'd1', name: 'Dept', platform: 'p', level: 'ministry', regionCode: '1', roles: ['provider'] }]), systemClock);
const call = (request: unknown, requestId?: string) => {
  const metadata = new grpc.Metadata();
  if (requestId !== undefined) metadata.set('x-request-id', requestId);
  metadata.set('authorization', `Bearer ${issueToken(keys.privateKeyPem, { sub: 'd1', plt: 'p', ttlSeconds: 60 })}`);
  let reached = false;
  const handler = unary<unknown, object>('Test', authenticator, pino({ level: 'silent' }), async () => {
    reached = true;
    return {};
  });
  return new Promise<{ err: grpc.ServiceError | null; reached: boolean }>((resolve) => {
    handler({ request, metadata } as never, ((err: grpc.ServiceError | null) => resolve({ err, reached })) as never);
  });
};

test('EDGE: a gRPC request with a NUL or a lone surrogate in any field is INVALID_ARGUMENT naming the field, and never reaches the handler (issue 13, defect 3)', async () => {
  for (const [request, field] of [[{ entryId: 'e-1\u0000' }, 'entryId'], [{ content: { name: 'a', dataItems: [{ name: '\ud800' }] } }, 'content.dataItems.0.name']] as const) {
    const { err, reached } = await call(request);
    assert.equal(reached, false, field);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, field);
    assert.equal(err?.metadata?.get('x-error-code')[0], 'GOV_ERR_INPUT_INVALID');
    assert.equal(err?.metadata?.get('x-error-fields')[0], field);
  }
  const fine = await call({ entryId: 'e-1', content: { name: '人口 😀' } });
  assert.equal(fine.err, null);
  assert.equal(fine.reached, true);
});

test('EDGE: a gRPC error carries the same problem detail as REST in trailing metadata: x-problem-bin (code, title, detail, field violations with their descriptions, request id) and x-request-id, the client\'s own when well-formed', async () => {
  const { err } = await call({ content: { name: '人口\u0000' } }, 'req-1234-abcd');
  assert.equal(err?.metadata?.get('x-request-id')[0], 'req-1234-abcd');
  const raw = err?.metadata?.get('x-problem-bin')[0];
  assert.ok(Buffer.isBuffer(raw), 'x-problem-bin is binary metadata (UTF-8 JSON)');
  const problem = JSON.parse((raw as Buffer).toString('utf8')) as Record<string, any>;
  assert.equal(problem['code'], 'GOV_ERR_INPUT_INVALID');
  assert.equal(problem['status'], 400);
  assert.equal(problem['requestId'], 'req-1234-abcd');
  assert.deepEqual(problem['violations'].map((v: { field: string }) => v.field), ['content.name']);
  assert.equal(typeof problem['violations'][0].description, 'string');
  // Without one, the server makes one up, the same in the metadata and in the problem.
  const fresh = await call({ entryId: 'e-1\u0000' });
  const id = fresh.err?.metadata?.get('x-request-id')[0];
  assert.match(String(id), /^[0-9a-f-]{36}$/);
  assert.equal(JSON.parse((fresh.err?.metadata?.get('x-problem-bin')[0] as Buffer).toString('utf8'))['requestId'], id);
});
