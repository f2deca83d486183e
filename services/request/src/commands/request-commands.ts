import type { RequestEvent, ShareMethod, ShareRequestContent } from '@govmesh/contracts/avro';
import { actorOf, assertTypedId, eventIds, uuidv7, type AggregateCommands, type ConsumedEvent, type Directory, type HandleResult, type Principal } from '@govmesh/backbone';
import { disputeAuthority } from '../domain/dispute-authority.ts';
import type { Actor, ShareCommand, ShareRequestState } from '../domain/share-request.ts';
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
export type ShareCommandInput = Input<Exclude<ShareCommand, { kind: 'DraftRequest' | 'CheckDeadlines' | 'RecordExchangeDelivery' }>>;

/**
 * The request service's application service: turns an authenticated call (REST, gRPC or ingest
 * event) into a command on one ShareRequest, completes it with what the decider may not fetch
 * itself (the catalog snapshot from the service's own catalog view, the platform's auto-grant
 * setting, whether a dispute crosses levels); the backbone's AggregateCommands runs it.
 */
export class RequestCommands {
  readonly #shares: AggregateCommands<ShareCommand, RequestEvent, ShareRequestState>;
  readonly #catalog: CatalogView;
  readonly #directory: Directory;
  readonly #autoGrant: boolean;

  constructor(opts: { shares: AggregateCommands<ShareCommand, RequestEvent, ShareRequestState>; catalog: CatalogView; directory: Directory; autoGrantUnconditional: boolean }) {
    this.#shares = opts.shares;
    this.#catalog = opts.catalog;
    this.#directory = opts.directory;
    this.#autoGrant = opts.autoGrantUnconditional;
  }

  async draft(p: Principal, shareId: string | undefined, content: ShareRequestContent, source?: ConsumedEvent): Promise<CommandAck> {
    const id = shareId === undefined || shareId === '' ? `sr-${uuidv7()}` : shareId;
    assertTypedId('shareId', id, 'shareRequest');
    const entry = await this.#catalog.snapshot(content.entryId, content.entryVersion);
    return this.#ack(id, this.#shares.run(id, { kind: 'DraftRequest', by: actorOf(p), shareId: id, content, entry }, p.department.id, source));
  }

  async execute(p: Principal, shareId: string, input: ShareCommandInput, source?: ConsumedEvent): Promise<CommandAck> {
    return this.#ack(shareId, this.#shares.run(shareId, await this.#complete(p, shareId, input), p.department.id, source));
  }

  /**
   * The exchange's first delivery of a share (its ShareDeliveryStarted): issued by the platform, not
   * a department; the record's ce_id is claimed with the command, so a redelivery changes nothing.
   */
  exchangeDelivered(shareId: string, d: { shareMethod: ShareMethod; startedAt: string }, platform: string, source: ConsumedEvent): Promise<CommandAck> {
    return this.#ack(shareId, this.#shares.run(shareId, { kind: 'RecordExchangeDelivery', shareMethod: d.shareMethod, startedAt: d.startedAt }, `system:${platform}:exchange`, source));
  }

  /** Issued by the deadline watcher, not by a department. */
  checkDeadlines(shareId: string): Promise<CommandAck> {
    return this.#ack(shareId, this.#shares.runAsSystem(shareId, { kind: 'CheckDeadlines' }, 'deadline-watcher'));
  }

  async #complete(p: Principal, shareId: string, input: ShareCommandInput): Promise<ShareCommand> {
    const by = actorOf(p);
    switch (input.kind) {
      case 'ReviseRequest':
        return { ...input, by, entry: await this.#catalog.snapshot(input.content.entryId, input.content.entryVersion) };
      case 'SubmitRequest':
      case 'ResubmitRequest': {
        // CAT-04, CAT-05: judged again against the entry's current published version when it reaches the provider.
        const { state } = await this.#shares.state(shareId);
        const entry = state.content === null ? null : await this.#catalog.snapshot(state.content.entryId);
        return { ...input, by, autoGrantUnconditional: this.#autoGrant, entry } as ShareCommand;
      }
      case 'RequestScopeChange': {
        const { state } = await this.#shares.state(shareId);
        const entry = state.content === null ? null : await this.#catalog.snapshot(state.content.entryId, state.content.entryVersion);
        return { ...input, by, entry };
      }
      case 'OpenDispute': {
        // DSP-01: the same-level authority coordinates; across levels or regions, the common superior authority.
        const { state } = await this.#shares.state(shareId);
        const { crossLevel, authority } = disputeAuthority(this.#directory.get(state.requester), this.#directory.get(state.provider), this.#directory.all());
        return { ...input, by, crossLevel, authority };
      }
      default:
        return { ...input, by } as ShareCommand;
    }
  }

  async #ack(shareId: string, run: Promise<HandleResult<RequestEvent, ShareRequestState>>): Promise<CommandAck> {
    const result = await run;
    return { shareId, status: result.state.status, revision: result.version, eventIds: eventIds(result) };
  }
}
