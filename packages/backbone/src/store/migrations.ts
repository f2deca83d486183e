import { idempotencyTableSql } from '../server/idempotency.ts';
import type { Database } from './database.ts';

export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies pending migrations in order, under an advisory lock so replicas starting together do
 * not race. Migrations are raw SQL: the write-side guarantees are SQL features.
 */
export const migrate = async (db: Database, schema: string, migrations: readonly Migration[]): Promise<string[]> => {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`migrate:${schema}`]);
    await tx.query(`create schema if not exists ${schema}`);
    await tx.query(`create table if not exists ${schema}.schema_migrations (id text primary key, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.query<{ id: string }>(`select id from ${schema}.schema_migrations`)).map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await tx.query(m.sql);
      await tx.query(`insert into ${schema}.schema_migrations (id) values ($1)`, [m.id]);
      applied.push(m.id);
    }
  });
  return applied;
};

/** Tables every service has: its event store, its outbox and its inbox. */
export const backboneMigrations = (schema: string): Migration[] => [
  {
    id: '0001_backbone',
    sql: `
      create table ${schema}.events (
        position bigserial primary key,
        aggregate_type text not null,
        aggregate_id text not null,
        version integer not null,
        event_id uuid not null unique,
        event_type text not null,
        data bytea not null,
        envelope jsonb not null,
        recorded_at timestamptz not null default now(),
        unique (aggregate_id, version)
      );
      -- The event store is append-only: history is never rewritten, only added to.
      create function ${schema}.refuse_change() returns trigger language plpgsql as $$
        begin raise exception 'table %.% is append-only', tg_table_schema, tg_table_name; end $$;
      create trigger events_append_only before update or delete on ${schema}.events
        for each row execute function ${schema}.refuse_change();
      create trigger events_no_truncate before truncate on ${schema}.events
        for each statement execute function ${schema}.refuse_change();

      create table ${schema}.outbox (
        id bigserial primary key,
        txid xid8 not null default pg_current_xact_id(),
        topic text not null,
        key text not null,
        headers jsonb not null,
        value bytea not null,
        created_at timestamptz not null default now()
      );

      create table ${schema}.inbox (
        consumer text not null,
        event_id text not null,
        topic text not null,
        partition integer not null,
        "offset" bigint not null,
        processed_at timestamptz not null default now(),
        primary key (consumer, event_id)
      );`,
  },
  { id: '0002_backbone_idempotency', sql: idempotencyTableSql(schema) },
  {
    id: '0003_backbone_outbox_relay',
    // One row: the highest outbox id a relay may have sent without deleting its row yet (written
    // and committed before each send, cleared with the delete): after an unclean stop, the rows up
    // to it are looked for on Kafka before anything is sent again (outbox-relay.ts).
    sql: `
      create table ${schema}.outbox_relay (
        singleton boolean primary key default true check (singleton),
        unconfirmed_through bigint
      );
      insert into ${schema}.outbox_relay default values;`,
  },
];
