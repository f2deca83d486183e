import type { CatalogEvent } from '@govmesh/contracts/avro';
import { uuidv7, type AggregateStore, type BackboneMetrics, type Clock, type ConsumedEvent, type Principal, type StoredEvent } from '@govmesh/backbone';
import { catalogEntryDecider, displayStatus, type Actor, type CatalogCommand } from '../domain/catalog-entry.ts';
import { withDefaults } from '../domain/content.ts';
import { catalogTopics } from '../events/topics.ts';

export interface CommandAck {
  entryId: string;
  status: string;
  revision: number;
  eventIds: string[];
}

type WithoutBy<C> = C extends { by: Actor } ? Omit<C, 'by'> : C;
export type CatalogCommandInput = WithoutBy<Exclude<CatalogCommand, { kind: 'DraftEntry' | 'FlagOverdue' }>>;

/**
 * The catalog's application service: turns an authenticated call (REST, gRPC or ingest event)
 * into a command on one CatalogEntry, runs it through the store, and wakes the outbox relay.
 */
export class CatalogCommands {
  readonly #store: AggregateStore;
  readonly #clock: Clock;
  readonly #platform: string;
  readonly #metrics: BackboneMetrics;
  readonly #afterCommit: () => void;

  constructor(opts: { store: AggregateStore; clock: Clock; platform: string; metrics: BackboneMetrics; afterCommit: () => void }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#platform = opts.platform;
    this.#metrics = opts.metrics;
    this.#afterCommit = opts.afterCommit;
  }

  #actor(p: Principal): Actor {
    return { departmentId: p.department.id, roles: p.department.roles, platform: p.department.platform };
  }

  draft(p: Principal, entryId: string | undefined, content: Parameters<typeof withDefaults>[0], source?: ConsumedEvent): Promise<CommandAck> {
    const id = entryId === undefined || entryId === '' ? `ce-${uuidv7()}` : entryId;
    return this.#run(id, { kind: 'DraftEntry', by: this.#actor(p), entryId: id, content: withDefaults(content, p.department.id) }, p.department.id, source);
  }

  execute(p: Principal, entryId: string, input: CatalogCommandInput, source?: ConsumedEvent): Promise<CommandAck> {
    const command = { ...input, by: this.#actor(p) } as CatalogCommand;
    if (command.kind === 'ReviseEntry') command.content = withDefaults(command.content, p.department.id);
    return this.#run(entryId, command, p.department.id, source);
  }

  /** Issued by the deadline watcher, not by a department. */
  flagOverdue(entryId: string): Promise<CommandAck> {
    return this.#run(entryId, { kind: 'FlagOverdue' }, `system:${this.#platform}:deadline-watcher`);
  }

  async #run(entryId: string, command: CatalogCommand, actor: string, source?: ConsumedEvent): Promise<CommandAck> {
    const end = this.#metrics.commandDuration.startTimer({ command: command.kind });
    try {
      const ctx = { actor, at: this.#clock.now(), commandId: uuidv7(), correlationId: entryId, ...(source === undefined ? {} : { causationId: source.envelope.id }) };
      const result = await this.#store.handle({
        decider: catalogEntryDecider,
        aggregateType: 'CatalogEntry',
        aggregateId: entryId,
        command,
        ctx,
        topic: catalogTopics(this.#platform).events,
        ...(source === undefined ? {} : { dedupe: { consumer: 'catalog-ingest', event: source } }),
      });
      if (result.events.length > 0) this.#afterCommit();
      end({ result: 'ok' });
      return { entryId, status: displayStatus(result.state), revision: result.version, eventIds: result.events.map((e: StoredEvent<CatalogEvent>) => e.envelope.id) };
    } catch (err) {
      end({ result: 'error' });
      throw err;
    }
  }
}
