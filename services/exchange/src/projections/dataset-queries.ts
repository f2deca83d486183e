import type { ExchangeEvent } from '@govmesh/contracts/avro';
import { forbidden, notFound, type AggregateStore, type Database, type Principal } from '@govmesh/backbone';
import { datasetId } from '../commands/exchange-commands.ts';
import { SCHEMA } from '../events/topics.ts';
import type { PushRow } from '../domain/push.ts';
import type { EntryCatalog } from './catalog-view.ts';

export interface DatasetVersionInfo {
  datasetVersion: number;
  entryVersion: number;
  loadedBy: string;
  loadId: string;
  keyItem: string;
  format: string;
  rows: number;
  upserted: number;
  deleted: number;
  recordCount: number;
  bytes: number;
  loadedAt: string;
  eventId: string;
}

export interface DatasetInfo {
  entryId: string;
  provider: string;
  currentVersion: number;
  keyItem: string;
  recordCount: number;
  history: DatasetVersionInfo[];
}

/** A page of a dataset's records, in change order (seq), from a cursor. */
export interface RecordPage {
  rows: { seq: string; key: string; data: Record<string, unknown> | null }[];
}

/**
 * Reads of the datasets: the current version and the history (from the dataset's own events), and
 * pages of records for a delivery. Who may read what is decided by the caller (the provider and
 * the competent department and auditors read a dataset's versions; records leave only through a
 * delivery, masked).
 */
export class DatasetQueries {
  readonly #db: Database;
  readonly #store: AggregateStore;
  readonly #catalog: EntryCatalog;

  constructor(db: Database, store: AggregateStore, catalog: EntryCatalog) {
    this.#db = db;
    this.#store = store;
    this.#catalog = catalog;
  }

  async dataset(p: Principal, entryId: string): Promise<DatasetInfo> {
    const entry = await this.#catalog.snapshot(entryId);
    if (entry === null) throw notFound('catalog entry', entryId);
    const oversight = p.department.roles.includes('competent') || p.department.roles.includes('auditor');
    if (p.department.id !== entry.provider && !oversight) throw forbidden(`the dataset of entry ${entryId} is read by its provider ${entry.provider}, the competent department and auditors`, 'SEC-14');
    const history: DatasetVersionInfo[] = [];
    for (const stored of await this.#store.load<ExchangeEvent>(datasetId(entryId))) {
      const e = stored.event;
      if (e.type !== 'DatasetVersionLoaded') continue;
      const d = e.data;
      history.push({ datasetVersion: d.datasetVersion, entryVersion: d.entryVersion, loadedBy: d.loadedBy, loadId: d.loadId, keyItem: d.keyItem, format: d.format, rows: d.rows, upserted: d.upserted, deleted: d.deleted, recordCount: d.recordCount, bytes: d.bytes, loadedAt: d.loadedAt, eventId: stored.envelope.id });
    }
    const last = history.at(-1);
    return { entryId, provider: entry.provider, currentVersion: last?.datasetVersion ?? 0, keyItem: last?.keyItem ?? '', recordCount: last?.recordCount ?? 0, history };
  }

  /** The dataset's current version and key item (0 and '' before any load). */
  async current(entryId: string): Promise<{ version: number; keyItem: string }> {
    const [row] = await this.#db.query<{ current_version: number; key_item: string }>(`select current_version, key_item from ${SCHEMA}.datasets where entry_id = $1`, [entryId]);
    return { version: row?.current_version ?? 0, keyItem: row?.key_item ?? '' };
  }

  /**
   * Records after `afterSeq` in change order: the live ones, or (with `changedSince`) every record
   * changed in a later dataset version, deletions included (data null).
   */
  async page(entryId: string, afterSeq: bigint, limit: number, changedSince: number | null): Promise<RecordPage> {
    // Ordered by the bigint column (an alias named seq would order the text: '10' < '9'), along the (entry_id, seq) index.
    const rows = await this.#db.query<{ pos: string; record_key: string; data: Record<string, unknown> | null }>(
      changedSince === null
        ? `select seq::text as pos, record_key, data from ${SCHEMA}.dataset_records where entry_id = $1 and seq > $2 and data is not null order by seq limit $3`
        : `select seq::text as pos, record_key, data from ${SCHEMA}.dataset_records where entry_id = $1 and seq > $2 and changed_version > $4 order by seq limit $3`,
      changedSince === null ? [entryId, afterSeq.toString(), limit] : [entryId, afterSeq.toString(), limit, changedSince],
    );
    return { rows: rows.map((r) => ({ seq: r.pos, key: r.record_key, data: r.data })) };
  }

  /**
   * A batch push's next record versions after `afterSeq` (domain/push.ts): the live records, and
   * the deletions of versions after `baseVersion` (the dataset version when the push began).
   */
  async pushPage(entryId: string, afterSeq: bigint, limit: number, baseVersion: number): Promise<PushRow[]> {
    const rows = await this.#db.query<{ pos: string; record_key: string; data: Record<string, unknown> | null; changed_version: number }>(
      `select seq::text as pos, record_key, data, changed_version from ${SCHEMA}.dataset_records
        where entry_id = $1 and seq > $2 and (data is not null or changed_version > $4) order by seq limit $3`,
      [entryId, afterSeq.toString(), limit, baseVersion],
    );
    return rows.map((r) => ({ seq: r.pos, key: r.record_key, data: r.data, changedVersion: r.changed_version }));
  }
}
