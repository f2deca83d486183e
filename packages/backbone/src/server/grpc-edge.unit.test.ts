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
const call = (request: unknown) => {
  const metadata = new grpc.Metadata();
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
