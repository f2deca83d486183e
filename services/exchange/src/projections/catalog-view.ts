import { CatalogEventNamespace, CatalogEventTypes, type CatalogEvent, type Grade, type ShareMethod } from '@govmesh/contracts/avro';
import { byType, type Database, type Projection } from '@govmesh/backbone';
import type { CopySpec } from '../domain/delivered-copy.ts';
import type { EntrySnapshot, ItemSpec } from '../domain/entry.ts';
import type { MaskedItem } from '../domain/masking.ts';
import { EntryVersionView, EntryView } from './read-model.ts';

/**
 * The exchange's own view of the catalog, from `<platform>.catalog.events` only, through the
 * backbone's Projection (exactly once): which department provides each entry, and each
 * published version's data items with their types, grades and masking rules. Only drafts (the
 * provider) and publications (the items) matter; every other catalog event is claimed and skipped.
 */
const itemsOf = (items: readonly { name: string; type: string; grade: Grade }[]): ItemSpec[] =>
  items.map((i) => {
    // A masking rule per item arrives with issue 8 §4's schema change; read it when present.
    const masking = (i as { masking?: unknown }).masking;
    return { name: i.name, type: i.type, grade: i.grade, ...(typeof masking === 'string' && masking !== '' ? { masking } : {}) };
  });

export const catalogViewProjection: Projection<CatalogEvent> = {
  inbox: 'exchange-catalog-view',
  namespace: CatalogEventNamespace,
  types: CatalogEventTypes,
  apply: byType<CatalogEvent>({
    CatalogEntryDrafted: async (tx, event, record) => {
      const entryId = record.envelope.subject;
      if ((await tx.em.findOne(EntryView, { entryId })) !== null) return;
      tx.em.create(EntryView, { entryId, provider: event.data.content.provider, status: 'UNPUBLISHED', latestVersion: 0, updatedAt: new Date(record.envelope.time) });
    },
    CatalogEntryPublished: async (tx, event, record) => {
      const entryId = record.envelope.subject;
      const at = new Date(record.envelope.time);
      const c = event.data.content;
      const row = await tx.em.findOne(EntryView, { entryId });
      const values = { provider: c.provider, status: 'PUBLISHED', latestVersion: Math.max(row?.latestVersion ?? 0, event.data.version), updatedAt: at };
      if (row === null) tx.em.create(EntryView, { entryId, ...values });
      else tx.em.assign(row, values);
      tx.em.create(EntryVersionView, { entryId, version: event.data.version, shareAttribute: c.shareAttribute, shareMethods: [...c.shareMethods], items: itemsOf(c.dataItems), publishedAt: at });
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

/** Reads the view: the entry and its current published version, as the deciders take it. */
export class EntryCatalog {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async snapshot(entryId: string): Promise<EntrySnapshot | null> {
    const em = this.#db.orm.em.fork();
    const entry = await em.findOne(EntryView, { entryId });
    if (entry === null) return null;
    const v = entry.latestVersion > 0 ? await em.findOne(EntryVersionView, { entryId, version: entry.latestVersion }) : null;
    return {
      entryId,
      provider: entry.provider,
      status: entry.status === 'PUBLISHED' ? 'PUBLISHED' : 'UNPUBLISHED',
      version: v?.version ?? 0,
      items: (v?.items ?? []) as ItemSpec[],
      shareMethods: (v?.shareMethods ?? []) as ShareMethod[],
      notShared: v?.shareAttribute === 'NOT_SHARED',
    };
  }
}

/**
 * The copy spec of a share's delivery (delivered-copy.ts): the named items by the entry's current
 * definition; an item the entry no longer defines is masked as CORE (withheld) rather than guessed.
 */
export const copySpec = async (catalog: EntryCatalog, share: { entryId: string }, names: readonly string[], key: Uint8Array): Promise<CopySpec> => {
  const entry = await catalog.snapshot(share.entryId);
  const defs = new Map((entry?.items ?? []).map((i) => [i.name, i]));
  const items: MaskedItem[] = names.map((name) => defs.get(name) ?? { name, grade: 'CORE' });
  // Masking lifted by an approval arrives with issue 8 §4; none is lifted until then.
  return { items, lifted: [], key };
};
