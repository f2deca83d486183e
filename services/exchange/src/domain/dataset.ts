import type { DatasetFormat, ExchangeEvent } from '@govmesh/contracts/avro';
import { concurrencyConflict, forbidden, inputInvalid, notFound, ruleViolated, type CommandContext, type Decider } from '@govmesh/backbone';
import type { EntrySnapshot } from './entry.ts';

/**
 * Dataset: the records behind one published catalog entry (aggregate id = the entry id). Only
 * the entry's providing department loads them (SEC-01: whoever manages the data answers for it),
 * keyed by a record key it names once; each load is validated row by row against the entry's
 * current published version (DLV-04) before it is decided here, and becomes a new dataset version
 * (DatasetVersionLoaded: counts only). The records themselves live in the exchange's tables and
 * change in the transaction that appends the event, so a load is all or nothing.
 */
export interface Actor {
  departmentId: string;
  platform: string;
}

export interface DatasetState {
  entryId: string;
  version: number;
  keyItem: string | null;
  recordCount: number;
  /** The loads already committed, by id: a retried upload changes nothing. */
  loadIds: string[];
}

export interface LoadCounts {
  rows: number;
  upserted: number;
  deleted: number;
  recordCount: number;
  bytes: number;
}

export type DatasetCommand = {
  kind: 'LoadDataset';
  by: Actor;
  entry: EntrySnapshot | null;
  loadId: string;
  keyItem: string;
  format: DatasetFormat;
  /** The dataset version the counts were computed on. */
  baseVersion: number;
  counts: LoadCounts;
};

export const initialDataset = (): DatasetState => ({ entryId: '', version: 0, keyItem: null, recordCount: 0, loadIds: [] });

/**
 * What may be checked before a single row is read: the entry is published and shared, the caller
 * is its provider, the key is one of its items and the one the dataset is keyed by.
 */
export const assertMayLoad = (by: Actor, entry: EntrySnapshot | null, keyItem: string, s: DatasetState, entryId: string): EntrySnapshot => {
  if (entry === null) throw notFound('catalog entry', entryId);
  if (by.departmentId !== entry.provider) throw forbidden(`only the providing department ${entry.provider} loads the records of entry ${entry.entryId}`, 'SEC-01');
  if (entry.status !== 'PUBLISHED' || entry.version === 0) throw ruleViolated('DLV-04', `entry ${entry.entryId} has no published version: records are loaded against a published entry's data items`);
  if (entry.notShared) throw ruleViolated('CAT-04', `entry ${entry.entryId} is not shared (不予共享) in its current version: no dataset is delivered from it`);
  const key = keyItem === '' ? (s.keyItem ?? '') : keyItem;
  if (key === '') throw inputInvalid([{ field: 'key', description: 'name the data item whose value is the record key' }], 'DLV-04');
  if (!entry.items.some((i) => i.name === key)) throw inputInvalid([{ field: 'key', description: `${key} is not a data item of entry ${entry.entryId} version ${entry.version}` }], 'DLV-04');
  if (s.keyItem !== null && s.keyItem !== key) throw inputInvalid([{ field: 'key', description: `the dataset is keyed by ${s.keyItem}; a load keeps that key` }], 'DLV-04');
  return entry;
};

export const decideDataset = (cmd: DatasetCommand, s: DatasetState, ctx: CommandContext): ExchangeEvent[] => {
  // A retried upload (same load id) after its commit: nothing more.
  if (s.loadIds.includes(cmd.loadId)) return [];
  const entry = assertMayLoad(cmd.by, cmd.entry, cmd.keyItem, s, ctx.aggregateId ?? '');
  if (cmd.baseVersion !== s.version) throw concurrencyConflict(entry.entryId);
  return [{
    type: 'DatasetVersionLoaded',
    data: {
      entryId: entry.entryId,
      datasetVersion: s.version + 1,
      entryVersion: entry.version,
      loadedBy: cmd.by.departmentId,
      loadId: cmd.loadId,
      keyItem: cmd.keyItem,
      format: cmd.format,
      ...cmd.counts,
      loadedAt: ctx.at.toISOString(),
    },
  }];
};

export const evolveDataset = (s: DatasetState, e: ExchangeEvent): DatasetState => {
  switch (e.type) {
    case 'DatasetVersionLoaded':
      return { entryId: e.data.entryId, version: e.data.datasetVersion, keyItem: e.data.keyItem, recordCount: e.data.recordCount, loadIds: [...s.loadIds, e.data.loadId] };
    default:
      return s;
  }
};

export const datasetDecider: Decider<DatasetCommand, ExchangeEvent, DatasetState> = { initialState: initialDataset, decide: decideDataset, evolve: evolveDataset };
