import type { CommandContext, Decider, DomainEvent } from '../domain/decider.ts';
import { uuidv7 } from '../envelope/uuid.ts';
import type { Role } from '../identity/platform.ts';
import type { Principal } from '../identity/principal.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';
import type { Tx } from '../store/database.ts';
import type { AggregateStore, HandleResult, StoredEvent } from '../store/event-store.ts';
import type { BackboneMetrics } from '../telemetry/metrics.ts';
import type { Clock } from '../time/clock.ts';

export interface AggregateCommandsOptions<C extends { kind: string }, E extends DomainEvent, S> {
  store: AggregateStore;
  decider: Decider<C, E, S>;
  aggregateType: string;
  /** Where the events go. */
  topic: string;
  /** The inbox consumer that dedupes commands carried by ingest records, e.g. catalog-ingest. */
  ingestConsumer: string;
  platform: string;
  clock: Clock;
  metrics: BackboneMetrics;
  /** After a commit that produced events: wakes the outbox relay. */
  afterCommit: () => void;
}

/** The department a command is decided for, as the deciders see it. */
export const actorOf = (p: Principal): { departmentId: string; roles: readonly Role[]; platform: string } => ({
  departmentId: p.department.id,
  roles: p.department.roles,
  platform: p.department.platform,
});

/**
 * The command path of one aggregate type, the same in every service: a command gets its context
 * (actor, the clock's now, a command id, the aggregate as correlation, the ingest record as
 * causation), runs through the store in one transaction (a command carried by an ingest record
 * claims that record's ce_id, so a redelivery changes nothing), is timed, and a commit that
 * produced events wakes the relay. A service's command class adds what only it knows: turning a
 * call into a command and the acknowledgement into its own shape.
 */
export class AggregateCommands<C extends { kind: string }, E extends DomainEvent, S> {
  readonly #o: AggregateCommandsOptions<C, E, S>;

  constructor(opts: AggregateCommandsOptions<C, E, S>) {
    this.#o = opts;
  }

  get store(): AggregateStore {
    return this.#o.store;
  }

  /** The aggregate's current state and version (0 = it does not exist). */
  state(aggregateId: string): Promise<{ state: S; version: number }> {
    return this.#o.store.state(this.#o.decider, aggregateId);
  }

  /**
   * A command of a department; `source` is the ingest record that carried it, if any. `inline`
   * runs in the command's transaction once it produced events (write-side tables that must change
   * with them, e.g. a dataset's records). `correlationId` (default: the aggregate id) names the
   * share or entry the events belong to when the aggregate is another one (e.g. a share's deliveries).
   */
  async run(aggregateId: string, command: C, actor: string, source?: ConsumedEvent, opts: { inline?: (tx: Tx, events: StoredEvent<E>[], state: S) => Promise<void>; correlationId?: string } = {}): Promise<HandleResult<E, S>> {
    const { inline } = opts;
    const ctx: CommandContext = { actor, at: this.#o.clock.now(), commandId: uuidv7(), correlationId: opts.correlationId ?? aggregateId, ...(source === undefined ? {} : { causationId: source.envelope.id }) };
    const end = this.#o.metrics.commandDuration.startTimer({ command: command.kind });
    try {
      const result = await this.#o.store.handle({
        decider: this.#o.decider,
        aggregateType: this.#o.aggregateType,
        aggregateId,
        command,
        ctx,
        topic: this.#o.topic,
        ...(source === undefined ? {} : { dedupe: { consumer: this.#o.ingestConsumer, event: source } }),
        ...(inline === undefined ? {} : { inline }),
      });
      if (result.events.length > 0) this.#o.afterCommit();
      end({ result: 'ok' });
      return result;
    } catch (err) {
      end({ result: 'error' });
      throw err;
    }
  }

  /** A command the platform issues itself, e.g. by its deadline watcher. */
  runAsSystem(aggregateId: string, command: C, component: string): Promise<HandleResult<E, S>> {
    return this.run(aggregateId, command, `system:${this.#o.platform}:${component}`);
  }
}

/** The ids of the events a command produced (what an acknowledgement reports). */
export const eventIds = (result: HandleResult<DomainEvent, unknown>): string[] => result.events.map((e) => e.envelope.id);
