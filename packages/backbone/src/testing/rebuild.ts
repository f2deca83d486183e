import { randomUUID } from 'node:crypto';
import type { EntitySchema } from '@mikro-orm/core';
import type kafkajs from 'kafkajs';
import type { SchemaRegistry } from '../avro/registry.ts';
import type { DomainEvent } from '../domain/decider.ts';
import { decodeRecord } from '../kafka/consumer.ts';
import { readTopicRange } from '../kafka/topic-tail.ts';
import { applyProjection, type Projection } from '../projections/projection.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { backboneMigrations, migrate, type Migration } from '../store/migrations.ts';

export interface ReadModelSpec {
  /** The service's schema (its entities are bound to it). */
  schema: string;
  entities: EntitySchema[];
  migrations: Migration[];
  /** Each projection and the topic it reads, as the service wires them. */
  projections: { topic: string; projection: Projection<DomainEvent> }[];
  /** The read-model tables to compare. */
  tables: string[];
}

export interface TableComparison {
  table: string;
  live: number;
  rebuilt: number;
  /** Rows (as JSON) present on one side only, a few of them. */
  onlyLive: string[];
  onlyRebuilt: string[];
}

const rowsOf = async (db: Database, schema: string, table: string): Promise<string[]> =>
  (await db.query<{ row: string }>(`select to_jsonb(t)::text as row from ${schema}.${table} t`)).map((r) => r.row).sort();

const difference = (a: string[], b: string[]): string[] => {
  const left = new Map<string, number>();
  for (const r of b) left.set(r, (left.get(r) ?? 0) + 1);
  return a.filter((r) => {
    const n = left.get(r) ?? 0;
    if (n === 0) return true;
    left.set(r, n - 1);
    return false;
  });
};

/**
 * Rebuilds a service's read models from its topics, from the beginning, into a fresh database on
 * the same server, the way the service builds them (applyProjection: inbox claim and fold), and
 * compares every table row for row with the live one (`live`, opened on the service's database).
 * The fresh database is dropped afterwards. An empty list of differences on every table means the
 * projections equal a rebuild from the events.
 */
export const compareWithRebuild = async (opts: { databaseUrl: string; kafka: kafkajs.Kafka; registry: SchemaRegistry; spec: ReadModelSpec }): Promise<TableComparison[]> => {
  const { databaseUrl, kafka, registry, spec } = opts;
  const name = `rebuild_${spec.schema}_${randomUUID().slice(0, 8)}`;
  const admin = await openDatabase({ url: databaseUrl, poolSize: 1 });
  const live = await openDatabase({ url: databaseUrl, entities: spec.entities, poolSize: 2 });
  await admin.query(`create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const rebuilt = await openDatabase({ url: url.toString(), entities: spec.entities, poolSize: 2 });
  try {
    await migrate(rebuilt, spec.schema, [...backboneMigrations(spec.schema), ...spec.migrations]);
    for (const { topic, projection } of spec.projections) {
      await readTopicRange(kafka, topic, (low) => low, async (partition, message) => {
        await applyProjection(rebuilt, spec.schema, projection, decodeRecord(registry, topic, partition, message));
      });
    }
    const out: TableComparison[] = [];
    for (const table of spec.tables) {
      const [a, b] = [await rowsOf(live, spec.schema, table), await rowsOf(rebuilt, spec.schema, table)];
      out.push({ table, live: a.length, rebuilt: b.length, onlyLive: difference(a, b).slice(0, 3), onlyRebuilt: difference(b, a).slice(0, 3) });
    }
    return out;
  } finally {
    await rebuilt.close();
    await live.close();
    await admin.query(`drop database if exists ${name}`).catch(() => undefined);
    await admin.close();
  }
};
