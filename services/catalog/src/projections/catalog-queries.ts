import type { CatalogEntryContent, Grade, ShareAttribute } from '@govmesh/contracts/avro';
import { notFound, type AggregateStore, type Database } from '@govmesh/backbone';
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

/** Read side of the catalog: search on the projection, single entries from the event store. */
export class CatalogQueries {
  readonly #db: Database;
  readonly #store: AggregateStore;
  readonly #platform: string;
  constructor(db: Database, store: AggregateStore, platform: string) {
    this.#db = db;
    this.#store = store;
    this.#platform = platform;
  }

  async search(f: SearchFilters): Promise<{ entries: EntrySummary[]; total: number }> {
    const where: FilterQuery<InferEntity<typeof CatalogEntryView>> = { platform: this.#platform };
    if (f.provider) where.provider = f.provider;
    if (f.shareAttribute) where.shareAttribute = f.shareAttribute;
    if (f.grade) where.grade = f.grade;
    if (f.status) where.status = f.status;
    if (f.keyword) where.searchText = { $like: `%${f.keyword.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%` };
    if (f.overdueOnly) where.$or = [{ updateOverdue: true }, { reviewOverdue: true }];
    const em = this.#db.orm.em.fork();
    const [rows, total] = await em.findAndCount(CatalogEntryView, where, { orderBy: { entryId: 'asc' }, limit: Math.min(f.limit || 50, 500), offset: f.offset ?? 0 });
    return { entries: rows.map((r) => summarize(r.state as unknown as CatalogEntryState, r.revision)), total };
  }

  /** One entry, always current: folded from the event store, with versions and full history. */
  async get(entryId: string) {
    const { state, version, events } = await this.#store.state(catalogEntryDecider, entryId);
    if (version === 0 || state.platform !== this.#platform) throw notFound('catalog entry', entryId);
    const versions = await this.#db.orm.em.fork().find(CatalogEntryVersionView, { entryId }, { orderBy: { version: 'asc' } });
    return {
      entry: summarize(state, version),
      versions: versions.map((v) => ({ version: v.version, publishedAt: v.publishedAt.toISOString(), reviewedBy: v.reviewedBy, content: v.content as unknown as CatalogEntryContent })),
      history: events.map((e) => ({ revision: e.version, type: e.event.type, time: e.envelope.time, eventId: e.envelope.id, data: e.event.data })),
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
