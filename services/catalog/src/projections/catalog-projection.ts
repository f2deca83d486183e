import { CatalogEventNamespace, CatalogEventTypes, type CatalogEvent } from '@govmesh/contracts/avro';
import type { Projection } from '@govmesh/backbone';
import { displayStatus, evolve, initialState, type CatalogEntryState } from '../domain/catalog-entry.ts';
import { CatalogEntryVersionView, CatalogEntryView } from './read-model.ts';

/**
 * The catalog read model (the backbone's Projection: exactly once, inbox row and change in one
 * transaction). The row keeps the folded state (the write side's own fold) plus the columns search
 * needs; each publication also keeps its version's content.
 */
export const catalogProjection: Projection<CatalogEvent> = {
  inbox: 'catalog-projection',
  namespace: CatalogEventNamespace,
  types: CatalogEventTypes,
  apply: async (tx, event, record) => {
    const entryId = record.envelope.subject;
    const row = await tx.em.findOne(CatalogEntryView, { entryId });
    const state = evolve(row === null ? initialState() : (row.state as unknown as CatalogEntryState), event);
    const content = state.content;
    if (content === null) return;
    const at = new Date(record.envelope.time);
    const values = {
      entryId,
      platform: state.platform,
      provider: state.provider,
      name: content.name,
      code: content.code,
      shareAttribute: content.shareAttribute,
      grade: content.grade,
      status: displayStatus(state),
      revision: (row?.revision ?? 0) + 1,
      publishedVersion: state.publishedVersion,
      searchText: [content.name, content.code, content.abstract, content.classification, ...content.dataItems.flatMap((i) => [i.name, i.description])].join(' ').toLowerCase(),
      updateDueAt: state.update !== null && state.status !== 'SUBMITTED' ? new Date(state.update.dueAt) : null,
      reviewDueAt: state.reviewDueAt === null ? null : new Date(state.reviewDueAt),
      updateOverdue: state.update?.overdue ?? false,
      reviewOverdue: state.reviewOverdue,
      state: JSON.parse(JSON.stringify(state)) as Record<string, unknown>,
      updatedAt: at,
    };
    if (row === null) tx.em.create(CatalogEntryView, values);
    else tx.em.assign(row, values);
    if (event.type === 'CatalogEntryPublished') {
      tx.em.create(CatalogEntryVersionView, {
        entryId,
        version: event.data.version,
        publishedAt: at,
        reviewedBy: event.data.reviewedBy,
        content: JSON.parse(JSON.stringify(event.data.content)) as Record<string, unknown>,
      });
    }
  },
};
