import type { DatasetFormat, ExchangeEvent, ShareMethod } from '@govmesh/contracts/avro';
import { GovError, noFailpoints, notFound, uuidv7, type AggregateCommands, type Database, type Failpoints, type FieldViolation, type Principal, type Tx } from '@govmesh/backbone';
import { assertMayLoad, type DatasetCommand, type DatasetState } from '../domain/dataset.ts';
import type { DeliveryCommand, DeliveryState } from '../domain/delivery.ts';
import { fieldSpecs, type FieldSpec } from '../domain/records.ts';
import { deliveryAccess, type ShareGrant } from '../domain/share.ts';
import { SCHEMA } from '../events/topics.ts';
import type { EntryCatalog } from '../projections/catalog-view.ts';
import type { Shares } from '../projections/share-view.ts';
import type { Parsed } from '../api/upload-formats.ts';

/**
 * Aggregate ids: a dataset and a share's deliveries are aggregates of their own, not the catalog's
 * entry nor the request service's share (the ledger keeps one aggregate per id); their events are
 * correlated to the entry or share, so its lifecycle shows them.
 */
export const datasetId = (entryId: string): string => `dataset:${entryId}`;
export const deliveryId = (shareId: string): string => `delivery:${shareId}`;

/** The most row errors a refused load reports; reading stops there. */
export const MAX_LOAD_ERRORS = 100;
const STAGE_BATCH = 5000;

export interface LoadResult {
  entryId: string;
  datasetVersion: number;
  loadId: string;
  keyItem: string;
  rows: number;
  upserted: number;
  deleted: number;
  recordCount: number;
  /** true: this load id had been committed before; nothing changed now. */
  replayed: boolean;
  eventIds: string[];
}

const actor = (p: Principal) => ({ departmentId: p.department.id, platform: p.department.platform });

/**
 * The exchange's application service. A load: the checks that need no row (provider, published
 * entry, key), then the body streamed row by row into the staging table (each row checked against
 * the entry's current version; at most MAX_LOAD_ERRORS errors reported), then, only if every row
 * passed and no key repeats, one transaction that appends DatasetVersionLoaded and moves the
 * staged rows into the dataset (all or nothing: a refused or interrupted load leaves no record
 * behind, and its staging rows are removed). A delivery: the share's access checked, and the
 * first delivery of an approved share recorded as an event.
 */
export class ExchangeCommands {
  readonly #db: Database;
  readonly #datasets: AggregateCommands<DatasetCommand, ExchangeEvent, DatasetState>;
  readonly #deliveries: AggregateCommands<DeliveryCommand, ExchangeEvent, DeliveryState>;
  readonly #catalog: EntryCatalog;
  readonly #shares: Shares;
  readonly #failpoints: Failpoints;

  constructor(opts: { db: Database; datasets: AggregateCommands<DatasetCommand, ExchangeEvent, DatasetState>; deliveries: AggregateCommands<DeliveryCommand, ExchangeEvent, DeliveryState>; catalog: EntryCatalog; shares: Shares; failpoints?: Failpoints }) {
    this.#db = opts.db;
    this.#datasets = opts.datasets;
    this.#deliveries = opts.deliveries;
    this.#catalog = opts.catalog;
    this.#shares = opts.shares;
    this.#failpoints = opts.failpoints ?? noFailpoints;
  }

