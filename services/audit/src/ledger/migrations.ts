import type { Database, Migration } from '@govmesh/backbone';

/** Ledger tables: append-only by trigger, whoever connects (see services/audit/README.md for grants). */
export const LEDGER_TABLES = ['entries', 'seen_again', 'tree_nodes', 'checkpoints', 'cosignatures', 'witnessed'] as const;

/**
 * The audit ledger's tables. Nothing here is ever updated or deleted: the triggers refuse UPDATE,
 * DELETE and TRUNCATE on every ledger table, and no code path deletes. The one mutable table,
 * `partitions` (the per-partition watermark), may only move forward. Retention is unlimited: no
 * pruning exists (REC-01 asks for at least 3 years).
 *
 * - entries: one row per ledger leaf. `idx` is the leaf index (primary key: two writers cannot
 *   both append index n). `leaf` is the canonical leaf (format 0x02); `leaf_hash` its RFC 6962
 *   hash; `chain_hash` = SHA-256(prev_hash || leaf_hash), a linear hash chain as a second check.
 *   The last row of every committed batch carries the Merkle frontier (the CompactRange), so the
 *   tree is restored from one row. (topic, partition, offset) and ce_id are unique.
 * - seen_again: a record whose ce_id is already ledgered (an at-least-once re-send), kept whole.
 * - tree_nodes: roots of complete 256-leaf tiles and of 256-tile blocks (levels 8, 16, ...).
 * - checkpoints: signed notes, one per tree size (primary key: never two roots for one size).
 * - cosignatures: witness cosignatures of our checkpoints.
 * - witnessed: child platforms' checkpoints this platform cosigned, as their witness.
 *
 * They run after the backbone's migrations (events, outbox, inbox, refuse_change()).
 */
export const ledgerMigrations = (s: string): Migration[] => [
  {
    id: '0101_ledger',
    sql: `
      create table ${s}.entries (
        idx bigint primary key,
        leaf bytea not null,
        leaf_hash bytea not null,
        prev_hash bytea not null,
        chain_hash bytea not null,
        topic text not null,
        partition integer not null,
        "offset" bigint not null,
        merge_key bigint not null,
        ce_id text not null,
        ce_type text not null,
        ce_subject text not null,
        ce_correlationid text not null,
        ce_time text not null,
        problem text,
        late boolean not null default false,
        gap_before bigint,
        frontier bytea,
        ledgered_at timestamptz not null default now(),
        unique (topic, partition, "offset"),
        check (idx >= 0 and octet_length(leaf_hash) = 32 and octet_length(chain_hash) = 32)
      );
      create unique index entries_ce_id on ${s}.entries (ce_id) where ce_id <> '';
      create index entries_correlation on ${s}.entries (ce_correlationid) where ce_correlationid <> '';
      create index entries_subject on ${s}.entries (ce_subject) where ce_subject <> '';
      create index entries_problem on ${s}.entries (idx) where problem is not null;

      create table ${s}.seen_again (
        topic text not null,
        partition integer not null,
        "offset" bigint not null,
        ce_id text not null,
        first_idx bigint not null references ${s}.entries (idx),
        at_size bigint not null,
        merge_key bigint not null,
        leaf bytea not null,
        seen_at timestamptz not null default now(),
        primary key (topic, partition, "offset")
      );

      create table ${s}.tree_nodes (
        level integer not null,
        idx bigint not null,
        hash bytea not null,
        primary key (level, idx)
      );

      create table ${s}.partitions (
        topic text not null,
        partition integer not null,
        log_start bigint not null,
        next_offset bigint not null,
        last_key bigint,
        first_seen_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (topic, partition)
      );

      create table ${s}.checkpoints (
        size bigint primary key,
        root_hash bytea not null,
        note text not null,
        issued_at timestamptz not null default now()
      );

      create table ${s}.cosignatures (
        size bigint not null references ${s}.checkpoints (size),
        key_name text not null,
        key_hash bigint not null,
        signature bytea not null,
        received_at timestamptz not null default now(),
        primary key (size, key_name, key_hash)
      );

      create table ${s}.witnessed (
        origin text not null,
        size bigint not null,
        root_hash bytea not null,
        previous_size bigint not null,
        note text not null,
        cosignature text not null,
        witnessed_at timestamptz not null default now(),
        primary key (origin, size)
      );

      ${LEDGER_TABLES.map(
        (t) => `
      create trigger ${t}_append_only before update or delete on ${s}.${t}
        for each row execute function ${s}.refuse_change();
      create trigger ${t}_no_truncate before truncate on ${s}.${t}
        for each statement execute function ${s}.refuse_change();
      revoke update, delete, truncate on ${s}.${t} from public;`,
      ).join('')}

      -- The watermark only moves forward and is never removed.
      create function ${s}.partition_forward_only() returns trigger language plpgsql as $$
        begin
          if tg_op <> 'UPDATE' then raise exception 'table %.% rows are never removed', tg_table_schema, tg_table_name; end if;
          if new.topic <> old.topic or new.partition <> old.partition or new.log_start <> old.log_start or new.next_offset < old.next_offset then
            raise exception 'partition watermark %/% may only move forward', old.topic, old.partition;
          end if;
          return new;
        end $$;
      create trigger partitions_forward_only before update or delete on ${s}.partitions
        for each row execute function ${s}.partition_forward_only();
      create trigger partitions_no_truncate before truncate on ${s}.partitions
        for each statement execute function ${s}.refuse_change();
    `,
  },
];

/**
 * Least privilege for the runtime role, where the operator runs the service as a role that does
 * not own the tables (an owner or superuser can always disable triggers; see README). Idempotent.
 */
export const grantRuntimeRole = async (db: Database, s: string, role: string): Promise<void> => {
  await db.transaction(async (tx) => {
    await tx.query(`grant usage on schema ${s} to ${role}`);
    for (const t of LEDGER_TABLES) {
      await tx.query(`revoke update, delete, truncate on ${s}.${t} from ${role}`);
      await tx.query(`grant select, insert on ${s}.${t} to ${role}`);
    }
    await tx.query(`revoke delete, truncate on ${s}.partitions from ${role}`);
    await tx.query(`grant select, insert, update on ${s}.partitions to ${role}`);
    // The outbox relay deletes what it has published; the outbox is not part of the ledger.
    await tx.query(`grant select, insert, delete on ${s}.outbox to ${role}`);
    await tx.query(`grant usage on all sequences in schema ${s} to ${role}`);
    await tx.query(`grant select on ${s}.schema_migrations to ${role}`);
  });
};
