import { CatalogIngestEventNamespace, type CatalogDraftProposed, type CatalogEvent } from '@govmesh/contracts/avro';
import { GovError, type AggregateCommands, type Authenticator, type ConsumedEvent } from '@govmesh/backbone';
import type { CatalogCommands } from '../commands/catalog-commands.ts';
import type { CatalogCommand, CatalogEntryState } from '../domain/catalog-entry.ts';

/**
 * The ingest edge: departmental systems publish CatalogDraftProposed events to
 * `<platform>.catalog.ingest` with their token in the `authorization` header. The first proposal
 * drafts the entry, later ones revise it. Any error is permanent for that record (bad token,
 * bad field, wrong state) and goes to the dead-letter topic with the error in its headers.
 */
export const catalogIngestHandler = (deps: { commands: CatalogCommands; entries: AggregateCommands<CatalogCommand, CatalogEvent, CatalogEntryState>; authenticator: Authenticator }) =>
  async (event: ConsumedEvent): Promise<void> => {
    const principal = deps.authenticator.authenticate(event.headers['authorization']);
    if (event.decoded.schema.name !== `${CatalogIngestEventNamespace}.CatalogDraftProposed`) {
      throw new GovError('GOV_ERR_INPUT_INVALID', `unsupported ingest event ${event.decoded.schema.name}`, { violations: [{ field: 'ce_type', description: 'expected CatalogDraftProposed' }] });
    }
    const proposal = event.decoded.value as unknown as CatalogDraftProposed;
    const { version } = await deps.entries.state(proposal.entryId);
    if (version === 0) await deps.commands.draft(principal, proposal.entryId, proposal.content, event);
    else await deps.commands.execute(principal, proposal.entryId, { kind: 'ReviseEntry', content: proposal.content }, event);
  };
