import type { ShareMethod } from '@govmesh/contracts/avro';
import { chinaDate, uuidv7, type Database, type Migration } from '@govmesh/backbone';
import { admitCall, type DeliveryLimits } from '../domain/delivery-quota.ts';
import { SCHEMA } from '../events/topics.ts';

/**
 * Every delivery call a share received (share, method, department, when, records, bytes): what
 * the delivery limits count (DLV-07) and what a share's usage shows (REC-01, REC-03). A call is
 * admitted in one transaction holding the share's advisory lock, so racing calls cannot both take
 * the last place; its records and bytes are written when it ends.
 */
export const deliveryCallMigrations: Migration[] = [
  {
    id: '0008_exchange_delivery_calls',
    sql: `
      create table ${SCHEMA}.delivery_calls (
        call_id text primary key,
        share_id text not null,
        method text not null,
        department text not null,
        started_at timestamptz not null,
        ended_at timestamptz,
        records bigint not null default 0,
        bytes bigint not null default 0
      );
      create index delivery_calls_share on ${SCHEMA}.delivery_calls (share_id, started_at);`,
  },
];

export interface ShareUsage {
  shareId: string;
  /** Per China day and method: calls, records and bytes delivered. */
  days: { day: string; method: string; calls: number; records: number; bytes: number }[];
}

export class DeliveryCalls {
  readonly #db: Database;
  readonly #limits: DeliveryLimits;
  constructor(db: Database, limits: DeliveryLimits) {
    this.#db = db;
    this.#limits = limits;
  }

  /** Admits a call on the share (or throws 429), recording it; answers its id and the records left today. */
  async admit(shareId: string, method: ShareMethod, department: string, now: Date): Promise<{ callId: string; recordsLeft: number }> {
    const dayStart = new Date(`${chinaDate(now)}T00:00:00+08:00`);
    return this.#db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`delivery-calls:${shareId}`]);
      const recent = await tx.query<{ started_at: Date }>(
        `select started_at from ${SCHEMA}.delivery_calls where share_id = $1 and started_at > $2 and started_at <= $3 order by started_at`,
        [shareId, new Date(now.getTime() - 60_000), now],
      );
      const [today] = await tx.query<{ records: string }>(`select coalesce(sum(records), 0)::text as records from ${SCHEMA}.delivery_calls where share_id = $1 and started_at >= $2`, [shareId, dayStart]);
      const { recordsLeft } = admitCall(shareId, { callsInLastMinute: recent.map((r) => new Date(r.started_at)), recordsToday: Number(today?.records ?? 0) }, this.#limits, now);
      const callId = uuidv7();
      await tx.query(`insert into ${SCHEMA}.delivery_calls (call_id, share_id, method, department, started_at) values ($1, $2, $3, $4, $5)`, [callId, shareId, method, department, now]);
      return { callId, recordsLeft };
    });
  }

  /** What the call delivered (also when it was cut short). */
  async finish(callId: string, records: number, bytes: number, now: Date): Promise<void> {
    await this.#db.query(`update ${SCHEMA}.delivery_calls set records = $2, bytes = $3, ended_at = $4 where call_id = $1`, [callId, records, bytes, now]);
  }

  async usage(shareId: string): Promise<ShareUsage> {
    const rows = await this.#db.query<{ day: string; method: string; calls: string; records: string; bytes: string }>(
      `select to_char(started_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as day, method, count(*)::text as calls, sum(records)::text as records, sum(bytes)::text as bytes
         from ${SCHEMA}.delivery_calls where share_id = $1 group by 1, 2 order by 1, 2`,
      [shareId],
    );
    return { shareId, days: rows.map((r) => ({ day: r.day, method: r.method, calls: Number(r.calls), records: Number(r.records), bytes: Number(r.bytes) })) };
  }
}
