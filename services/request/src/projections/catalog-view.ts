import { CatalogEventNamespace, CatalogEventTypes, type CatalogEvent, type ShareAttribute, type ShareMethod } from '@govmesh/contracts/avro';
import { byType, type Database, type Principal, type Projection } from '@govmesh/backbone';
import type { CatalogSnapshot } from '../domain/content.ts';
import { RequestableEntryView, RequestableVersionView } from './read-model.ts';

/**
 * The request service's own view of the catalog, built from `<platform>.catalog.events` only
 * (REQ-02: a request names a published entry and only its data items), through the backbone's
 * Projection (exactly once). Only drafts (the entry exists) and publications (a version may be
 * requested) matter; every other catalog event is claimed and skipped. The view lags the catalog by
 * the time the event takes to arrive: a request for an entry published a moment ago may be refused
 * as unpublished and succeed on retry.
 */
export const catalogViewProjection: Projection<CatalogEvent> = {
  inbox: 'request-catalog-view',
  namespace: CatalogEventNamespace,
  types: CatalogEventTypes,
  apply: byType<CatalogEvent>({
    CatalogEntryDrafted: async (tx, event, record) => {
      const entryId = record.envelope.subject;
      if ((await tx.em.findOne(RequestableEntryView, { entryId })) !== null) return;
      tx.em.create(RequestableEntryView, { entryId, platform: event.data.platform, provider: event.data.content.provider, name: event.data.content.name, status: 'UNPUBLISHED', latestVersion: 0, updatedAt: new Date(record.envelope.time) });
    },
    CatalogEntryPublished: async (tx, event, record) => {
      const entryId = record.envelope.subject;
      const at = new Date(record.envelope.time);
      const row = await tx.em.findOne(RequestableEntryView, { entryId });
      const c = event.data.content;
      const values = { provider: c.provider, name: c.name, status: 'PUBLISHED', latestVersion: Math.max(row?.latestVersion ?? 0, event.data.version), updatedAt: at };
      if (row === null) tx.em.create(RequestableEntryView, { entryId, platform: '', ...values });
      else tx.em.assign(row, values);
      tx.em.create(RequestableVersionView, { entryId, version: event.data.version, shareAttribute: c.shareAttribute, shareMethods: [...c.shareMethods], dataItems: c.dataItems.map((i) => i.name), publishedAt: at });
    },
    CatalogAssessmentRecorded: null,
    CatalogEntryHeadApproved: null,
    CatalogEntryReturned: null,
    CatalogEntryRevised: null,
    CatalogEntrySubmitted: null,
    CatalogEntryUpdateStarted: null,
    CatalogReviewOverdue: null,
    CatalogDeadlineRecomputed: null,
    CatalogUpdateExtensionGranted: null,
    CatalogUpdateExtensionRefused: null,
    CatalogUpdateExtensionRequested: null,
    CatalogUpdateOverdue: null,
  }),
};

/** Reads the view: what the command layer hands to the decider. */
export class CatalogView {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * The entry as a department may see it (issue 13, defect 8): a never-published entry (its draft
   * name) only to its provider and the platform's competent department; null otherwise.
   */
  async snapshotFor(viewer: Principal, entryId: string): Promise<CatalogSnapshot | null> {
    const s = await this.snapshot(entryId);
    if (s === null || s.latestVersion > 0) return s;
    return viewer.department.id === s.provider || viewer.department.roles.includes('competent') ? s : null;
  }

  /** The entry, the version asked for (0 = the latest) and the current one; null when the entry is unknown here. */
  async snapshot(entryId: string, version = 0): Promise<CatalogSnapshot | null> {
    if (entryId.trim() === '') return null;
    const em = this.#db.orm.em.fork();
    const entry = await em.findOne(RequestableEntryView, { entryId });
    if (entry === null) return null;
    const wanted = version > 0 ? version : entry.latestVersion;
    const v = wanted > 0 ? await em.findOne(RequestableVersionView, { entryId, version: wanted }) : null;
    // CAT-04, CAT-05: the current version too, the one a request is judged against.
    const cur = entry.latestVersion === wanted ? v : entry.latestVersion > 0 ? await em.findOne(RequestableVersionView, { entryId, version: entry.latestVersion }) : null;
    const published = (x: typeof v) =>
      x === null ? null : { version: x.version, shareAttribute: x.shareAttribute as ShareAttribute, shareMethods: x.shareMethods as ShareMethod[], dataItems: x.dataItems };
    return {
      entryId,
      status: entry.status === 'PUBLISHED' ? 'PUBLISHED' : 'UNPUBLISHED',
      provider: entry.provider,
      name: entry.name,
      latestVersion: entry.latestVersion,
      version: published(v),
      current: published(cur),
    };
  }
}
