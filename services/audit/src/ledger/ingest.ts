import type kafkajs from 'kafkajs';
import { BatchLoop, type BackboneMetrics, type Logger } from '@govmesh/backbone';
import { MergeSequencer, partitionId, type HighWatermark } from '../domain/sequencer.ts';
import type { Ledger, LedgerPayload } from './ledger.ts';

/**
 * Kafka -> ledger. One consumer (group `<prefix>-ledger-<platform>`) reads every topic matching
 * the platform's event-topic pattern from the beginning; the merge sequencer (domain/sequencer.ts)
 * decides when a record's place in the ledger order is final; stable records are appended in
 * batches of up to LEDGER_BATCH_MAX in one PostgreSQL transaction each.
 *
 * - Exactly once: the ledger's per-partition watermark moves in the same transaction as the
 *   leaves. When partitions are assigned the consumer seeks to that watermark; the Kafka offset,
 *   committed after the PostgreSQL commit, is only a hint. Records below the watermark that Kafka
 *   delivers again are dropped, so a crash anywhere re-reads, and re-appends, nothing twice.
 * - New topics: kafkajs resolves the pattern when it subscribes, so a topic created later is picked
 *   up when the topic list is re-read (every TOPIC_RESCAN_MS) and the consumer re-subscribes, or at
 *   the next restart. Nothing is lost meanwhile: the new topic is read from its beginning.
 * - Backpressure: a partition with more than LEDGER_PENDING_MAX records waiting is paused.
 */
export interface LedgerIngestOptions {
  kafka: kafkajs.Kafka;
  ledger: Ledger;
  pattern: RegExp;
  groupId: string;
  settleMs: number;
  tickMs: number;
  batchMax: number;
  pendingMax: number;
  rescanMs: number;
  sessionTimeoutMs: number;
  logger: Logger;
  metrics: BackboneMetrics;
  /** Called after each committed batch (wakes the checkpointer). */
  onAppended?: (size: number) => void;
  /** False while this instance does not hold the ledger's writer lock: nothing is appended. */
  canWrite?: () => boolean;
}

/** How long a high-watermark answer is reused for idle partitions. */
const HW_MAX_AGE_MS = 100;

export class LedgerIngest {
  readonly #o: LedgerIngestOptions;
  readonly #sequencer: MergeSequencer<LedgerPayload>;
  readonly #admin: kafkajs.Admin;
  readonly #topics = new Set<string>();
  readonly #paused = new Set<string>();
  readonly #highWatermarks = new Map<string, HighWatermark>();
  #consumer: kafkajs.Consumer | undefined;
  readonly #loop: BatchLoop;
  #rescan: NodeJS.Timeout | undefined;
  /** A rescan in flight (one at a time); stop waits for it. */
  #rescanning: Promise<string[]> | undefined;
  #stopping = false;

  constructor(opts: LedgerIngestOptions) {
    this.#o = opts;
    this.#sequencer = new MergeSequencer(opts.ledger.lastPosition);
    this.#admin = opts.kafka.admin();
    this.#loop = new BatchLoop({ what: 'ledger append', step: () => this.appendStable(), fullBatch: opts.batchMax, idleMs: opts.tickMs, logger: opts.logger });
  }

