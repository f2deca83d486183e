import type { RequestEvent, ShareRequestContent } from '@govmesh/contracts/avro';
import { uuidv7, type AggregateStore, type BackboneMetrics, type Clock, type ConsumedEvent, type Directory, type Principal, type StoredEvent } from '@govmesh/backbone';
import { disputeAuthority } from '../domain/dispute-authority.ts';
import { shareRequestDecider, type Actor, type ShareCommand } from '../domain/share-request.ts';
import { requestTopics } from '../events/topics.ts';
import type { CatalogView } from '../projections/catalog-view.ts';

export interface CommandAck {
  shareId: string;
  status: string;
  revision: number;
  eventIds: string[];
}

/** What a caller supplies; the service fills the rest (the actor, catalog facts, platform settings). */
type Filled = 'by' | 'entry' | 'autoGrantUnconditional' | 'crossLevel' | 'authority';
type Input<C> = C extends { by: Actor } ? Omit<C, Filled> : C;
export type ShareCommandInput = Input<Exclude<ShareCommand, { kind: 'DraftRequest' | 'CheckDeadlines' }>>;

/**
 * The request service's application service: turns an authenticated call (REST, gRPC or ingest
 * event) into a command on one ShareRequest, completes it with what the decider may not fetch
 * itself (the catalog snapshot from the service's own catalog view, the platform's auto-grant
 * setting, whether a dispute crosses levels), runs it through the store, and wakes the relay.
 */
export class RequestCommands {
  readonly #store: AggregateStore;
  readonly #catalog: CatalogView;
  readonly #directory: Directory;
  readonly #clock: Clock;
  readonly #platform: string;
  readonly #autoGrant: boolean;
  readonly #metrics: BackboneMetrics;
  readonly #afterCommit: () => void;

  constructor(opts: { store: AggregateStore; catalog: CatalogView; directory: Directory; clock: Clock; platform: string; autoGrantUnconditional: boolean; metrics: BackboneMetrics; afterCommit: () => void }) {
    this.#store = opts.store;
    this.#catalog = opts.catalog;
    this.#directory = opts.directory;
    this.#clock = opts.clock;
    this.#platform = opts.platform;
    this.#autoGrant = opts.autoGrantUnconditional;
    this.#metrics = opts.metrics;
    this.#afterCommit = opts.afterCommit;
  }

  #actor(p: Principal): Actor {
    return { departmentId: p.department.id, roles: p.department.roles, platform: p.department.platform };
  }

  async draft(p: Principal, shareId: string | undefined, content: ShareRequestContent, source?: ConsumedEvent): Promise<CommandAck> {
    const id = shareId === undefined || shareId === '' ? `sr-${uuidv7()}` : shareId;
    const entry = await this.#catalog.snapshot(content.entryId, content.entryVersion);
    return this.#run(id, { kind: 'DraftRequest', by: this.#actor(p), shareId: id, content, entry }, p.department.id, source);
  }

  async execute(p: Principal, shareId: string, input: ShareCommandInput, source?: ConsumedEvent): Promise<CommandAck> {
    return this.#run(shareId, await this.#complete(p, shareId, input), p.department.id, source);
  }

  /** Issued by the deadline watcher, not by a department. */
  checkDeadlines(shareId: string): Promise<CommandAck> {
    return this.#run(shareId, { kind: 'CheckDeadlines' }, `system:${this.#platform}:deadline-watcher`);
  }

  async #complete(p: Principal, shareId: string, input: ShareCommandInput): Promise<ShareCommand> {
    const by = this.#actor(p);
    switch (input.kind) {
      case 'ReviseRequest':
        return { ...input, by, entry: await this.#catalog.snapshot(input.content.entryId, input.content.entryVersion) };
      case 'SubmitRequest':
      case 'ResubmitRequest': {
        // CAT-04, CAT-05: judged again against the entry's current published version when it reaches the provider.
        const { state } = await this.#store.state(shareRequestDecider, shareId);
        const entry = state.content === null ? null : await this.#catalog.snapshot(state.content.entryId);
        return { ...input, by, autoGrantUnconditional: this.#autoGrant, entry } as ShareCommand;
      }
      case 'RequestScopeChange': {
        const { state } = await this.#store.state(shareRequestDecider, shareId);
        const entry = state.content === null ? null : await this.#catalog.snapshot(state.content.entryId, state.content.entryVersion);
        return { ...input, by, entry };
      }
      case 'OpenDispute': {
        // DSP-01: the same-level authority coordinates; across levels or regions, the common superior authority.
        const { state } = await this.#store.state(shareRequestDecider, shareId);
        const { crossLevel, authority } = disputeAuthority(this.#directory.get(state.requester), this.#directory.get(state.provider), this.#directory.all());
        return { ...input, by, crossLevel, authority };
      }
      default:
        return { ...input, by } as ShareCommand;
    }
  }

  async #run(shareId: string, command: ShareCommand, actor: string, source?: ConsumedEvent): Promise<CommandAck> {
    const end = this.#metrics.commandDuration.startTimer({ command: command.kind });
    try {
      const ctx = { actor, at: this.#clock.now(), commandId: uuidv7(), correlationId: shareId, ...(source === undefined ? {} : { causationId: source.envelope.id }) };
      const result = await this.#store.handle({
        decider: shareRequestDecider,
        aggregateType: 'ShareRequest',
        aggregateId: shareId,
        command,
        ctx,
        topic: requestTopics(this.#platform).events,
        ...(source === undefined ? {} : { dedupe: { consumer: 'request-ingest', event: source } }),
      });
      if (result.events.length > 0) this.#afterCommit();
      end({ result: 'ok' });
      return { shareId, status: result.state.status, revision: result.version, eventIds: result.events.map((e: StoredEvent<RequestEvent>) => e.envelope.id) };
    } catch (err) {
      end({ result: 'error' });
      throw err;
    }
  }
}
