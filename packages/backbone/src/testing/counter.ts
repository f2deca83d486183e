import { randomUUID } from 'node:crypto';
import type kafkajs from 'kafkajs';
import { SchemaRegistry } from '../avro/registry.ts';
import type { Decider, DomainEvent } from '../domain/decider.ts';
import { ruleViolated } from '../errors/errors.ts';
import { createKafka, createProducer, ensureTopics } from '../kafka/client.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { AggregateStore } from '../store/event-store.ts';
import { backboneMigrations, migrate } from '../store/migrations.ts';
import { createLogger, type Logger } from '../telemetry/logging.ts';
import { createMetrics, type BackboneMetrics } from '../telemetry/metrics.ts';
import { WorkingCalendar } from '../time/calendar.ts';
import { stackEnv } from './stack.ts';

/**
 * What the backbone's own integration tests stand on: a tiny counter aggregate with its Avro
 * schema, a fresh PostgreSQL schema with the backbone tables, fresh topics, and a producer, all
 * named uniquely so that runs side by side never meet.
 */
export const COUNTER_NAMESPACE = 'test.counter.v1';

export type CounterEvent = DomainEvent<'CounterAdded', { counterId: string; by: number }>;
export type CounterCommand = { kind: 'Add'; by: number } | { kind: 'AddEach'; each: number[] };

export const counterDecider: Decider<CounterCommand, CounterEvent, { total: number }> = {
  initialState: () => ({ total: 0 }),
  decide: (c, _s, ctx) => {
    const amounts = c.kind === 'Add' ? [c.by] : c.each;
    if (amounts.some((n) => n <= 0)) throw ruleViolated('TEST-01', 'a counter only goes up');
    return amounts.map((by) => ({ type: 'CounterAdded', data: { counterId: ctx.aggregateId ?? '', by } }));
  },
  evolve: (s, e) => ({ total: s.total + e.data.by }),
};

export const counterRegistry = (): SchemaRegistry => {
  const registry = new SchemaRegistry();
  registry.add({ type: 'record', name: 'CounterAdded', namespace: COUNTER_NAMESPACE, fields: [{ name: 'counterId', type: 'string' }, { name: 'by', type: 'int' }] }, 1);
  return registry;
};

/** A unique name for this run: lower case, usable as a PostgreSQL schema and in topic names. */
export const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;

export interface BackboneStack {
  db: Database;
  schema: string;
  registry: SchemaRegistry;
  store: AggregateStore;
  kafka: kafkajs.Kafka;
  logger: Logger;
  metrics: BackboneMetrics;
  /** Creates fresh topics (and their .dlq) and returns their names. */
  topics(...names: string[]): Promise<string[]>;
  producer(): Promise<kafkajs.Producer>;
  close(): Promise<void>;
}

export const backboneStack = async (prefix: string): Promise<BackboneStack> => {
  const schema = uniqueName(prefix);
  const db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 8 });
  await migrate(db, schema, backboneMigrations(schema));
  const registry = counterRegistry();
  const logger = createLogger(prefix, 'silent');
  const kafka = createKafka({ clientId: schema, brokers: stackEnv().KAFKA_BROKERS.split(','), logger });
  const producers: kafkajs.Producer[] = [];
  const created: string[] = [];
  const store = new AggregateStore({ db, schema, registry, namespace: COUNTER_NAMESPACE, source: `/platforms/${schema}/services/test`, deps: { calendar: new WorkingCalendar() } });
  return {
    db,
    schema,
    registry,
    store,
    kafka,
    logger,
    metrics: createMetrics(schema),
    topics: async (...names) => {
      const topics = names.map((n) => `${schema.replaceAll('_', '-')}.${n}.events`);
      created.push(...topics.flatMap((topic) => [topic, `${topic}.dlq`]));
      await ensureTopics(kafka, created.slice(-2 * topics.length).map((topic) => ({ topic })));
      return topics;
    },
    producer: async () => {
      const p = createProducer(kafka);
      await p.connect();
      producers.push(p);
      return p;
    },
    /** Disconnects, and leaves nothing behind on the shared stack (best effort). */
    close: async () => {
      for (const p of producers) await p.disconnect();
      await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await db.close();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: created, timeout: 10000 }).catch(() => undefined);
      await admin.disconnect();
    },
  };
};
