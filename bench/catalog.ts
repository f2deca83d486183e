import {
  backboneMigrations, createKafka, createLogger, createMetrics, createProducer, ensureTopics, migrate, OutboxRelay, openDatabase,
  REPO_ROOT, SchemaRegistry, uuidv7, type Database,
} from '@govmesh/backbone';
import { stackEnv } from '@govmesh/backbone/testing';
import { topicTail } from '../packages/backbone/src/kafka/topic-tail.ts';
import { CatalogEventNamespace } from '@govmesh/contracts/avro';
import { conditionalContent } from '../services/catalog/src/domain/fixtures.ts';
import { startTestCatalog } from '../services/catalog/src/testing.ts';
import type { Figure } from './figures.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Outbox -> Kafka: pre-filled outbox rows relayed by one OutboxRelay (idempotent producer, acks=all). */
export const benchOutboxRelay = async (rows: number): Promise<Figure[]> => {
  const env = stackEnv();
  const schema = `bench_${Date.now().toString(36)}`;
  const db: Database = await openDatabase({ url: env.DATABASE_URL });
  await migrate(db, schema, backboneMigrations(schema));
  const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
  const topic = `bench-${schema}.catalog.events`;
  const type = `${CatalogEventNamespace}.CatalogEntryDrafted`;
  const value = registry.encode(type, { entryId: 'x', platform: 'bench', draftedBy: 'd', content: conditionalContent() });
  await db.query(
    `insert into ${schema}.outbox (topic, key, headers, value)
     select $1, 'entry-' || (g % 500), jsonb_build_object('ce_id', gen_random_uuid()::text, 'ce_type', $4::text), $2
     from generate_series(1, $3) g`,
    [topic, value, rows, type],
  );
  const logger = createLogger('bench', 'warn');
  const kafka = createKafka({ clientId: 'bench', brokers: env.KAFKA_BROKERS.split(','), logger });
  await ensureTopics(kafka, [{ topic, retentionMs: 3600_000 }]);
  const producer = createProducer(kafka);
  await producer.connect();
  const relay = new OutboxRelay({ db, schema, producer, tail: topicTail(kafka), logger, metrics: createMetrics('bench'), batchSize: 1000, pollMs: 5 });
  const t0 = performance.now();
  let sent = 0;
  while (sent < rows) sent += await relay.relayOnce();
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  await db.query(`drop schema ${schema} cascade`);
  await db.close();
  return [{ name: 'outbox -> Kafka relay', value: Math.round(rows / seconds), unit: 'events/s', conditions: `${rows} rows of ${value.length} B, batches of 1000, idempotent producer, acks=all, 1 relay` }];
};

/** Command -> projection: a command through the API layer, the outbox, Kafka and the projection consumer. */
export const benchCommandToProjection = async (commands: number, concurrency: number): Promise<Figure[]> => {
  const { service } = await startTestCatalog({ env: { OUTBOX_POLL_MS: '5' } });
  const env = stackEnv();
  const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 4 });
  const principal = { department: { id: 'dept-public-security', name: 'p', platform: '', level: 'ministry' as const, regionCode: '', roles: ['provider' as const] } };
  try {
    // Warm-up: connections, JIT, consumer assignment.
    for (let i = 0; i < 20; i++) await service.commands.draft(principal, `warm-${uuidv7()}`, conditionalContent());
    const latencies: number[] = [];
    const projected = async (id: string) => {
      for (;;) {
        const rows = await db.query(`select 1 from catalog.entries where entry_id = $1`, [id]);
        if (rows.length > 0) return;
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    for (let i = 0; i < commands; i++) {
      const id = `lat-${uuidv7()}`;
      const t0 = performance.now();
      await service.commands.draft(principal, id, conditionalContent());
      await projected(id);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    const total = commands * 4;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await service.commands.draft(principal, `thr-${uuidv7()}`, conditionalContent());
      }
    }));
    const cps = total / ((performance.now() - t0) / 1000);
    return [
      { name: 'command -> projection latency p50', value: Number(percentile(latencies, 50).toFixed(1)), unit: 'ms', conditions: `${commands} sequential DraftEntry commands, relay woken on commit, projection via Kafka consumer + inbox` },
      { name: 'command -> projection latency p99', value: Number(percentile(latencies, 99).toFixed(1)), unit: 'ms', conditions: 'same run' },
      { name: 'catalog commands', value: Math.round(cps), unit: 'commands/s', conditions: `${total} DraftEntry commands, ${concurrency} concurrent, each its own transaction (event + outbox)` },
    ];
  } finally {
    await db.close();
    await service.stop();
  }
};
