import { defineEntity, p } from '@mikro-orm/postgresql';
import { foldedRowProperties, provisionalDeadlinesMigration, type Migration } from '@govmesh/backbone';
import { SCHEMA } from '../events/topics.ts';

/**
 * The request service's read models, each built by a consumer (so each can be dropped and rebuilt
 * by replay): the shares, from the request topic, and the service's own view of the catalog, from
 * the catalog topic. The catalog service is never called and its tables are never read.
 */
export const ShareView = defineEntity({
  name: 'ShareView',
  tableName: 'shares',
  schema: SCHEMA,
  properties: {
    shareId: p.string().primary(),
    platform: p.string(),
    requester: p.string(),
    provider: p.string(),
    entryId: p.string(),
    entryVersion: p.integer(),
    status: p.string(),
    replyDueAt: p.datetime().nullable(),
    replyOverdue: p.boolean(),
    deliveryDueAt: p.datetime().nullable(),
    deliveryOverdue: p.boolean(),
    useEndsAt: p.datetime().nullable(),
    /** A live deadline is provisional (ADR 0008): the deadline watcher counts it again at start. */
    deadlinesProvisional: p.boolean(),
    ...foldedRowProperties,
  },
});

/** One catalog entry as the request service knows it from the catalog topic. */
export const RequestableEntryView = defineEntity({
  name: 'RequestableEntryView',
  tableName: 'catalog_entries',
  schema: SCHEMA,
  properties: {
    entryId: p.string().primary(),
    platform: p.string(),
    provider: p.string(),
    name: p.string(),
    /** PUBLISHED once a version was published (it stays in force during an update); UNPUBLISHED before. */
    status: p.string(),
    latestVersion: p.integer(),
    updatedAt: p.datetime(),
  },
});

/** Each published version: what a request may name. */
export const RequestableVersionView = defineEntity({
  name: 'RequestableVersionView',
  tableName: 'catalog_entry_versions',
  schema: SCHEMA,
  properties: {
    entryId: p.string().primary(),
    version: p.integer().primary(),
    shareAttribute: p.string(),
    shareMethods: p.json<string[]>(),
    dataItems: p.json<string[]>(),
    publishedAt: p.datetime(),
  },
});

export const readModelMigrations: Migration[] = [
  {
    id: '0002_request_read_model',
    sql: `
      create table ${SCHEMA}.shares (
        share_id text primary key,
        platform text not null,
        requester text not null,
        provider text not null,
        entry_id text not null,
        entry_version integer not null,
        status text not null,
        revision integer not null,
        reply_due_at timestamptz,
        reply_overdue boolean not null default false,
        delivery_due_at timestamptz,
        delivery_overdue boolean not null default false,
        use_ends_at timestamptz,
        state jsonb not null,
        updated_at timestamptz not null
      );
      create index shares_requester on ${SCHEMA}.shares (requester, status);
      create index shares_provider on ${SCHEMA}.shares (provider, status);
      create index shares_due on ${SCHEMA}.shares (reply_due_at, delivery_due_at, use_ends_at);
      create table ${SCHEMA}.catalog_entries (
        entry_id text primary key,
        platform text not null,
        provider text not null,
        name text not null,
        status text not null,
        latest_version integer not null,
        updated_at timestamptz not null
      );
      create table ${SCHEMA}.catalog_entry_versions (
        entry_id text not null,
        version integer not null,
        share_attribute text not null,
        share_methods jsonb not null,
        data_items jsonb not null,
        published_at timestamptz not null,
        primary key (entry_id, version)
      );`,
  },
  // A suspension's rectification deadline has no column: suspended shares are checked too.
  provisionalDeadlinesMigration('0003_request_provisional_deadlines', `${SCHEMA}.shares`, ['reply_due_at', 'delivery_due_at'], "status = 'SUSPENDED'"),
];