  /** Checks what needs no row; the fields and the key every row is checked against. */
  async prepareLoad(p: Principal, entryId: string, key: string): Promise<{ fields: FieldSpec[]; keyItem: string }> {
    const { state } = await this.#datasets.state(datasetId(entryId));
    const entry = assertMayLoad(actor(p), await this.#catalog.snapshot(entryId), key, state, entryId);
    return { fields: fieldSpecs(entry.items), keyItem: key === '' ? state.keyItem! : key };
  }

  async load(p: Principal, entryId: string, opts: { key: string; loadId?: string; format: DatasetFormat; bytes: () => number; rows: (fields: FieldSpec[], keyItem: string) => AsyncIterable<Parsed> }): Promise<LoadResult> {
    const { fields, keyItem } = await this.prepareLoad(p, entryId, opts.key);
    const before = await this.#datasets.state(datasetId(entryId));
    const loadId = opts.loadId ?? `load-${uuidv7()}`;
    const committed = await this.#committedLoad(entryId, loadId);
    if (committed !== null) return committed;
    // What an attempt with this load id that died before its commit staged (a retry after a crash).
    await this.#db.query(`delete from ${SCHEMA}.dataset_staging where load_id = $1`, [loadId]);
    try {
      const rows = await this.#stage(loadId, opts.rows(fields, keyItem));
      const counts = await this.#counts(entryId, loadId);
      const result = await this.#datasets.run(
        datasetId(entryId),
        { kind: 'LoadDataset', by: actor(p), entry: await this.#catalog.snapshot(entryId), loadId, keyItem, format: opts.format, baseVersion: before.version, counts: { rows, ...counts, recordCount: before.state.recordCount + counts.added - counts.removed, bytes: opts.bytes() } },
        p.department.id,
        undefined,
        {
          correlationId: entryId,
          inline: async (tx, events) => {
            const loaded = events.find((e) => e.event.type === 'DatasetVersionLoaded');
            if (loaded !== undefined && loaded.event.type === 'DatasetVersionLoaded') await this.#merge(tx, entryId, loadId, loaded.event.data.datasetVersion, keyItem, loaded.event.data.recordCount);
          },
        },
      );
      if (result.events.length === 0) return (await this.#committedLoad(entryId, loadId))!;
      const e = result.events[0]!.event;
      if (e.type !== 'DatasetVersionLoaded') throw new GovError('GOV_ERR_INTERNAL', 'unexpected event');
      return { entryId, datasetVersion: e.data.datasetVersion, loadId, keyItem, rows: e.data.rows, upserted: e.data.upserted, deleted: e.data.deleted, recordCount: e.data.recordCount, replayed: false, eventIds: result.events.map((x) => x.envelope.id) };
    } finally {
      await this.#db.query(`delete from ${SCHEMA}.dataset_staging where load_id = $1`, [loadId]);
    }
  }

  async #committedLoad(entryId: string, loadId: string): Promise<LoadResult | null> {
    for (const stored of await this.#datasets.store.load<ExchangeEvent>(datasetId(entryId))) {
      const e = stored.event;
      if (e.type === 'DatasetVersionLoaded' && e.data.loadId === loadId) {
        return { entryId, datasetVersion: e.data.datasetVersion, loadId, keyItem: e.data.keyItem, rows: e.data.rows, upserted: e.data.upserted, deleted: e.data.deleted, recordCount: e.data.recordCount, replayed: true, eventIds: [stored.envelope.id] };
      }
    }
    return null;
  }

  /** Streams the rows into the staging table in batches; throws naming every bad line (bounded) and nothing stays staged. */
  async #stage(loadId: string, rows: AsyncIterable<Parsed>): Promise<number> {
    const errors: FieldViolation[] = [];
    let batch: { line: number; key: string; op: string; data: string | null }[] = [];
    let count = 0;
    let badLines = 0;
    // One batch is written while the next is parsed.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      await inFlight;
      if (batch.length === 0) return;
      const b = batch;
      batch = [];
      inFlight = this.#db
        .query(
          `insert into ${SCHEMA}.dataset_staging (load_id, line, record_key, op, data) select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
          [loadId, b.map((r) => r.line), b.map((r) => r.key), b.map((r) => r.op), b.map((r) => r.data)],
        )
        .then(() => this.#failpoints.hit('load.staging', loadId));
      // Handled when awaited; never an unhandled rejection in between.
      inFlight.catch(() => undefined);
    };
    try {
      for await (const parsed of rows) {
        if ('violations' in parsed) {
          badLines += 1;
          errors.push(...parsed.violations.slice(0, MAX_LOAD_ERRORS - errors.length));
          if (errors.length >= MAX_LOAD_ERRORS) break;
          continue;
        }
        count += 1;
        if (errors.length > 0) continue;
        const r = parsed.row;
        batch.push({ line: parsed.line, key: r.key, op: r.op, data: r.op === 'upsert' ? JSON.stringify(r.record) : null });
        if (batch.length >= STAGE_BATCH) await flush();
      }
      if (errors.length === 0) await flush();
    } finally {
      await inFlight;
    }
    if (errors.length === 0) errors.push(...(await this.#duplicates(loadId)));
    if (errors.length > 0) {
      const more = errors.length >= MAX_LOAD_ERRORS ? ` (reading stopped at the first ${MAX_LOAD_ERRORS} errors)` : '';
      throw new GovError('GOV_ERR_INPUT_INVALID', `${Math.max(badLines, 1)} row(s) refused${more}: nothing was loaded. ${errors.slice(0, 5).map((v) => `${v.field}: ${v.description}`).join('; ')}`, { violations: errors, rule: 'DLV-04' });
    }
    return count;
  }

  /** A record key given twice in one load is refused, naming the later line. */
  async #duplicates(loadId: string): Promise<FieldViolation[]> {
    const rows = await this.#db.query<{ record_key: string; first: number; line: number }>(
      `select record_key, first, line from (
         select record_key, line, min(line) over (partition by record_key) as first from ${SCHEMA}.dataset_staging where load_id = $1
       ) s where line > first order by line limit ${MAX_LOAD_ERRORS}`,
      [loadId],
    );
    return rows.map((r) => ({ field: `line[${r.line}]`, description: `record key ${JSON.stringify(r.record_key)} was already given on line ${r.first}: one row per key in a load` }));
  }

  async #counts(entryId: string, loadId: string): Promise<{ upserted: number; deleted: number; added: number; removed: number }> {
    const [c] = await this.#db.query<{ upserted: string; deleted: string; added: string; removed: string }>(
      `select count(*) filter (where s.op = 'upsert') as upserted,
              count(*) filter (where s.op = 'delete') as deleted,
              count(*) filter (where s.op = 'upsert' and r.data is null) as added,
              count(*) filter (where s.op = 'delete' and r.data is not null) as removed
         from ${SCHEMA}.dataset_staging s left join ${SCHEMA}.dataset_records r on r.entry_id = $2 and r.record_key = s.record_key
        where s.load_id = $1`,
      [loadId, entryId],
    );
    return { upserted: Number(c!.upserted), deleted: Number(c!.deleted), added: Number(c!.added), removed: Number(c!.removed) };
  }

  /** In the command's transaction: the staged rows become the dataset's (tombstones for deletions). */
  async #merge(tx: Tx, entryId: string, loadId: string, version: number, keyItem: string, recordCount: number): Promise<void> {
    await tx.query(
      `insert into ${SCHEMA}.dataset_records (entry_id, record_key, data, changed_version)
       select $2, record_key, data::jsonb, $3 from ${SCHEMA}.dataset_staging where load_id = $1
       on conflict (entry_id, record_key) do update set data = excluded.data, changed_version = excluded.changed_version, seq = nextval('${SCHEMA}.dataset_record_seq')`,
      [loadId, entryId, version],
    );
    await tx.query(
      `insert into ${SCHEMA}.datasets (entry_id, current_version, key_item, record_count, updated_at) values ($1, $2, $3, $4, now())
       on conflict (entry_id) do update set current_version = excluded.current_version, key_item = excluded.key_item, record_count = excluded.record_count, updated_at = excluded.updated_at`,
      [entryId, version, keyItem, recordCount],
    );
    await tx.query(`delete from ${SCHEMA}.dataset_staging where load_id = $1`, [loadId]);
  }

  /**
   * A delivery is about to leave for `p` on `shareId` by `method`: access is checked (a 403
   * naming the share's state otherwise) and the first delivery of an approved share is recorded.
   */
  async deliver(p: Principal, shareId: string, method: ShareMethod, now: Date): Promise<{ share: ShareGrant; items: string[] }> {
    const share = await this.#shares.get(shareId);
    if (share === null) throw notFound('share', shareId);
    const { items } = deliveryAccess(share, p.department.id, method, now);
    if (share!.state === 'APPROVED') {
      const [ds] = await this.#db.query<{ current_version: number }>(`select current_version from ${SCHEMA}.datasets where entry_id = $1`, [share!.entryId]);
      await this.#deliveries.run(deliveryId(shareId), { kind: 'RecordDelivery', share: share!, method, datasetVersion: ds?.current_version ?? 0 }, p.department.id, undefined, { correlationId: shareId });
    }
    return { share: share!, items };
  }

  /** Access again, e.g. between the pages of a stream in progress (SUS-03: cut at once). */
  async recheck(p: Principal, shareId: string, method: ShareMethod, now: Date): Promise<void> {
    deliveryAccess(await this.#shares.get(shareId), p.department.id, method, now);
  }
}
