import type kafkajs from 'kafkajs';
import type { Database } from '../store/database.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { BackboneMetrics } from '../telemetry/metrics.ts';
import { contextFromTraceparent, inSpan, SpanKind } from '../telemetry/tracing.ts';
import { noFailpoints, type Failpoints } from '../testing/failpoints.ts';
import { BatchLoop } from './batch-loop.ts';

/**
 * The ordered outbox relay.
 *
 * Guarantee: every committed outbox row reaches Kafka at least once, in commit order per
 * aggregate; consumers dedupe on ce_id (inbox), so "at least once" becomes "applied once".
 *
 * - Ordering: a row is only read once every transaction that started before it has finished
 *   (txid < pg_snapshot_xmin). Without that rule a row with a lower id that commits later would
 *   be skipped or overtaken.
 * - Replicas: each batch runs in a transaction holding an advisory lock, so one relay at a time.
 * - Crashes: rows are deleted in the same transaction that read them, after Kafka acknowledged the
 *   batch. A crash before the commit leaves them in place and they are sent again on restart.
 */
export interface OutboxRelayOptions {
  db: Database;
  schema: string;
  producer: kafkajs.Producer;
  logger: Logger;
  metrics: BackboneMetrics;
  batchSize: number;
  pollMs: number;
  failpoints?: Failpoints;
}

export class OutboxRelay {
  readonly #o: OutboxRelayOptions;
  readonly #loop: BatchLoop;

  constructor(opts: OutboxRelayOptions) {
    this.#o = opts;
    this.#loop = new BatchLoop({ what: 'outbox relay batch', step: () => this.relayOnce(), fullBatch: opts.batchSize, idleMs: opts.pollMs, logger: opts.logger });
  }

  start(): void {
    this.#loop.start();
  }

  /** Nudges the relay after a commit, so latency is not bound by the poll interval. */
  notify(): void {
    this.#loop.notify();
  }

  /** Stops after the batch in flight, then drains what is committed (graceful shutdown). */
  async stop(): Promise<void> {
    await this.#loop.stop();
    while ((await this.relayOnce()) > 0);
  }

  /** Relays one batch; returns how many rows it published. */
  async relayOnce(): Promise<number> {
    const { db, schema, producer, batchSize, metrics } = this.#o;
    return db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(`select pg_try_advisory_xact_lock(hashtext($1)) as locked`, [`outbox:${schema}`]);
      if (lock?.locked !== true) return 0;
      const rows = await tx.query<{ id: string; topic: string; key: string; headers: Record<string, string>; value: Buffer }>(
        `select id, topic, key, headers, value from ${schema}.outbox
          where txid < pg_snapshot_xmin(pg_current_snapshot())
          order by id limit $1`,
        [batchSize],
      );
      if (rows.length === 0) {
        metrics.outboxLag.set(0);
        return 0;
      }
      const byTopic = new Map<string, kafkajs.Message[]>();
      const traceparents = new Set<string>();
      for (const r of rows) {
        const list = byTopic.get(r.topic) ?? [];
        list.push({ key: r.key, value: r.value, headers: r.headers });
        byTopic.set(r.topic, list);
        if (r.headers['traceparent'] !== undefined) traceparents.add(r.headers['traceparent']);
      }
      const types = rows.map((r) => r.headers['ce_type'] ?? '').join(',');
      const failpoints = this.#o.failpoints ?? noFailpoints;
      failpoints.hit('relay.before-send', types);
      // The send span continues the command's trace when the batch holds one command's events.
      const parent = traceparents.size === 1 ? contextFromTraceparent([...traceparents][0]) : contextFromTraceparent(undefined);
      await inSpan(`send ${[...byTopic.keys()].join(',')}`, SpanKind.PRODUCER, parent, { 'messaging.system': 'kafka', 'messaging.batch.message_count': rows.length }, () =>
        producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }),
      );
      failpoints.hit('relay.after-send', types);
      await tx.query(`delete from ${schema}.outbox where id = any($1::bigint[])`, [rows.map((r) => r.id)]);
      for (const [topic, messages] of byTopic) metrics.outboxPublished.inc({ topic }, messages.length);
      return rows.length;
    });
  }
}
