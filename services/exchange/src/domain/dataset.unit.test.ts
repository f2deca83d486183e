import { test } from 'node:test';
import type { ExchangeEvent } from '@govmesh/contracts/avro';
import { deciderSpec } from '@govmesh/backbone/testing';
import { datasetDecider, type DatasetCommand } from './dataset.ts';
import { ENTRY, OTHER, PROVIDER, T0, entry } from './delivery-fixtures.ts';

const spec = deciderSpec(datasetDecider);
const ctx = { at: T0, aggregateId: ENTRY };
const counts = { rows: 3, upserted: 2, deleted: 1, recordCount: 2, bytes: 300 };
const load = (over: Partial<DatasetCommand> = {}): DatasetCommand => ({ kind: 'LoadDataset', by: { departmentId: PROVIDER, platform: 'national' }, entry: entry(), loadId: 'load-1', keyItem: 'citizen_id', format: 'NDJSON', baseVersion: 0, counts, ...over });
const loaded = (version: number, loadId: string, keyItem = 'citizen_id'): ExchangeEvent => ({
  type: 'DatasetVersionLoaded',
  data: { entryId: ENTRY, datasetVersion: version, entryVersion: 1, loadedBy: PROVIDER, loadId, keyItem, format: 'NDJSON', ...counts, loadedAt: T0.toISOString() },
});

test('DLV-04: each load of the provider is a new dataset version carrying counts, never records', () => {
  spec.given([]).when(load(), ctx).then([loaded(1, 'load-1')]);
  spec.given([loaded(1, 'load-1')]).when(load({ loadId: 'load-2', baseVersion: 1, format: 'CSV' }), ctx).then([{ ...loaded(2, 'load-2'), data: { ...loaded(2, 'load-2').data, format: 'CSV' } } as ExchangeEvent]);
});

test('SEC-01: only the entry’s providing department loads its records', () => {
  spec.given([]).when(load({ by: { departmentId: OTHER, platform: 'national' } }), ctx).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'SEC-01');
});

test('DLV-04: records are loaded against a published entry only; not-shared data gets no dataset (CAT-04)', () => {
  spec.given([]).when(load({ entry: entry({ status: 'UNPUBLISHED', version: 0 }) }), ctx).thenThrows('GOV_ERR_RULE_VIOLATED', 'DLV-04');
  spec.given([]).when(load({ entry: null }), ctx).thenThrows('GOV_ERR_NOT_FOUND');
  spec.given([]).when(load({ entry: entry({ notShared: true }) }), ctx).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-04');
});

test('DLV-04: the record key is a data item of the entry, and a dataset keeps the key it was first loaded with', () => {
  spec.given([]).when(load({ keyItem: 'nickname' }), ctx).thenThrows('GOV_ERR_INPUT_INVALID', 'DLV-04', /nickname is not a data item/);
  spec.given([loaded(1, 'load-1')]).when(load({ loadId: 'load-2', keyItem: 'name', baseVersion: 1 }), ctx).thenThrows('GOV_ERR_INPUT_INVALID', 'DLV-04', /keyed by citizen_id/);
});

test('a retried upload (same load id) after its commit changes nothing; a load on a stale version is a conflict', () => {
  spec.given([loaded(1, 'load-1')]).when(load({ baseVersion: 0 }), ctx).then([]);
  spec.given([loaded(1, 'load-1')]).when(load({ loadId: 'load-2', baseVersion: 0 }), ctx).thenThrows('GOV_ERR_CONCURRENCY_CONFLICT');
});
