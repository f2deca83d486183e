import client from 'prom-client';
import type kafkajs from 'kafkajs';
import { RequestEventNamespace, RequestEventTypes, type RequestEvent } from '@govmesh/contracts/avro';
import { BatchLoop, GovError, RELAY_BATCH_BYTES, ensureTopics, noFailpoints, topicTail, type Clock, type Database, type Directory, type Failpoints, type Logger, type Migration, type Projection, type Tx } from '@govmesh/backbone';
import type { ExchangeCommands } from '../commands/exchange-commands.ts';
import { deliveredCopy } from '../domain/delivered-copy.ts';
import { confirmBatch, pushMessage, pushedId, type PushMessage } from '../domain/push.ts';
import { pushSchema, type PushSchema } from '../domain/push-schema.ts';
import type { ShareGrant } from '../domain/share.ts';
import { copySpec, type EntryCatalog } from '../projections/catalog-view.ts';
import type { DatasetQueries } from '../projections/dataset-queries.ts';
import type { Shares } from '../projections/share-view.ts';
import { SCHEMA, deliveryTopic } from './topics.ts';

/**
 * Batch push (issue 8 §3, DLV-02): the records of every share approved for BATCH delivery are
 * published to its requesting department's delivery topic, as Avro (the share's projected schema,
 * domain/push-schema.ts) of the one delivered copy, exactly once per record version.
 *
 * - Checkpoint: per share, the last dataset change (seq) pushed (`push_checkpoints`). A loop polls
 *   the shares and datasets (PUSH_POLL_MS) and pushes one batch of one share at a time, oldest
 *   checkpoint first, so a new dataset version (DatasetVersionLoaded) is pushed from the checkpoint
 *   on: its upserts and its deletions.
 * - Access: before each batch the share's access is checked again (`commands.deliver`, as a pull
 *   does; the first delivery raises ShareDeliveryStarted): a suspended, terminated, ended share, or
 *   one out of its period of use, gets nothing more from the next batch on (SUS-01, SUS-03);
 *   resumed, it continues from its checkpoint.
 * - Exactly once, the outbox relay's way (packages/backbone/src/kafka/outbox-relay.ts): before the
 *   send the batch is marked, committed apart (`unconfirmed_through` and the seqs sent); the
 *   checkpoint moves, and the mark is cleared, after Kafka's acknowledgement. A push that finds a
 *   mark (a crash, or a send that failed without saying whether it was written) reads the end of
 *   the topic (the backbone's topicTail) for the records it sent, moves the checkpoint past those
 *   found (domain/push.ts `confirmBatch`) and only then pushes again. It relies on what the relay
 *   relies on: the exchange is its delivery topics' only writer, one pusher runs at a time (an
 *   advisory lock per schema) and marks are confirmed before anything else is sent, so a marked
 *   batch is the last thing on its share's partition. A platform's exchange pushes its own shares
 *   only (pushSharePlatforms), to its own topics.
 * - Health: a share whose push keeps failing (e.g. a record its schema cannot hold, Kafka refusing
 *   the topic) is retried with a back-off, logged once, and takes the service out of readiness after
 *   PUSH_STUCK_MS; govmesh_push_lag_seconds says how long each share has been behind.
 */
export const pushMigrations: Migration[] = [
  {
    id: '0006_exchange_push_checkpoints',
    sql: `
      create table ${SCHEMA}.push_checkpoints (
        share_id text primary key,
        topic text not null,
        -- The dataset version when the push began: a deletion at or before it was never delivered.
        base_version integer not null,
        pushed_through bigint not null default 0,
        -- A batch being sent (committed before the send, cleared with the checkpoint): its last
        -- record version and the seqs of the records it sent.
        unconfirmed_through bigint,
        unconfirmed_seqs bigint[],
        records bigint not null default 0,
        updated_at timestamptz not null default now()
      );`,
  },
  {
    // Which platform each share is of: a database may hold several platforms' shares (tests do),
    // and a platform's exchange pushes its own only, to its own topics.
    id: '0007_exchange_push_share_platforms',
    sql: `create table ${SCHEMA}.push_share_platforms (share_id text primary key, platform text not null);`,
  },
];

/** Records the platform of each share from its draft (`<platform>.request.events`), exactly once. */
export const pushSharePlatforms: Projection<RequestEvent> = {
  inbox: 'exchange-push-share-platforms',
  namespace: RequestEventNamespace,
  types: RequestEventTypes,
  apply: async (tx, event) => {
    if (event.type !== 'ShareRequestDrafted') return;
    await tx.query(`insert into ${SCHEMA}.push_share_platforms (share_id, platform) values ($1, $2) on conflict (share_id) do nothing`, [event.data.shareId, event.data.platform]);
  },
};

