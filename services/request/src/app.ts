import { RequestEventNamespace } from '@govmesh/contracts/avro';
import { DeadlineWatcher, ServiceRuntime, topics, type Clock, type Logger, type OutboxRelay } from '@govmesh/backbone';
import { requestGrpcService } from './api/grpc.ts';
import { exchangeDeliveryHandler } from './api/exchange-deliveries.ts';
import { requestIngestHandler } from './api/ingest.ts';
import { requestRoutes } from './api/rest.ts';
import { RequestCommands } from './commands/request-commands.ts';
import type { RequestConfig } from './config.ts';
import { shareRequestDecider } from './domain/share-request.ts';
import { SCHEMA, requestTopics } from './events/topics.ts';
import { CatalogView, catalogViewProjection } from './projections/catalog-view.ts';
import { RequestableEntryView, RequestableVersionView, ShareView, readModelMigrations } from './projections/read-model.ts';
import { requestProjection } from './projections/request-projection.ts';
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
    // The catalog and exchange topics are those services'; they are ensured here (same spec) so
    // this service can start first and subscribe to them.
    topics: [t.events, t.ingest, t.catalog, t.exchange].flatMap((topic) => [{ topic }, { topic: topics.deadLetter(topic) }]),
  });
  const shares = rt.aggregateCommands({ namespace: RequestEventNamespace, decider: shareRequestDecider, aggregateType: 'ShareRequest', topic: t.events, ingestConsumer: 'request-ingest' });
  const catalog = new CatalogView(rt.db);
  const commands = new RequestCommands({ shares, catalog, directory: rt.directory, autoGrantUnconditional: config.UNCONDITIONAL_AUTO_GRANT });
  const queries = new RequestQueries(rt.db, shares.store, rt.platform);

  rt.project('projection', [t.events], requestProjection);
  rt.project('catalog-view', [t.catalog], catalogViewProjection);
  rt.consumer('ingest', [t.ingest], requestIngestHandler({ commands, authenticator: rt.authenticator }));
  rt.consumer('exchange-deliveries', [t.exchange], exchangeDeliveryHandler({ commands, platform: rt.platform }));
  await rt.startConsumers();

  const watcher = new DeadlineWatcher({ due: (now) => queries.dueForChecks(now), provisional: () => queries.withProvisionalDeadlines(), check: (id) => commands.checkDeadlines(id), clock: rt.clock, logger: rt.logger, intervalMs: config.DEADLINE_SCAN_MS });
  watcher.start();
  rt.onStop('deadline watcher', () => watcher.stop());

  const { httpUrl, grpcAddress } = await rt.serve({
    description: 'Share requests and grants (Regulation on Government Data Sharing, Arts. 20-22, 25, 27-29).',
    routes: requestRoutes({ commands, queries, catalog, registry: rt.registry }),
    grpc: requestGrpcService({ commands, queries, catalog, edge: rt.grpcEdgeDeps }),
  });
  rt.logger.info({ autoGrantUnconditional: config.UNCONDITIONAL_AUTO_GRANT }, 'request service configuration');
  return { httpUrl, grpcAddress, logger: rt.logger, commands, queries, catalog, watcher, relay: rt.relay, stop: () => rt.stop() };
};
