import type { CatalogEvent } from '@govmesh/contracts/avro';
import { actorOf, assertTypedId, eventIds, uuidv7, type AggregateCommands, type ConsumedEvent, type HandleResult, type Principal } from '@govmesh/backbone';
import { displayStatus, type Actor, type CatalogCommand, type CatalogEntryState } from '../domain/catalog-entry.ts';
import { withDefaults } from '../domain/content.ts';

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
 * into a command on one CatalogEntry; the backbone's AggregateCommands runs it.
 */
export class CatalogCommands {
  readonly #entries: AggregateCommands<CatalogCommand, CatalogEvent, CatalogEntryState>;

  constructor(entries: AggregateCommands<CatalogCommand, CatalogEvent, CatalogEntryState>) {
    this.#entries = entries;
  }

  draft(p: Principal, entryId: string | undefined, content: Parameters<typeof withDefaults>[0], source?: ConsumedEvent): Promise<CommandAck> {
    const id = entryId === undefined || entryId === '' ? `ce-${uuidv7()}` : entryId;
    assertTypedId('entryId', id, 'catalogEntry');
    return this.#ack(id, this.#entries.run(id, { kind: 'DraftEntry', by: actorOf(p), entryId: id, content: withDefaults(content, p.department.id) }, p.department.id, source));
  }

  execute(p: Principal, entryId: string, input: CatalogCommandInput, source?: ConsumedEvent): Promise<CommandAck> {
    const command = { ...input, by: actorOf(p) } as CatalogCommand;
    if (command.kind === 'ReviseEntry') command.content = withDefaults(command.content, p.department.id);
    return this.#ack(entryId, this.#entries.run(entryId, command, p.department.id, source));
  }

  /** Issued by the deadline watcher, not by a department. */
  flagOverdue(entryId: string): Promise<CommandAck> {
    return this.#ack(entryId, this.#entries.runAsSystem(entryId, { kind: 'FlagOverdue' }, 'deadline-watcher'));
  }

  async #ack(entryId: string, run: Promise<HandleResult<CatalogEvent, CatalogEntryState>>): Promise<CommandAck> {
    const result = await run;
    return { entryId, status: displayStatus(result.state), revision: result.version, eventIds: eventIds(result) };
  }
}
