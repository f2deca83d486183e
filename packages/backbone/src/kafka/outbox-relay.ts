import type kafkajs from 'kafkajs';
import type { Database, Tx } from '../store/database.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { BackboneMetrics } from '../telemetry/metrics.ts';
import { contextFromTraceparent, inSpan, spanContextOf, SpanKind } from '../telemetry/tracing.ts';
import { noFailpoints, type Failpoints } from '../testing/failpoints.ts';
import { BatchLoop } from './batch-loop.ts';
import type { TopicTail } from './topic-tail.ts';

/**
 * The ordered outbox relay.
 *
 * Guarantee: every committed outbox row reaches Kafka exactly once, in commit order per
 * aggregate (consumers still dedupe on ce_id, in their inbox, for any other writer's retries).
 *
 * - Ordering: a row is only read once every transaction that started before it has finished
 *   (txid < pg_snapshot_xmin). Without that rule a row with a lower id that commits later would
 *   be skipped or overtaken.
 * - Replicas: each batch runs in a transaction holding an advisory lock, so one relay at a time.
 * - Crashes: rows are deleted in the same transaction that read them, after Kafka acknowledged the
 *   batch. A crash (of the process or of the database) before that commit leaves them in place,
 *   published or not. So before each send the relay commits, apart, the highest row id it is about
 *   to send (`outbox_relay.unconfirmed_through`), and clears it with the delete. A relay that finds
 *   it set (after a crash, a send that failed without saying whether it was written, or another
 *   replica's failure) first reads the tail of each topic those rows go to (as many records per
 *   partition as there are such rows: this relay is its topics' only writer, so its last sends are
 *   the last records), deletes the rows found there, and only then sends the others. Within one
 *   producer session the idempotent producer already drops the broker-side duplicates of retries.
 *   Not covered: a replica whose database session ended while its send was still in flight, and
 *   whose send lands after another replica read the tail (no fencing; run one relay per schema).
 * - A row Kafka refuses (too large for the topic, or any other lasting error) is never skipped:
 *   nothing acknowledged may be lost. After a failed batch the relay sends one row at a time, so
 *   the rows before the culprit go out once and the rows behind it wait (never half-sent, never
 *   overtaking it); the culprit is retried with a back-off (at most `retryMaxMs`), logged once
 *   with its id, aggregate, type, size and the reason, counted in
 *   govmesh_outbox_relay_failures_total, and health() turns false after `stuckAfterMs`, which
 *   takes the service out of readiness until an operator fixes the cause (docs/operations.md).
 * - Batches are bounded in bytes as well as rows, so rows that each fit never add up to a
 *   request the broker refuses.
 */
export interface OutboxRelayOptions {
  db: Database;
  schema: string;
  producer: kafkajs.Producer;
  /** Reads what is already on a topic (topic-tail.ts), for the rows an unclean stop left unconfirmed. */
  tail: TopicTail;
  logger: Logger;
  metrics: BackboneMetrics;
  batchSize: number;
  pollMs: number;
  failpoints?: Failpoints;
  /** How long a row may keep failing, or a send may hang, before health() reports it (default 10 s). */
  stuckAfterMs?: number;
  /** The longest wait between two attempts at a failing row (default 30 s). */
  retryMaxMs?: number;
}

/** The most bytes (values, keys, headers) one batch sends: under the broker's default message.max.bytes (1 MiB). */
export const RELAY_BATCH_BYTES = 768 * 1024;

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
}

const rowBytes = (r: OutboxRow): number => r.value.length + Buffer.byteLength(r.key) + Object.entries(r.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);

export class OutboxRelay {
  readonly #o: OutboxRelayOptions;
  readonly #loop: BatchLoop;
  /** The row that keeps failing, since when, and when to try it again. */
  #stuck: { id: string; aggregate: string; type: string; bytes: number; reason: string; since: number; attempts: number; retryAt: number } | undefined;
  /** Rows still to send one at a time after a failed batch. */
  #singleRows = 0;
  #sendingSince: number | undefined;
  #countedAt = 0;

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