export interface BatchPushOptions {
  db: Database;
  kafka: kafkajs.Kafka;
  producer: kafkajs.Producer;
  platform: string;
  directory: Directory;
  commands: ExchangeCommands;
  shares: Shares;
  datasets: DatasetQueries;
  catalog: EntryCatalog;
  maskingKey: Uint8Array;
  clock: Clock;
  logger: Logger;
  registry: client.Registry;
  batchSize: number;
  pollMs: number;
  stuckAfterMs: number;
  failpoints?: Failpoints;
}

interface Checkpoint {
  share_id: string;
  topic: string;
  base_version: number;
  pushed_through: string;
  unconfirmed_through: string | null;
  unconfirmed_seqs: string[] | null;
}

interface Candidate {
  share_id: string;
  entry_id: string;
  pushed_through: string | null;
  head: string | null;
}

/** A share's push that fails: since when, why, and when to try again. */
interface Failing {
  since: number;
  reason: string;
  attempts: number;
  retryAt: number;
}

export class BatchPush {
  readonly #o: BatchPushOptions;
  readonly #loop: BatchLoop;
  readonly #failpoints: Failpoints;
  readonly #ensured = new Set<string>();
  readonly #failing = new Map<string, Failing>();
  /** Shares cut (403) at their last try, with why: logged once per change. */
  readonly #cut = new Map<string, string>();
  /** Since when each share with records to push has been behind. */
  readonly #behindSince = new Map<string, number>();
  readonly #pushed: client.Counter<'op'>;
  readonly #failures: client.Counter;

  constructor(opts: BatchPushOptions) {
    this.#o = opts;
    this.#failpoints = opts.failpoints ?? noFailpoints;
    this.#loop = new BatchLoop({ what: 'batch push', step: () => this.pushOnce(), fullBatch: 1, idleMs: opts.pollMs, logger: opts.logger });
    const behind = this.#behindSince;
    const clock = opts.clock;
    new client.Gauge({
      name: 'govmesh_push_lag_seconds',
      help: 'batch push: how long each share with records not yet pushed has been behind (absent: caught up, or cut)',
      labelNames: ['share'],
      registers: [opts.registry],
      collect() {
        this.reset();
        const now = clock.now().getTime();
        for (const [share, since] of behind) this.set({ share }, Math.max(0, (now - since) / 1000));
      },
    });
    this.#pushed = new client.Counter({ name: 'govmesh_push_records_total', help: 'records pushed to delivery topics, by operation (upsert, delete)', labelNames: ['op'], registers: [opts.registry] });
    this.#failures = new client.Counter({ name: 'govmesh_push_failures_total', help: 'batch push attempts that failed (a share retried with back-off)', registers: [opts.registry] });
  }

  start(): void {
    this.#loop.start();
  }

