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
    /**
     * The published version's columns (null before the first publication): what a department that
     * is neither the provider nor the competent department searches (issue 13, defect 8).
     */
    publishedName: p.string().nullable(),
    publishedCode: p.string().nullable(),
    publishedShareAttribute: p.string().nullable(),
    publishedGrade: p.string().nullable(),
    publishedSearchText: p.text().nullable(),
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
  {
    // Rows written before are filled in from the folded state's published content (searchText's recipe).
    id: '0004_catalog_published_columns',
    sql: `
      alter table ${SCHEMA}.entries
        add column published_name text,
        add column published_code text,
        add column published_share_attribute text,
        add column published_grade text,
        add column published_search_text text;
      update ${SCHEMA}.entries e set
        published_name = c->>'name',
        published_code = c->>'code',
        published_share_attribute = c->>'shareAttribute',
        published_grade = c->>'grade',
        published_search_text = lower(concat_ws(' ', c->>'name', c->>'code', c->>'abstract', c->>'classification',
          (select string_agg(concat_ws(' ', i->>'name', i->>'description'), ' ') from jsonb_array_elements(c->'dataItems') i)))
      from (select entry_id, state->'publishedContent' as c from ${SCHEMA}.entries) s
      where s.entry_id = e.entry_id and jsonb_typeof(s.c) = 'object';
      create index entries_published on ${SCHEMA}.entries (published_version) where published_version > 0;`,
  },
];
