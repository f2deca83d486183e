import { CatalogEventNamespace, CatalogEventTypes, type CatalogEvent } from '@govmesh/contracts/avro';
import { foldedView } from '@govmesh/backbone';
import { catalogEntryDecider, displayStatus, provisionalDeadlines } from '../domain/catalog-entry.ts';
import { CatalogEntryVersionView, CatalogEntryView } from './read-model.ts';

/**
 * The catalog read model (the backbone's folded view: exactly once, the write side's own fold in
 * each row) with the columns search needs; each publication also keeps its version's content.
 */
export const catalogProjection = foldedView({
  inbox: 'catalog-projection',
  namespace: CatalogEventNamespace,
  types: CatalogEventTypes,
  fold: catalogEntryDecider,
  view: CatalogEntryView,
  key: 'entryId',
  columns: (state) => {
    const content = state.content;
    if (content === null) return null;
    return {
      platform: state.platform,
      provider: state.provider,
      name: content.name,
      code: content.code,
      shareAttribute: content.shareAttribute,
      grade: content.grade,

      status: displayStatus(state),
      publishedVersion: state.publishedVersion,
      searchText: [content.name, content.code, content.abstract, content.classification, ...content.dataItems.flatMap((i) => [i.name, i.description])].join(' ').toLowerCase(),
      updateDueAt: state.update !== null && state.status !== 'SUBMITTED' ? new Date(state.update.dueAt) : null,
      reviewDueAt: state.reviewDueAt === null ? null : new Date(state.reviewDueAt),
      updateOverdue: state.update?.overdue ?? false,
      reviewOverdue: state.reviewOverdue,
      deadlinesProvisional: provisionalDeadlines(state).length > 0,
    };
  },
  also: async (tx, event: CatalogEvent, record) => {
    if (event.type !== 'CatalogEntryPublished') return;
    tx.em.create(CatalogEntryVersionView, {
      entryId: record.envelope.subject,
      version: event.data.version,
      publishedAt: new Date(record.envelope.time),
      reviewedBy: event.data.reviewedBy,
      content: JSON.parse(JSON.stringify(event.data.content)) as Record<string, unknown>,
    });
  },
});
