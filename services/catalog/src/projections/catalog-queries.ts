import type { CatalogEntryContent, Grade, ShareAttribute } from '@govmesh/contracts/avro';
import { notFound, type AggregateStore, type Database, type Principal } from '@govmesh/backbone';
import type { FilterQuery, InferEntity } from '@mikro-orm/postgresql';
import { catalogEntryDecider, displayStatus, provisionalDeadlines, type CatalogEntryState } from '../domain/catalog-entry.ts';
import { CatalogEntryVersionView, CatalogEntryView } from './read-model.ts';

export interface EntrySummary {
  entryId: string;
  status: string;
  revision: number;
  publishedVersion: number;
  content: CatalogEntryContent | null;
  updateDueAt: string | null;
  reviewDueAt: string | null;
  updateOverdue: boolean;
  reviewOverdue: boolean;
  /** The due fields whose deadline is provisional until the year's official schedule is loaded (ADR 0008). */
  provisionalDeadlines: string[];
  returnReasons: string[];
}

export interface SearchFilters {
  provider?: string;
  shareAttribute?: ShareAttribute;
  grade?: Grade;
  keyword?: string;
  status?: string;
  overdueOnly?: boolean;
  limit?: number;
  offset?: number;
}

const summarize = (s: CatalogEntryState, revision: number): EntrySummary => ({
  entryId: s.entryId,
  status: displayStatus(s),
  revision,
  publishedVersion: s.publishedVersion,
  content: s.content,
  updateDueAt: s.update !== null && s.status !== 'SUBMITTED' && s.status !== 'PUBLISHED' ? s.update.dueAt : null,
  reviewDueAt: s.reviewDueAt,
  updateOverdue: s.update?.overdue ?? false,
  reviewOverdue: s.reviewOverdue,
  provisionalDeadlines: provisionalDeadlines(s),
  returnReasons: s.returnReasons,
});

/**
 * Issue 13, defect 8: a draft (an entry never published, or the unpublished update of a published
 * one) with its assessments, head approval, deadlines and return reasons is seen by its provider
 * and by a competent department of the platform only (CAT-07, CAT-10); every other department
 * sees the published versions, as if the entry had stopped at its last publication.
 */
const seesDrafts = (viewer: Principal, provider: string, platform: string): boolean =>
  viewer.department.id === provider || (viewer.department.roles.includes('competent') && viewer.department.platform === platform);

/** The entry as its last publication left it: nothing of the work under way. */
const publishedSummary = (s: CatalogEntryState, revision: number): EntrySummary => ({
  entryId: s.entryId,
  status: 'PUBLISHED',
  revision,
  publishedVersion: s.publishedVersion,
  content: s.publishedContent,
  updateDueAt: null,
  reviewDueAt: null,
  updateOverdue: false,
  reviewOverdue: false,
  provisionalDeadlines: [],
  returnReasons: [],
});

type EntryFilter = FilterQuery<InferEntity<typeof CatalogEntryView>>;

/** Read side of the catalog: search on the projection, single entries from the event store; each as the viewer may see it. */
export class CatalogQueries {
  readonly #db: Database;
  readonly #store: AggregateStore;
  readonly #platform: string;
  constructor(db: Database, store: AggregateStore, platform: string) {
    this.#db = db;
    this.#store = store;
    this.#platform = platform;
  }

  async search(f: SearchFilters, viewer: Principal): Promise<{ entries: EntrySummary[]; total: number }> {
    const like = f.keyword ? { $like: `%${f.keyword.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%` } : undefined;
    // Entries whose drafts the viewer sees, filtered on their current content.
    const current: EntryFilter = {};
    if (f.shareAttribute) current.shareAttribute = f.shareAttribute;
    if (f.grade) current.grade = f.grade;
    if (f.status) current.status = f.status;
    if (like) current.searchText = like;
    if (f.overdueOnly) current.$or = [{ updateOverdue: true }, { reviewOverdue: true }];
    // Other entries: published ones only, filtered on their published version (no status but PUBLISHED, no deadlines).
    const published: EntryFilter | null = (f.status && f.status !== 'PUBLISHED') || f.overdueOnly ? null : { publishedVersion: { $gt: 0 } };
    if (published !== null) {
      if (f.shareAttribute) published.publishedShareAttribute = f.shareAttribute;
      if (f.grade) published.publishedGrade = f.grade;
      if (like) published.publishedSearchText = like;
    }
    const competent = viewer.department.roles.includes('competent') && viewer.department.platform === this.#platform;
    const visible: EntryFilter[] = competent
      ? [current]
      : [{ ...current, provider: viewer.department.id }, ...(published === null ? [] : [{ ...published, provider: { $ne: viewer.department.id } }])];
    const where: EntryFilter = { platform: this.#platform, $or: visible };
    if (f.provider) where.provider = f.provider;
    const em = this.#db.orm.em.fork();
    const [rows, total] = await em.findAndCount(CatalogEntryView, where, { orderBy: { entryId: 'asc' }, limit: Math.min(f.limit || 50, 500), offset: f.offset ?? 0 });
    return {
      entries: rows.map((r) => {
        const s = r.state as unknown as CatalogEntryState;
        return seesDrafts(viewer, s.provider, s.platform) ? summarize(s, r.revision) : publishedSummary(s, r.revision);
      }),
      total,
    };
  }

  /** One entry, always current: folded from the event store, with versions and full history. */
  async get(entryId: string, viewer: Principal) {
    const { state, version, events } = await this.#store.state(catalogEntryDecider, entryId);
    if (version === 0 || state.platform !== this.#platform) throw notFound('catalog entry', entryId);
    const drafts = seesDrafts(viewer, state.provider, state.platform);
    // A never-published entry does not exist for a department that may not see drafts.
    if (!drafts && state.publishedVersion === 0) throw notFound('catalog entry', entryId);
    const versions = await this.#db.orm.em.fork().find(CatalogEntryVersionView, { entryId }, { orderBy: { version: 'asc' } });
    const history = events.map((e) => ({ revision: e.version, type: e.event.type, time: e.envelope.time, eventId: e.envelope.id, data: e.event.data }));
    return {
      entry: drafts ? summarize(state, version) : publishedSummary(state, version),
      versions: versions.map((v) => ({ version: v.version, publishedAt: v.publishedAt.toISOString(), reviewedBy: v.reviewedBy, content: v.content as unknown as CatalogEntryContent })),
      // Others see the publications only.
      history: drafts ? history : history.filter((h) => h.type === 'CatalogEntryPublished'),
    };
  }

  /** Entries whose deadline passed and is not flagged yet: input of the deadline watcher. */
  /** Entries with a provisional deadline: counted again at start, after a year's schedule may have been loaded (ADR 0008). */
  async withProvisionalDeadlines(): Promise<string[]> {
    const rows = await this.#db.orm.em.fork().find(CatalogEntryView, { platform: this.#platform, deadlinesProvisional: true }, { fields: ['entryId'] });
    return rows.map((r) => r.entryId);
  }

  async dueForFlagging(now: Date): Promise<string[]> {
    const em = this.#db.orm.em.fork();
    const rows = await em.find(
      CatalogEntryView,
      { platform: this.#platform, $or: [{ updateOverdue: false, updateDueAt: { $lt: now } }, { reviewOverdue: false, reviewDueAt: { $lt: now }, status: 'UPDATE_SUBMITTED' }] },
      { fields: ['entryId'], limit: 1000 },
    );
    return rows.map((r) => r.entryId);
  }
}
