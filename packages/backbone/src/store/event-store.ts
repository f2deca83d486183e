import type { SchemaRegistry } from '../avro/registry.ts';
import { concurrencyConflict } from '../errors/errors.ts';
import type { Envelope } from '../envelope/envelope.ts';
import type { CommandContext, Decider, DecisionDeps, DomainEvent } from '../domain/decider.ts';
import { domainEventOf, fold } from '../domain/decider.ts';
import { inTrace } from '../telemetry/tracing.ts';
import { noFailpoints, type Failpoints } from '../testing/failpoints.ts';
import { isUniqueViolation, type Database, type Tx } from './database.ts';
import { claimInbox } from './inbox.ts';
import { claimPreconditions } from '../server/idempotency.ts';
import { raiseEvent } from './outbox.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';

/**
 * An event-sourced aggregate store: one PostgreSQL schema per service. A command is handled in
 * one transaction: load the aggregate's events, fold them, decide, append the new events under
 * a unique (aggregate_id, version) (optimistic concurrency), and write one outbox row per event.
 * The relay publishes the outbox later; nothing reaches Kafka that was not committed here.
 */
export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  event: E;
  envelope: Envelope;
  version: number;
  value: Buffer;
}

export interface AggregateStoreOptions {
  db: Database;
  schema: string;
  registry: SchemaRegistry;
  /** Avro namespace of this service's events, e.g. govmesh.catalog.v1. */
  namespace: string;
  /** CloudEvents source, e.g. /platforms/national/services/catalog. */
  source: string;
  deps: DecisionDeps;
  failpoints?: Failpoints;
}

export interface HandleResult<E extends DomainEvent, S> {
  events: StoredEvent<E>[];
  state: S;
  version: number;
}

export class AggregateStore {
  readonly #o: AggregateStoreOptions;
  constructor(opts: AggregateStoreOptions) {
    this.#o = opts;
  }

  get schema(): string {
    return this.#o.schema;
  }

  async load<E extends DomainEvent>(aggregateId: string, tx?: Tx): Promise<StoredEvent<E>[]> {
    const sql = `select version, event_type, data, envelope from ${this.#o.schema}.events where aggregate_id = $1 order by version`;
    const rows = await (tx ?? this.#o.db).query<{ version: number; data: Buffer; envelope: Envelope }>(sql, [aggregateId]);
    return rows.map((r) => ({ event: domainEventOf<E>(this.#o.registry.decode(r.data), this.#o.namespace), envelope: r.envelope, version: r.version, value: r.data }));
  }

  async state<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, aggregateId: string): Promise<{ state: S; version: number; events: StoredEvent<E>[] }> {
    const events = await this.load<E>(aggregateId);
    return { state: fold(decider, events.map((e) => e.event)), version: events.length, events };
  }

  /**
   * Handles one command. `topic` is where the events go; `inline` runs in the same transaction
   * for write-side indexes that must never lag (e.g. deadlines).
   */
  async handle<C, E extends DomainEvent, S>(args: {
    decider: Decider<C, E, S>;
    aggregateType: string;
    aggregateId: string;
    command: C;
    ctx: CommandContext;
    topic: string;
    inline?: (tx: Tx, events: StoredEvent<E>[], state: S) => Promise<void>;
    /**
     * A command that comes from a Kafka record (an ingest event): its ce_id is claimed in the
     * inbox in the same transaction, so a redelivered record changes nothing.
     */
    dedupe?: { consumer: string; event: ConsumedEvent };
  }): Promise<HandleResult<E, S>> {
    const { decider, aggregateId } = args;
    const ctx: CommandContext = { ...args.ctx, aggregateId };
    const failpoints = this.#o.failpoints ?? noFailpoints;
    try {
      // A command a timer issued (a deadline check) gets a trace of its own, shared by its events.
      return await inTrace(`command ${args.aggregateType}`, () =>
        this.#o.db.transaction(async (tx) => {
          const history = await this.load<E>(aggregateId, tx);
          let state = fold(decider, history.map((h) => h.event));
          // An HTTP command's If-Match and Idempotency-Key, checked and claimed in this transaction.
          await claimPreconditions(tx, this.#o.schema, aggregateId, history.length);
          if (args.dedupe !== undefined && !(await claimInbox(tx, this.#o.schema, args.dedupe.consumer, args.dedupe.event))) {
            return { events: [], state, version: history.length };
          }
          const decided = decider.decide(args.command, state, ctx, this.#o.deps);
          const stored: StoredEvent<E>[] = [];
          let version = history.length;
          for (const event of decided) {
            version += 1;
            const { envelope, value } = await raiseEvent(tx, this.#o.schema, this.#o.registry, {
              topic: args.topic,
              type: `${this.#o.namespace}.${event.type}`,
              data: event.data,
              source: this.#o.source,
              subject: aggregateId,
              at: ctx.at,
              sequence: version,
              correlationId: ctx.correlationId ?? aggregateId,
              causationId: ctx.causationId ?? ctx.commandId,
            });
            await tx.query(
              `insert into ${this.#o.schema}.events (aggregate_type, aggregate_id, version, event_id, event_type, data, envelope) values ($1, $2, $3, $4, $5, $6, $7)`,
              [args.aggregateType, aggregateId, version, envelope.id, envelope.type, value, JSON.stringify(envelope)],
            );
            state = decider.evolve(state, event);
            stored.push({ event, envelope, version, value });
          }
          if (args.inline !== undefined && stored.length > 0) await args.inline(tx, stored, state);
          failpoints.hit('store.before-commit', stored.map((e) => e.envelope.type).join(','));
          return { events: stored, state, version };
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw concurrencyConflict(aggregateId);
      throw err;
    }
  }
}
