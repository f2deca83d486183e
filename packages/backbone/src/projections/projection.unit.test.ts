import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainEventOf, type DomainEvent } from '../domain/decider.ts';
import { GovError } from '../errors/errors.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';
import type { Tx } from '../store/database.ts';
import { COUNTER_NAMESPACE, counterRegistry } from '../testing/counter.ts';
import { byType } from './projection.ts';

const registry = counterRegistry();
const decoded = registry.decode(registry.encode(`${COUNTER_NAMESPACE}.CounterAdded`, { counterId: 'c-1', by: 2 }));
const undecodable = (err: unknown) => err instanceof GovError && err.code === 'GOV_ERR_EVENT_UNDECODABLE';

test('a record of the stream becomes its domain event: short type and data', () => {
  assert.deepEqual({ ...domainEventOf(decoded, COUNTER_NAMESPACE, ['CounterAdded']) }, { type: 'CounterAdded', data: decoded.value });
});

test('a record of another namespace, or of a type the stream does not list, is undecodable (dead-lettered, not guessed at)', () => {
  assert.throws(() => domainEventOf(decoded, 'test.other.v1'), undecodable);
  assert.throws(() => domainEventOf(decoded, 'test.counter'), undecodable, 'a prefix of the namespace is not the namespace');
  assert.throws(() => domainEventOf(decoded, COUNTER_NAMESPACE, ['CounterReset']), undecodable);
});

test('byType runs the handler of the event type and skips the types a read model does not need', async () => {
  type E = DomainEvent<'Added', { by: number }> | DomainEvent<'Reset', { to: number }> | DomainEvent<'Noted', { text: string }>;
  const seen: string[] = [];
  const apply = byType<E>({
    Added: async (_tx, e) => void seen.push(`added ${e.data.by}`),
    Reset: async (_tx, e) => void seen.push(`reset ${e.data.to}`),
    Noted: null,
  });
  const tx = {} as Tx;
  const record = {} as ConsumedEvent;
  await apply(tx, { type: 'Added', data: { by: 1 } }, record);
  await apply(tx, { type: 'Noted', data: { text: 'x' } }, record);
  await apply(tx, { type: 'Reset', data: { to: 0 } }, record);
  assert.deepEqual(seen, ['added 1', 'reset 0']);
});
