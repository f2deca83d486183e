import {
  AggregateStore, Authenticator, Directory, EventConsumer, OutboxRelay, SchemaRegistry, TokenVerifier, WorkingCalendar,
  backboneMigrations, createHttpServer, createKafka, createLogger, createMetrics, createProducer, ensureTopics, loadPlatformFile,
  migrate, openDatabase, parseFailpoints, startGrpcServer, stopGrpcServer, systemClock, topics,
  DeadlineWatcher, type Clock, type Logger,
} from '@govmesh/backbone';
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
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const platformFile = loadPlatformFile(config.PLATFORM_CONFIG);
  const platform = config.PLATFORM_ID;
  const directory = new Directory(platformFile.departments);
  const authenticator = new Authenticator(new TokenVerifier(platformFile.auth.tokenPublicKeyPem, platform), directory, clock);
  const calendar = new WorkingCalendar(platformFile.calendar);
  const registry = SchemaRegistry.fromDirectory(config.SCHEMAS_DIR);
  const metrics = createMetrics(config.SERVICE_NAME);
  const t = requestTopics(platform);
  const failpoints = parseFailpoints(config.FAILPOINTS);

  const db = await openDatabase({ url: config.DATABASE_URL, entities: [ShareView, RequestableEntryView, RequestableVersionView] });
  await migrate(db, SCHEMA, [...backboneMigrations(SCHEMA), ...readModelMigrations]);

  const kafka = createKafka({ clientId: `${config.SERVICE_NAME}-${platform}`, brokers: config.KAFKA_BROKERS, logger });
  // The catalog topic is the catalog service's; it is ensured here (same spec) so this service can
  // start first and subscribe to it.
  await ensureTopics(kafka, [
    { topic: t.events },
    { topic: t.ingest },
    { topic: t.catalog },
    { topic: topics.deadLetter(t.events) },
    { topic: topics.deadLetter(t.ingest) },
    { topic: topics.deadLetter(t.catalog) },
  ]);
  const producer = createProducer(kafka);
  await producer.connect();

  const source = `/platforms/${platform}/services/request`;
  const store = new AggregateStore({ db, schema: SCHEMA, registry, namespace: REQUEST_NAMESPACE, source, deps: { calendar }, failpoints });
  const relay = new OutboxRelay({ db, schema: SCHEMA, producer, logger, metrics, batchSize: config.OUTBOX_BATCH, pollMs: config.OUTBOX_POLL_MS, failpoints });
  const catalog = new CatalogView(db);
  const commands = new RequestCommands({ store, catalog, directory, clock, platform, autoGrantUnconditional: config.UNCONDITIONAL_AUTO_GRANT, metrics, afterCommit: () => relay.notify() });
  const queries = new RequestQueries(db, store, platform);
  relay.start();

  const consumerBase = { kafka, registry, producer, logger, metrics, maxAttempts: config.CONSUMER_MAX_ATTEMPTS };
  const projection = new EventConsumer({ ...consumerBase, groupId: `${config.CONSUMER_GROUP_PREFIX}-projection-${platform}`, topics: [t.events], handle: async (e) => {
      await projectRequestEvent(db, e);
      failpoints.hit('projection.after-commit', e.envelope.type);
    } });
  const catalogView = new EventConsumer({ ...consumerBase, groupId: `${config.CONSUMER_GROUP_PREFIX}-catalog-view-${platform}`, topics: [t.catalog], handle: async (e) => {
      await projectCatalogEvent(db, e);
      failpoints.hit('catalog-view.after-commit', e.envelope.type);
    } });
  const ingest = new EventConsumer({ ...consumerBase, groupId: `${config.CONSUMER_GROUP_PREFIX}-ingest-${platform}`, topics: [t.ingest], handle: requestIngestHandler({ commands, authenticator }) });
  await projection.start();
  await catalogView.start();
  await ingest.start();

  const watcher = new DeadlineWatcher({ due: (now) => queries.dueForChecks(now), check: (id) => commands.checkDeadlines(id), clock, logger, intervalMs: config.DEADLINE_SCAN_MS });
  watcher.start();

  const http = await createHttpServer({
    service: 'request',
    version: '1.0.0',
    description: 'Share requests and grants (Regulation on Government Data Sharing, Arts. 20-22, 25, 27-29).',
    logger,
    metrics,
    authenticator,
    readiness: async () => {
      const dbOk = await db.query('select 1').then(() => true, () => false);
      return { database: dbOk, kafka: true };
    },
  });
  await http.register(requestRoutes({ commands, queries, catalog, registry }));
  const httpUrl = await http.listen({ host: config.HOST, port: config.HTTP_PORT });
  const grpcService = requestGrpcService({ commands, queries, catalog, authenticator, logger });
  const grpc = await startGrpcServer(config.HOST, config.GRPC_PORT, (s) => s.addService(grpcService.definition, grpcService.implementation));
  logger.info({ httpUrl, grpcPort: grpc.port, platform, autoGrantUnconditional: config.UNCONDITIONAL_AUTO_GRANT }, 'request service started');

  let stopped = false;
  return {
    httpUrl,
    grpcAddress: `${config.HOST}:${grpc.port}`,
    logger,
    commands,
    queries,
    catalog,
    watcher,
    relay,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await http.close();
      await stopGrpcServer(grpc.server, config.SHUTDOWN_GRACE_MS);
      await ingest.stop();
      await watcher.stop();
      await relay.stop();
      await projection.stop();
      await catalogView.stop();
      await producer.disconnect();
      await db.close();
    },
  };
};