  get topics(): string[] {
    return [...this.#topics].sort();
  }

  get pending(): number {
    return this.#sequencer.pending();
  }

  async start(): Promise<void> {
    await this.#admin.connect();
    for (const w of this.#o.ledger.watermarks()) this.#sequencer.track(w);
    await this.#trackTopics(await this.#matchingTopics());
    await this.#startConsumer();
    this.#loop.start();
    if (this.#o.rescanMs > 0) this.#rescan = setInterval(() => void this.rescan().catch((err: unknown) => this.#o.logger.error({ err }, 'topic rescan failed')), this.#o.rescanMs);
  }

  /** Stops consuming, appends what is already stable, and lets go of Kafka. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#rescan !== undefined) clearInterval(this.#rescan);
    // A rescan in flight may be about to start a new consumer: wait for it, so none outlives the stop.
    await this.#rescanning?.catch(() => undefined);
    await this.#consumer?.disconnect();
    await this.#loop.stop();
    // What is stable now is appended; the rest is read again from Kafka at the next start.
    await this.appendStable().catch((err: unknown) => this.#o.logger.warn({ err }, 'final append failed'));
    await this.#admin.disconnect();
  }

  /** Looks for new event topics; re-subscribes when there are. Returns the new ones. */
  async rescan(): Promise<string[]> {
    if (this.#stopping) return [];
    this.#rescanning ??= (async () => {
      try {
        const fresh = (await this.#matchingTopics()).filter((t) => !this.#topics.has(t));
        if (fresh.length === 0 || this.#stopping) return [];
        this.#o.logger.info({ topics: fresh }, 'new event topics: re-subscribing');
        await this.#trackTopics(fresh);
        if (this.#stopping) return [];
        await this.#consumer?.disconnect();
        this.#paused.clear();
        await this.#startConsumer();
        return fresh;
      } finally {
        this.#rescanning = undefined;
      }
    })();
    return this.#rescanning;
  }

  async #matchingTopics(): Promise<string[]> {
    return (await this.#admin.listTopics()).filter((t) => this.#o.pattern.test(t)).sort();
  }

  async #trackTopics(topics: string[]): Promise<void> {
    for (const topic of topics) {
      const offsets = await this.#admin.fetchTopicOffsets(topic);
      await this.#o.ledger.track(offsets.map((o) => ({ topic, partition: o.partition, logStart: BigInt(o.low) })));
      for (const o of offsets) {
        const w = this.#o.ledger.watermark(topic, o.partition);
        if (w !== undefined) this.#sequencer.track(w);
      }
      this.#topics.add(topic);
    }
  }

  async #startConsumer(): Promise<void> {
    const consumer = this.#o.kafka.consumer({
      groupId: this.#o.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.#o.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.#o.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    // Where Kafka resumes is the ledger's watermark, not the group's committed offset: after a
    // crash, a new consumer group or a lost commit, reading restarts exactly where the ledger is.
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) {
          const w = this.#o.ledger.watermark(topic, partition);
          if (w !== undefined) consumer.seek({ topic, partition, offset: (this.#sequencer.receivedNext(topic, partition) ?? w.nextOffset).toString() });
        }
      }
    });
    await consumer.subscribe({ topics: [this.#o.pattern], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const { topic, partition } = batch;
        if (!this.#sequencer.isTracked(topic, partition)) await this.#trackTopics([topic]);
        for (const m of batch.messages) {
          this.#sequencer.offer({ topic, partition, offset: BigInt(m.offset), timestamp: Number(m.timestamp), payload: m });
        }
        if (this.#sequencer.pending(topic, partition) > this.#o.pendingMax) {
          consumer.pause([{ topic, partitions: [partition] }]);
          this.#paused.add(partitionId(topic, partition));
        }
        this.#loop.notify();
      },
    });
    this.#consumer = consumer;
  }

  /** High watermarks of partitions with nothing waiting, asked for at most every 100 ms. */
  async #refreshHighWatermarks(): Promise<void> {
    const now = Date.now();
    const topics = new Set<string>();
    for (const { topic, partition } of this.#sequencer.idlePartitions()) {
      const hw = this.#highWatermarks.get(partitionId(topic, partition));
      if (hw === undefined || now - hw.observedAt > HW_MAX_AGE_MS) topics.add(topic);
    }
    await Promise.all(
      [...topics].map(async (topic) => {
        const observedAt = Date.now();
        for (const o of await this.#admin.fetchTopicOffsets(topic)) this.#highWatermarks.set(partitionId(topic, o.partition), { high: BigInt(o.high), observedAt });
      }),
    );
  }

  /** One round: appends the records whose place is final; returns how many were taken. */
  async appendStable(): Promise<number> {
    if (this.#sequencer.pending() === 0 || this.#o.canWrite?.() === false) return 0;
    await this.#refreshHighWatermarks();
    const records = this.#sequencer.takeStable(this.#highWatermarks, this.#o.settleMs, this.#o.batchMax);
    if (records.length === 0) return 0;
    const before = this.#o.ledger.lastPosition;
    try {
      const result = await this.#o.ledger.append(records);
      for (const r of records) this.#o.metrics.consumed.inc({ topic: r.topic, result: 'ledgered' });
      this.#o.onAppended?.(result.size);
    } catch (err) {
      this.#sequencer.requeue(records, before);
      throw err;
    }
    await this.#commitOffsets(records);
    this.#resumeDrained();
    return records.length;
  }

  async #commitOffsets(records: readonly { topic: string; partition: number }[]): Promise<void> {
    const touched = new Map<string, { topic: string; partition: number; offset: string }>();
    for (const r of records) {
      const w = this.#o.ledger.watermark(r.topic, r.partition);
      if (w !== undefined) touched.set(partitionId(r.topic, r.partition), { topic: r.topic, partition: r.partition, offset: w.nextOffset.toString() });
    }
    try {
      await this.#consumer?.commitOffsets([...touched.values()]);
    } catch (err) {
      // Only a hint for where Kafka resumes; the ledger's watermark is what counts.
      this.#o.logger.warn({ err }, 'kafka offset commit failed (the ledger watermark is authoritative)');
    }
  }

  #resumeDrained(): void {
    for (const id of [...this.#paused]) {
      const slash = id.lastIndexOf('/');
      const topic = id.slice(0, slash);
      const partition = Number(id.slice(slash + 1));
      if (this.#sequencer.pending(topic, partition) < this.#o.pendingMax / 2) {
        this.#consumer?.resume([{ topic, partitions: [partition] }]);
        this.#paused.delete(id);
      }
    }
  }
}
