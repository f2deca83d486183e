import { defineEntity, p } from '@mikro-orm/postgresql';
import { foldedRowProperties, provisionalDeadlinesMigration, type Migration } from '@govmesh/backbone';
import { SCHEMA } from '../events/topics.ts';

/**
 * The catalog's read model, built from the catalog topic by the projection consumer (so it can be
 * dropped and rebuilt by replay). Mapped with MikroORM; the search runs on these columns.
 */
export const CatalogEntryView = defineEntity({
  name: 'CatalogEntryView',
  tableName: 'entries',
  schema: SCHEMA,
  properties: {
    entryId: p.string().primary(),
    platform: p.string(),
    provider: p.string(),
    name: p.string(),
    code: p.string(),
    shareAttribute: p.string(),
    grade: p.string(),
    status: p.string(),
    publishedVersion: p.integer(),
    searchText: p.text(),
    updateDueAt: p.datetime().nullable(),
    reviewDueAt: p.datetime().nullable(),
    updateOverdue: p.boolean(),
    reviewOverdue: p.boolean(),
    /** A live deadline is provisional (ADR 0008): the deadline watcher counts it again at start. */
    deadlinesProvisional: p.boolean(),
    ...foldedRowProperties,
  },
});

export const CatalogEntryVersionView = defineEntity({
  name: 'CatalogEntryVersionView',
  tableName: 'entry_versions',
  schema: SCHEMA,
  properties: {
    entryId: p.string().primary(),
    version: p.integer().primary(),
    publishedAt: p.datetime(),
    reviewedBy: p.string(),
    content: p.json<Record<string, unknown>>(),
  },
});

export const readModelMigrations: Migration[] = [
  {
    id: '0002_catalog_read_model',
    sql: `
      create table ${SCHEMA}.entries (
        entry_id text primary key,
        platform text not null,
        provider text not null,
        name text not null,
        code text not null,
        share_attribute text not null,
        grade text not null,
        status text not null,
        revision integer not null,
        published_version integer not null,
        search_text text not null,
        update_due_at timestamptz,
        review_due_at timestamptz,
        update_overdue boolean not null default false,
        review_overdue boolean not null default false,
        state jsonb not null,
        updated_at timestamptz not null
      );
      create index entries_provider on ${SCHEMA}.entries (provider);
      create index entries_due on ${SCHEMA}.entries (update_due_at, review_due_at);
      create table ${SCHEMA}.entry_versions (
        entry_id text not null,
        version integer not null,
        published_at timestamptz not null,
        reviewed_by text not null,
        content jsonb not null,
        primary key (entry_id, version)
      );`,
  },
  provisionalDeadlinesMigration('0003_catalog_provisional_deadlines', `${SCHEMA}.entries`, ['update_due_at', 'review_due_at']),
];
