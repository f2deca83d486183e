import { DeadlineWatcher, ServiceRuntime, topics, type Clock, type Logger, type OutboxRelay } from '@govmesh/backbone';
import { requestGrpcService } from './api/grpc.ts';
import { requestIngestHandler } from './api/ingest.ts';
import { requestRoutes } from './api/rest.ts';
import { RequestCommands } from './commands/request-commands.ts';
import type { RequestConfig } from './config.ts';
import { REQUEST_NAMESPACE, SCHEMA, requestTopics } from './events/topics.ts';
import { CatalogView, projectCatalogEvent } from './projections/catalog-view.ts';
import { RequestableEntryView, RequestableVersionView, ShareView, readModelMigrations } from './projections/read-model.ts';
import { projectRequestEvent } from './projections/request-projection.ts';
import { RequestQueries } from './projections/request-queries.ts';

export interface RequestService {
  httpUrl: string;
  grpcAddress: string;
  logger: Logger;
  commands: RequestCommands;
  queries: RequestQueries;
  catalog: CatalogView;
  watcher: DeadlineWatcher;
  relay: OutboxRelay;
  stop(): Promise<void>;
}

/**
 * The request service's composition root: everything is built here from the config, and
 * nothing below reads the environment. `overrides` lets tests pass a controlled clock.
 */
export const startRequestService = async (config: RequestConfig, overrides: { clock?: Clock; logger?: Logger } = {}): Promise<RequestService> => {
  const t = requestTopics(config.PLATFORM_ID);
  const rt = await ServiceRuntime.start(config, {
    ...overrides,
    schema: SCHEMA,
    migrations: readModelMigrations,
    entities: [ShareView, RequestableEntryView, RequestableVersionView],
    // The catalog topic is the catalog service's; it is ensured here (same spec) so this service
    // can start first and subscribe to it.
    topics: [t.events, t.ingest, t.catalog].flatMap((topic) => [{ topic }, { topic: topics.deadLetter(topic) }]),
  });
  const store = rt.aggregateStore(REQUEST_NAMESPACE);
  const catalog = new CatalogView(rt.db);
  const commands = new RequestCommands({
    store, catalog, directory: rt.directory, clock: rt.clock, platform: rt.platform,
    autoGrantUnconditional: config.UNCONDITIONAL_AUTO_GRANT, metrics: rt.metrics, afterCommit: () => rt.relay.notify(),
  });
  const queries = new RequestQueries(rt.db, store, rt.platform);

  rt.consumer('projection', [t.events], async (e) => {
    await projectRequestEvent(rt.db, e);
    rt.failpoints.hit('projection.after-commit', e.envelope.type);
  });
  rt.consumer('catalog-view', [t.catalog], async (e) => {
    await projectCatalogEvent(rt.db, e);
    rt.failpoints.hit('catalog-view.after-commit', e.envelope.type);
  });
  rt.consumer('ingest', [t.ingest], requestIngestHandler({ commands, authenticator: rt.authenticator }));
  await rt.startConsumers();

  const watcher = new DeadlineWatcher({ due: (now) => queries.dueForChecks(now), check: (id) => commands.checkDeadlines(id), clock: rt.clock, logger: rt.logger, intervalMs: config.DEADLINE_SCAN_MS });
  watcher.start();
  rt.onStop('deadline watcher', () => watcher.stop());

  const { httpUrl, grpcAddress } = await rt.serve({
    description: 'Share requests and grants (Regulation on Government Data Sharing, Arts. 20-22, 25, 27-29).',
    routes: requestRoutes({ commands, queries, catalog, registry: rt.registry }),
    grpc: requestGrpcService({ commands, queries, catalog, authenticator: rt.authenticator, logger: rt.logger }),
  });
  rt.logger.info({ autoGrantUnconditional: config.UNCONDITIONAL_AUTO_GRANT }, 'request service configuration');
  return { httpUrl, grpcAddress, logger: rt.logger, commands, queries, catalog, watcher, relay: rt.relay, stop: () => rt.stop() };
};