  notify(): void {
    this.#loop.notify();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** False, naming the share, once a share's push has kept failing for PUSH_STUCK_MS. */
  health(now = Date.now()): { ok: boolean; reason?: string } {
    const stuck = [...this.#failing].filter(([, f]) => now - f.since >= this.#o.stuckAfterMs);
    if (stuck.length === 0) return { ok: true };
    return {
      ok: false,
      reason: stuck.map(([share, f]) => `the batch push of share ${share} cannot progress since ${new Date(f.since).toISOString()} (${f.attempts} attempts): ${f.reason}`).join('; ') + '; see docs/operations.md#batch-push',
    };
  }

  /**
   * One step: confirms a batch a stopped push left marked, or pushes one batch of the share that
   * waited longest. Returns 1 when it did something (the loop goes straight on), else 0.
   */
  async pushOnce(): Promise<number> {
    const { db } = this.#o;
    return db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(`select pg_try_advisory_xact_lock(hashtext($1)) as locked`, [`push:${SCHEMA}:${this.#o.platform}`]);
      if (lock?.locked !== true) return 0;
      const [marked] = await tx.query<Checkpoint>(
        `select c.share_id, c.topic, c.base_version, c.pushed_through::text, c.unconfirmed_through::text, c.unconfirmed_seqs::text[]
           from ${SCHEMA}.push_checkpoints c join ${SCHEMA}.push_share_platforms p on p.share_id = c.share_id
          where c.unconfirmed_through is not null and p.platform = $1 limit 1`,
        [this.#o.platform],
      );
      if (marked !== undefined) {
        await this.#confirm(tx, marked);
        return 1;
      }
      const candidates = await tx.query<Candidate>(
        `select s.share_id, s.entry_id, c.pushed_through::text, (select max(r.seq) from ${SCHEMA}.dataset_records r where r.entry_id = s.entry_id)::text as head
           from ${SCHEMA}.shares s join ${SCHEMA}.push_share_platforms p on p.share_id = s.share_id left join ${SCHEMA}.push_checkpoints c on c.share_id = s.share_id
          where p.platform = $1 and s.state->>'shareMethod' = 'BATCH' and s.share_state in ('APPROVED', 'ACTIVE')
          order by c.updated_at nulls first, s.share_id`,
        [this.#o.platform],
      );
      const now = Date.now();
      const listed = new Set<string>();
      const due: Candidate[] = [];
      for (const c of candidates) {
        listed.add(c.share_id);
        if (BigInt(c.head ?? 0) <= BigInt(c.pushed_through ?? 0)) {
          this.#behindSince.delete(c.share_id);
          this.#failing.delete(c.share_id);
          continue;
        }
        if (!this.#behindSince.has(c.share_id)) this.#behindSince.set(c.share_id, this.#o.clock.now().getTime());
        const failing = this.#failing.get(c.share_id);
        if (failing === undefined || now >= failing.retryAt) due.push(c);
      }
      // A share no longer approved or active is no longer behind: it is cut, not late.
      for (const id of this.#behindSince.keys()) if (!listed.has(id)) this.#behindSince.delete(id);
      for (const id of this.#failing.keys()) if (!listed.has(id)) this.#failing.delete(id);
      // The first share that may receive now gets one batch (one cut by its period of use is passed over).
      for (const c of due) {
        try {
          const pushed = await this.#pushBatch(tx, c);
          this.#failing.delete(c.share_id);
          if (pushed) return 1;
        } catch (err) {
          this.#failed(c.share_id, err);
          return 0;
        }
      }
      return 0;
    });
  }

  /** One batch of one share; false when the share may not receive now (cut: nothing sent). */
  async #pushBatch(tx: Tx, c: Candidate): Promise<boolean> {
    const o = this.#o;
    const share = await o.shares.get(c.share_id);
    if (share === null) return false;
    const department = o.directory.get(share.requester);
    if (department === undefined) throw new GovError('GOV_ERR_CONFIG_INVALID', `the requesting department ${share.requester} is not in the platform directory`);
    let items: string[];
    try {
      // Access again before every batch (SUS-03), and the first delivery recorded (DLV-01).
      ({ items } = await o.commands.deliver({ department }, share.shareId, 'BATCH', o.clock.now()));
    } catch (err) {
      if (err instanceof GovError && (err.code === 'GOV_ERR_AUTH_FORBIDDEN' || err.code === 'GOV_ERR_NOT_FOUND')) {
        this.#behindSince.delete(share.shareId);
        if (this.#cut.get(share.shareId) !== err.message) o.logger.info({ shareId: share.shareId, reason: err.message }, 'batch push stopped: the share may not receive now');
        this.#cut.set(share.shareId, err.message);
        return false;
      }
      throw err;
    }
    if (this.#cut.delete(share.shareId)) o.logger.info({ shareId: share.shareId }, 'batch push continues from its checkpoint');
    const [cp] = await tx.query<Checkpoint>(`select share_id, topic, base_version, pushed_through::text from ${SCHEMA}.push_checkpoints where share_id = $1`, [share.shareId]);
    const current = await o.datasets.current(share.entryId);
    const baseVersion = cp?.base_version ?? current.version;
    const after = BigInt(cp?.pushed_through ?? 0);
    const topic = cp?.topic ?? deliveryTopic(o.platform, share.requester);
    const rows = await o.datasets.pushPage(share.entryId, after, o.batchSize, baseVersion);
    if (rows.length === 0) return false;
    const { schema, encode } = await this.#encoder(share, items, current.keyItem);
    const messages: PushMessage[] = [];
    const sent: bigint[] = [];
    let bytes = 0;
    let through = after;
    for (const row of rows) {
      const m = encode(row);
      if (m !== null) {
        const size = m.value.length + m.key.length + 200;
        // Bounded in bytes, as the relay's batches: never a request the broker refuses.
        if (messages.length > 0 && bytes + size > RELAY_BATCH_BYTES) break;
        bytes += size;
        messages.push(m);
        sent.push(BigInt(row.seq));
      }
      through = BigInt(row.seq);
    }
    if (messages.length === 0) {
      await this.#checkpoint(tx, share, topic, baseVersion, through, 0);
      return true;
    }
    await this.#ensure(topic);
    // Committed apart (another connection) before the send: whatever happens next, a push will know.
    await o.db.query(
      `insert into ${SCHEMA}.push_checkpoints (share_id, topic, base_version, pushed_through, unconfirmed_through, unconfirmed_seqs) values ($1, $2, $3, $4, $5, $6)
       on conflict (share_id) do update set unconfirmed_through = excluded.unconfirmed_through, unconfirmed_seqs = excluded.unconfirmed_seqs`,
      [share.shareId, topic, baseVersion, after.toString(), through.toString(), sent.map(String)],
    );
    this.#failpoints.hit('push.before-send', share.shareId);
    await o.producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    this.#failpoints.hit('push.after-send', share.shareId);
    await this.#checkpoint(tx, share, topic, baseVersion, through, messages.length);
    for (const m of messages) this.#pushed.inc({ op: m.headers['govmesh-op']! });
    o.logger.debug({ shareId: share.shareId, topic, records: messages.length, through: through.toString(), schema: schema.entry.fingerprintHex }, 'batch pushed');
    return true;
  }

  /** The checkpoint moves to `through` and the mark is cleared, in the step's transaction. */
  async #checkpoint(tx: Tx, share: ShareGrant, topic: string, baseVersion: number, through: bigint, records: number): Promise<void> {
    await tx.query(
      `insert into ${SCHEMA}.push_checkpoints (share_id, topic, base_version, pushed_through, records) values ($1, $2, $3, $4, $5)
       on conflict (share_id) do update set pushed_through = excluded.pushed_through, unconfirmed_through = null, unconfirmed_seqs = null,
         records = ${SCHEMA}.push_checkpoints.records + excluded.records, updated_at = now()`,
      [share.shareId, topic, baseVersion, through.toString(), records],
    );
  }

  /** After an unclean stop: what of the marked batch is on the topic moves the checkpoint (domain/push.ts confirmBatch). */
  async #confirm(tx: Tx, cp: Checkpoint): Promise<void> {
    const sent = (cp.unconfirmed_seqs ?? []).map((s) => BigInt(s));
    await this.#ensure(cp.topic);
    const found = await topicTail(this.#o.kafka, 20000, pushedId(cp.share_id))(cp.topic, sent.length);
    const decided = confirmBatch(BigInt(cp.unconfirmed_through!), sent, found);
    await tx.query(
      `update ${SCHEMA}.push_checkpoints set pushed_through = $2, unconfirmed_through = null, unconfirmed_seqs = null, records = records + $3, updated_at = now() where share_id = $1`,
      [cp.share_id, decided.pushedThrough.toString(), decided.arrived],
    );
    if (decided.outOfOrder.length > 0) this.#o.logger.error({ shareId: cp.share_id, topic: cp.topic, seqs: decided.outOfOrder.map(String) }, 'batch push: records of a stopped batch arrived after one that did not; they will be pushed again');
    this.#o.logger.info({ shareId: cp.share_id, topic: cp.topic, sent: sent.length, alreadyOnTopic: decided.arrived, pushedThrough: decided.pushedThrough.toString() }, 'batch push: a batch a stopped push left unconfirmed was looked for on Kafka; what is there is not sent again');
  }

  /** The share's schema and the encoding of its rows: the one delivered copy, for its current items. */
  async #encoder(share: ShareGrant, items: string[], keyItem: string): Promise<{ schema: PushSchema; encode: (row: Parameters<typeof pushMessage>[0]) => PushMessage | null }> {
    const o = this.#o;
    const { schema, spec } = await sharePushSchema(o.catalog, share, items, o.maskingKey);
    const copy = deliveredCopy(spec, share);
    const keyApproved = keyItem !== '' && items.includes(keyItem);
    const keyCopy = keyApproved ? deliveredCopy({ ...spec, items: spec.items.filter((i) => i.name === keyItem) }, share) : null;
    return { schema, encode: (row) => pushMessage(row, { shareId: share.shareId, keyItem, schema, copy, keyCopy }) };
  }

  async #ensure(topic: string): Promise<void> {
    if (this.#ensured.has(topic)) return;
    await ensureTopics(this.#o.kafka, [{ topic }]);
    this.#ensured.add(topic);
  }

  #failed(shareId: string, err: unknown): void {
    this.#failures.inc();
    const reason = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    const previous = this.#failing.get(shareId);
    const attempts = (previous?.attempts ?? 0) + 1;
    this.#failing.set(shareId, { since: previous?.since ?? now, reason, attempts, retryAt: now + Math.min(30000, 200 * 2 ** Math.min(attempts - 1, 10)) });
    if (previous === undefined || previous.reason !== reason) this.#o.logger.error({ shareId, reason, err }, 'batch push of a share failed; retried with back-off (docs/operations.md#batch-push)');
  }
}

/**
 * A share's push schema and copy spec: the approved items by the entry's current definitions (the
 * same copy spec every method uses). What GET /v1/shares/{shareId}/push-schema serves.
 */
export const sharePushSchema = async (catalog: EntryCatalog, share: ShareGrant, items: readonly string[], key: Uint8Array) => {
  const spec = await copySpec(catalog, share, items, key);
  const entry = await catalog.snapshot(share.entryId);
  return { spec, schema: pushSchema(share.shareId, spec, entry?.items ?? []) };
};
