import { CatalogEventNamespace, DirectoryEventNamespace } from '@govmesh/contracts/avro';
import { DeadlineWatcher, ServiceRuntime, asGovError, eventSource, topics, type Clock, type Logger, type OutboxRelay } from '@govmesh/backbone';
import { catalogGrpcService } from './api/grpc.ts';
import { catalogIngestHandler } from './api/ingest.ts';
import { catalogRoutes } from './api/rest.ts';
import { CatalogCommands } from './commands/catalog-commands.ts';
import type { CatalogConfig } from './config.ts';
import { catalogEntryDecider } from './domain/catalog-entry.ts';
import { departmentDecider, type DepartmentCommand } from './domain/department.ts';
import { SCHEMA, catalogTopics } from './events/topics.ts';
import { CatalogQueries } from './projections/catalog-queries.ts';
import { catalogProjection } from './projections/catalog-projection.ts';
import { CatalogEntryVersionView, CatalogEntryView, readModelMigrations } from './projections/read-model.ts';

export interface CatalogService {
  httpUrl: string;
  grpcAddress: string;
  logger: Logger;
  commands: CatalogCommands;
  queries: CatalogQueries;
  watcher: DeadlineWatcher;
  relay: OutboxRelay;
  stop(): Promise<void>;
}

/**
 * The catalog service's composition root: everything is built here from the config, and
 * nothing below reads the environment. `overrides` lets tests pass a controlled clock.
 */
export const startCatalogService = async (config: CatalogConfig, overrides: { clock?: Clock; logger?: Logger } = {}): Promise<CatalogService> => {
  const t = catalogTopics(config.PLATFORM_ID);
  const rt = await ServiceRuntime.start(config, {
    ...overrides,
    schema: SCHEMA,
    migrations: readModelMigrations,
    entities: [CatalogEntryView, CatalogEntryVersionView],
    topics: [{ topic: t.events }, { topic: t.directory }, { topic: t.ingest }, { topic: topics.deadLetter(t.events) }, { topic: topics.deadLetter(t.ingest) }],
  });
  const entries = rt.aggregateCommands({ namespace: CatalogEventNamespace, decider: catalogEntryDecider, aggregateType: 'CatalogEntry', topic: t.events, ingestConsumer: 'catalog-ingest' });
  const commands = new CatalogCommands(entries);
  const queries = new CatalogQueries(rt.db, entries.store, rt.platform);

  // The directory from the platform file becomes events; unchanged departments publish nothing, and
  // a department the file no longer lists is removed. Every service follows these events, so a
  // change takes effect without restarting them (issue 13, defect 9).
  const directoryStore = rt.aggregateStore(DirectoryEventNamespace);
  const listed = new Set(rt.platformFile.departments.map((d) => `department:${d.id}`));
  // The departments this platform registered (by the events' source: test platforms share a database).
  const known = (await rt.db.query<{ aggregate_id: string }>(`select distinct aggregate_id from ${SCHEMA}.events where aggregate_type = 'Department' and envelope->>'source' = $1`, [eventSource(rt.platform, config.SERVICE_NAME)])).map((r) => r.aggregate_id);
  const sync: { aggregateId: string; command: DepartmentCommand }[] = [
    ...rt.platformFile.departments.map((department) => ({ aggregateId: `department:${department.id}`, command: { kind: 'SyncDepartment' as const, department } })),
    ...known.filter((id) => !listed.has(id)).map((id) => ({ aggregateId: id, command: { kind: 'RemoveDepartment' as const, departmentId: id.slice('department:'.length), platform: rt.platform } })),
  ];
  for (const { aggregateId, command } of sync) {
    try {
      await directoryStore.handle({
        decider: departmentDecider,
        aggregateType: 'Department',
        aggregateId,
        command,
        ctx: { actor: `system:${rt.platform}:directory`, at: rt.clock.now(), commandId: `directory-sync:${aggregateId}` },
        topic: t.directory,
      });
    } catch (err) {
      if (asGovError(err).code !== 'GOV_ERR_CONCURRENCY_CONFLICT') throw err;
    }
  }
  rt.relay.notify();

  rt.project('projection', [t.events], catalogProjection);
  rt.consumer('ingest', [t.ingest], catalogIngestHandler({ commands, entries, authenticator: rt.authenticator }));
  await rt.startConsumers();

  const watcher = new DeadlineWatcher({ due: (now) => queries.dueForFlagging(now), provisional: () => queries.withProvisionalDeadlines(), check: (id) => commands.flagOverdue(id), clock: rt.clock, logger: rt.logger, intervalMs: config.DEADLINE_SCAN_MS });
  watcher.start();
  rt.onStop('deadline watcher', () => watcher.stop());

  const { httpUrl, grpcAddress } = await rt.serve({
    description: 'The unified catalog of government data (Regulation on Government Data Sharing, Arts. 12-17).',
    routes: catalogRoutes({ commands, queries, registry: rt.registry }),
    grpc: catalogGrpcService({ commands, queries, edge: rt.grpcEdgeDeps }),
  });
  return { httpUrl, grpcAddress, logger: rt.logger, commands, queries, watcher, relay: rt.relay, stop: () => rt.stop() };
};
