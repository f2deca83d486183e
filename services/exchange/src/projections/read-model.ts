import { defineEntity, p } from '@mikro-orm/postgresql';
import { foldedRowProperties, type Migration } from '@govmesh/backbone';
import { SCHEMA } from '../events/topics.ts';

/**
 * The exchange's read models, each built by a consumer from another service's topic (so each can
 * be dropped and rebuilt by replay): the catalog entries and their published versions' data
 * items, and the shares. The catalog and request services are never called.
 *
 * Beside them, the write side's own tables (migration 0003): the records of each dataset, changed
 * only in the transaction that appends the dataset's DatasetVersionLoaded, and the staging rows a
 * load is streamed into before that transaction.
 */
export const EntryView = defineEntity({
  name: 'ExchangeEntryView',
  tableName: 'catalog_entries',
  schema: SCHEMA,
  properties: {
    entryId: p.string().primary(),
    provider: p.string(),
    status: p.string(),
    latestVersion: p.integer(),
    updatedAt: p.datetime(),
  },
});

export const EntryVersionView = defineEntity({
  name: 'ExchangeEntryVersionView',
  tableName: 'catalog_entry_versions',
  schema: SCHEMA,
  properties: {
    entryId: p.string().primary(),
    version: p.integer().primary(),
    shareAttribute: p.string(),
    shareMethods: p.json<string[]>(),
    items: p.json<{ name: string; type: string; grade: string; masking?: string }[]>(),
    publishedAt: p.datetime(),
  },
});

export const ShareView = defineEntity({
  name: 'ExchangeShareView',
  tableName: 'shares',
  schema: SCHEMA,
  properties: {
    shareId: p.string().primary(),
    requester: p.string(),
    provider: p.string(),
    entryId: p.string(),
    shareState: p.string(),
    ...foldedRowProperties,
  },
});

export const readModelMigrations: Migration[] = [
  {
    id: '0002_exchange_read_model',
    sql: `
      create table ${SCHEMA}.catalog_entries (
        entry_id text primary key,
        provider text not null,
        status text not null,
        latest_version integer not null,
        updated_at timestamptz not null
      );
      create table ${SCHEMA}.catalog_entry_versions (
        entry_id text not null,
        version integer not null,
        share_attribute text not null,
        share_methods jsonb not null,
        items jsonb not null,
        published_at timestamptz not null,
        primary key (entry_id, version)
      );
      create table ${SCHEMA}.shares (
        share_id text primary key,
        requester text not null,
        provider text not null,
        entry_id text not null,
        share_state text not null,
        revision integer not null,
        state jsonb not null,
        updated_at timestamptz not null
      );
      create index shares_requester on ${SCHEMA}.shares (requester, share_state);`,
  },
  {
    id: '0003_exchange_datasets',
    sql: `
      create table ${SCHEMA}.datasets (
        entry_id text primary key,
        current_version integer not null,
        key_item text not null,
        record_count bigint not null,
        updated_at timestamptz not null
      );
      -- One row per record key; a deleted record stays as a tombstone (data null) so that
      -- changed-since reads report it. seq grows with every change: the order of a pull and its
      -- cursor (a record changed after a cursor was given is delivered again, changed).
      create sequence ${SCHEMA}.dataset_record_seq;
      create table ${SCHEMA}.dataset_records (
        entry_id text not null,
        record_key text not null,
        data jsonb,
        changed_version integer not null,
        seq bigint not null default nextval('${SCHEMA}.dataset_record_seq'),
        primary key (entry_id, record_key)
      );
      create index dataset_records_seq on ${SCHEMA}.dataset_records (entry_id, seq);
      -- A load's rows before its commit; unlogged (a crash loses only uncommitted loads).
      create unlogged table ${SCHEMA}.dataset_staging (
        load_id text not null,
        line integer not null,
        record_key text not null,
        op text not null,
        data jsonb,
        staged_at timestamptz not null default now()
      );
      create index dataset_staging_load on ${SCHEMA}.dataset_staging (load_id, record_key);`,
  },
  {
    // Staged rows keep the JSON text: it is parsed once, when a load is merged.
    id: '0004_exchange_staging_text',
    sql: `alter table ${SCHEMA}.dataset_staging alter column data type text using data::text;`,
  },
];
