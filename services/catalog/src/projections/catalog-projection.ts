import { CatalogEventNamespace, CatalogEventTypes, type CatalogEntryContent, type CatalogEvent } from '@govmesh/contracts/avro';
import { foldedView } from '@govmesh/backbone';
import { catalogEntryDecider, displayStatus, provisionalDeadlines } from '../domain/catalog-entry.ts';
import { CatalogEntryVersionView, CatalogEntryView } from './read-model.ts';

const searchText = (c: CatalogEntryContent): string =>
  [c.name, c.code, c.abstract, c.classification, ...c.dataItems.flatMap((i) => [i.name, i.description])].join(' ').toLowerCase();

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
    const published = state.publishedContent;
    return {
      platform: state.platform,
      provider: state.provider,
      name: content.name,
      code: content.code,
      shareAttribute: content.shareAttribute,
      grade: content.grade,

      status: displayStatus(state),
      publishedVersion: state.publishedVersion,
      searchText: searchText(content),
      updateDueAt: state.update !== null && state.status !== 'SUBMITTED' ? new Date(state.update.dueAt) : null,
      reviewDueAt: state.reviewDueAt === null ? null : new Date(state.reviewDueAt),
      updateOverdue: state.update?.overdue ?? false,
      reviewOverdue: state.reviewOverdue,
      deadlinesProvisional: provisionalDeadlines(state).length > 0,
      // What other departments search: the published version only (issue 13, defect 8).
      publishedName: published?.name ?? null,
      publishedCode: published?.code ?? null,
      publishedShareAttribute: published?.shareAttribute ?? null,
      publishedGrade: published?.grade ?? null,
      publishedSearchText: published === null ? null : searchText(published),
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