  /**
   * Stops after the batch in flight, then drains what is committed (graceful shutdown), for at
   * most `drainMs`: what is left stays in the outbox for the next start.
   */
  async stop(drainMs = Number.POSITIVE_INFINITY): Promise<void> {
    await this.#loop.stop();
    const until = Date.now() + drainMs;
    const drain = (async () => {
      while (Date.now() < until && (await this.relayOnce()) > 0);
    })();
    if (!Number.isFinite(drainMs)) return drain;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drain, new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]).finally(() => clearTimeout(timer));
  }

  /** False, with the reason, while a row keeps failing or a send hangs for longer than stuckAfterMs. */
  health(now = Date.now()): { ok: boolean; reason?: string } {
    const after = this.#o.stuckAfterMs ?? 10000;
    const stuck = this.#stuck;
    if (stuck !== undefined && now - stuck.since >= after) {
      return { ok: false, reason: `outbox row ${stuck.id} (aggregate ${stuck.aggregate}, ${stuck.type}, ${stuck.bytes} bytes) cannot be published since ${new Date(stuck.since).toISOString()} (${stuck.attempts} attempts): ${stuck.reason}; see docs/operations.md#a-stuck-outbox-relay` };
    }
    if (this.#sendingSince !== undefined && now - this.#sendingSince >= after) {
      return { ok: false, reason: `a relay send has waited for Kafka since ${new Date(this.#sendingSince).toISOString()}` };
    }
    return { ok: true };
  }

  /** Relays one batch; returns how many rows it published (or, after an unclean stop, confirmed). */
  async relayOnce(): Promise<number> {
    await this.#count();
    if (this.#stuck !== undefined && Date.now() < this.#stuck.retryAt) return 0;
    const { db, schema, producer, batchSize, metrics } = this.#o;
    return db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(`select pg_try_advisory_xact_lock(hashtext($1)) as locked`, [`outbox:${schema}`]);
      if (lock?.locked !== true) return 0;
      const [state] = await tx.query<{ through: string | null }>(`select unconfirmed_through::text as through from ${schema}.outbox_relay`);
      if (state?.through != null) return this.#confirm(tx, state.through);
      const fetched = await tx.query<OutboxRow>(
        `select id, topic, key, headers, value from ${schema}.outbox
          where txid < pg_snapshot_xmin(pg_current_snapshot())
          order by id limit $1`,
        [this.#singleRows > 0 ? 1 : batchSize],
      );
      if (fetched.length === 0) {
        this.#stuck = undefined;
        this.#singleRows = 0;
        return 0;
      }
      const rows: OutboxRow[] = [];
      let bytes = 0;
      for (const r of fetched) {
        bytes += rowBytes(r);
        if (rows.length > 0 && bytes > RELAY_BATCH_BYTES) break;
        rows.push(r);
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
      // Committed apart (another connection) before the send: whatever happens next, a relay will know.
      await db.query(`update ${schema}.outbox_relay set unconfirmed_through = $1`, [rows[rows.length - 1]!.id]);
      failpoints.hit('relay.before-send', types);
      // The send span continues the command's trace when the batch holds one command's events, and
      // links every command's trace when it holds several (OpenTelemetry's batch-producer convention).
      const parent = traceparents.size === 1 ? contextFromTraceparent([...traceparents][0]) : contextFromTraceparent(undefined);
      const links = traceparents.size > 1 ? [...traceparents].flatMap((t) => { const c = spanContextOf(t); return c === undefined ? [] : [{ context: c }]; }) : [];
      this.#sendingSince = Date.now();
      try {
        await inSpan(`send ${[...byTopic.keys()].join(',')}`, SpanKind.PRODUCER, parent, { 'messaging.system': 'kafka', 'messaging.batch.message_count': rows.length }, () =>
          producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }),
          links,
        );
      } catch (err) {
        for (const topic of byTopic.keys()) metrics.outboxFailures.inc({ topic });
        this.#failed(rows, err);
        return 0;
      } finally {
        this.#sendingSince = undefined;
      }
      failpoints.hit('relay.after-send', types);
      await tx.query(`delete from ${schema}.outbox where id = any($1::bigint[])`, [rows.map((r) => r.id)]);
      await tx.query(`update ${schema}.outbox_relay set unconfirmed_through = null`);
      for (const [topic, messages] of byTopic) metrics.outboxPublished.inc({ topic }, messages.length);
      if (this.#singleRows > 0) this.#singleRows -= 1;
      // Rows go in id order: once a send succeeds, the stuck row was published, or is gone (parked).
      const stuck = this.#stuck;
      if (stuck !== undefined) {
        const published = rows.some((r) => r.id === stuck.id);
        this.#o.logger.info(
          { outboxId: stuck.id, aggregate: stuck.aggregate, attempts: stuck.attempts, stuckForMs: Date.now() - stuck.since },
          published ? 'outbox relay resumed: the row that could not be published is published' : 'outbox relay resumed: the row that could not be published is no longer in the outbox (parked by an operator)',
        );
        this.#stuck = undefined;
        this.#singleRows = 0;
      }
      this.#countedAt = 0;
      return rows.length;
    });
  }

  /**
   * After an unclean stop: the rows up to `through` that are already on their topic are deleted
   * without being sent again; the others stay, to be sent by the next batch (not in this
   * transaction: it holds the row the next send marks). Returns how many rows it looked at, so a
   * draining loop goes on.
   */
  async #confirm(tx: Tx, through: string): Promise<number> {
    const { schema, logger, metrics } = this.#o;
    const rows = await tx.query<{ id: string; topic: string; event_id: string | null }>(
      `select id, topic, headers->>'ce_id' as event_id from ${schema}.outbox where id <= $1 order by id`,
      [through],
    );
    const published: string[] = [];
    for (const topic of new Set(rows.map((r) => r.topic))) {
      const mine = rows.filter((r) => r.topic === topic);
      const onTopic = await this.#o.tail(topic, mine.length);
      const found = mine.filter((r) => r.event_id !== null && onTopic.has(r.event_id));
      published.push(...found.map((r) => r.id));
      if (found.length > 0) metrics.outboxPublished.inc({ topic }, found.length);
    }
    if (published.length > 0) await tx.query(`delete from ${schema}.outbox where id = any($1::bigint[])`, [published]);
    await tx.query(`update ${schema}.outbox_relay set unconfirmed_through = null`);
    logger.info({ unconfirmed: rows.length, alreadyPublished: published.length, through }, 'outbox relay: rows a stopped send left unconfirmed were looked for on Kafka; those found are not sent again');
    this.#countedAt = 0;
    return rows.length;
  }

  /**
   * A failed batch is sent again one row at a time (the rows before the culprit go out, the rows
   * behind it wait); a failed single row is the culprit: logged once, retried with a back-off.
   */
  #failed(rows: OutboxRow[], err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    if (rows.length > 1) {
      this.#singleRows = rows.length;
      this.#o.logger.warn({ rows: rows.length, reason }, 'outbox relay batch failed; sending its rows one at a time');
      return;
    }
    const r = rows[0]!;
    const now = Date.now();
    const previous = this.#stuck?.id === r.id ? this.#stuck : undefined;
    const attempts = (previous?.attempts ?? 0) + 1;
    const backoff = Math.min(this.#o.retryMaxMs ?? 30000, 100 * 2 ** Math.min(attempts - 1, 20));
    this.#stuck = { id: r.id, aggregate: r.key, type: r.headers['ce_type'] ?? '', bytes: rowBytes(r), reason, since: previous?.since ?? now, attempts, retryAt: now + backoff };
    this.#singleRows = Math.max(this.#singleRows, 1);
    if (previous === undefined || previous.reason !== reason) {
      this.#o.logger.error(
        { outboxId: r.id, aggregate: r.key, type: this.#stuck.type, topic: r.topic, bytes: this.#stuck.bytes, reason, err },
        'outbox row cannot be published; it and the rows behind it wait (retried with back-off; see docs/operations.md#a-stuck-outbox-relay)',
      );
    }
  }

  /** govmesh_outbox_pending and the oldest row's age, counted at most once a second. */
  async #count(): Promise<void> {
    if (Date.now() - this.#countedAt < 1000) return;
    this.#countedAt = Date.now();
    const { db, schema, metrics } = this.#o;
    const [row] = await db
      .query<{ n: string; age: number | null }>(`select count(*) as n, extract(epoch from now() - min(created_at))::float8 as age from ${schema}.outbox`)
      .catch(() => [undefined]);
    if (row === undefined) return;
    metrics.outboxLag.set(Number(row.n));
    metrics.outboxOldestAge.set(Math.max(0, row.age ?? 0));
  }
}
