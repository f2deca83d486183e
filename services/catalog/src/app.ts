import {
  AggregateStore, Authenticator, Directory, EventConsumer, OutboxRelay, SchemaRegistry, TokenVerifier, WorkingCalendar,
  backboneMigrations, createHttpServer, createKafka, createLogger, createMetrics, createProducer, ensureTopics, loadPlatformFile,
  migrate, openDatabase, parseFailpoints, startGrpcServer, stopGrpcServer, systemClock, topics, asGovError,
  DeadlineWatcher, type Clock, type Logger,
} from '@govmesh/backbone';
import type { DirectoryEvent } from '@govmesh/contracts/avro';
import { catalogGrpcService } from './api/grpc.ts';
import { catalogIngestHandler } from './api/ingest.ts';
import { catalogRoutes } from './api/rest.ts';
import { CatalogCommands } from './commands/catalog-commands.ts';
import type { CatalogConfig } from './config.ts';
import { departmentDecider } from './domain/department.ts';
import { CATALOG_NAMESPACE, DIRECTORY_NAMESPACE, SCHEMA, catalogTopics } from './events/topics.ts';
import { CatalogQueries } from './projections/catalog-queries.ts';
import { projectCatalogEvent } from './projections/catalog-projection.ts';
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
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const platformFile = loadPlatformFile(config.PLATFORM_CONFIG);
  const platform = config.PLATFORM_ID;
  const directory = new Directory(platformFile.departments);
  const authenticator = new Authenticator(new TokenVerifier(platformFile.auth.tokenPublicKeyPem, platform), directory, clock);
  const calendar = new WorkingCalendar(platformFile.calendar);
  const registry = SchemaRegistry.fromDirectory(config.SCHEMAS_DIR);
  const metrics = createMetrics(config.SERVICE_NAME);
  const t = catalogTopics(platform);
  const failpoints = parseFailpoints(config.FAILPOINTS);

  const db = await openDatabase({ url: config.DATABASE_URL, entities: [CatalogEntryView, CatalogEntryVersionView] });
  await migrate(db, SCHEMA, [...backboneMigrations(SCHEMA), ...readModelMigrations]);

  const kafka = createKafka({ clientId: `${config.SERVICE_NAME}-${platform}`, brokers: config.KAFKA_BROKERS, logger });
  await ensureTopics(kafka, [
    { topic: t.events },
    { topic: t.directory },
    { topic: t.ingest },
    { topic: topics.deadLetter(t.events) },
    { topic: topics.deadLetter(t.ingest) },
  ]);
  const producer = createProducer(kafka);
  await producer.connect();

  const source = `/platforms/${platform}/services/catalog`;
  const store = new AggregateStore({ db, schema: SCHEMA, registry, namespace: CATALOG_NAMESPACE, source, deps: { calendar }, failpoints });
  const directoryStore = new AggregateStore({ db, schema: SCHEMA, registry, namespace: DIRECTORY_NAMESPACE, source, deps: { calendar } });
  const relay = new OutboxRelay({ db, schema: SCHEMA, producer, logger, metrics, batchSize: config.OUTBOX_BATCH, pollMs: config.OUTBOX_POLL_MS, failpoints });
  const commands = new CatalogCommands({ store, clock, platform, metrics, afterCommit: () => relay.notify() });
  const queries = new CatalogQueries(db, store, platform);
  relay.start();

  // The directory from the platform file becomes events; unchanged departments publish nothing.
  for (const department of platformFile.departments) {
    try {
      await directoryStore.handle<{ kind: 'SyncDepartment'; department: typeof department }, DirectoryEvent, ReturnType<typeof departmentDecider.initialState>>({
        decider: departmentDecider,
        aggregateType: 'Department',
        aggregateId: `department:${department.id}`,
        command: { kind: 'SyncDepartment', department },
        ctx: { actor: `system:${platform}:directory`, at: clock.now(), commandId: `directory-sync:${department.id}` },
        topic: t.directory,
      });
    } catch (err) {
      if (asGovError(err).code !== 'GOV_ERR_CONCURRENCY_CONFLICT') throw err;
    }
  }
  relay.notify();

  const consumerBase = { kafka, registry, producer, logger, metrics, maxAttempts: config.CONSUMER_MAX_ATTEMPTS, sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS };
  const projection = new EventConsumer({ ...consumerBase, groupId: `${config.CONSUMER_GROUP_PREFIX}-projection-${platform}`, topics: [t.events], handle: async (e) => {
      await projectCatalogEvent(db, e);
      failpoints.hit('projection.after-commit', e.envelope.type);
    } });
  const ingest = new EventConsumer({ ...consumerBase, groupId: `${config.CONSUMER_GROUP_PREFIX}-ingest-${platform}`, topics: [t.ingest], handle: catalogIngestHandler({ commands, authenticator, store }) });
  await projection.start();
  await ingest.start();

  const watcher = new DeadlineWatcher({ due: (now) => queries.dueForFlagging(now), check: (id) => commands.flagOverdue(id), clock, logger, intervalMs: config.DEADLINE_SCAN_MS });
  watcher.start();

  const http = await createHttpServer({
    service: 'catalog',
    version: '1.0.0',
    description: 'The unified catalog of government data (Regulation on Government Data Sharing, Arts. 12-17).',
    logger,
    metrics,
    authenticator,
    readiness: async () => {
      const dbOk = await db.query('select 1').then(() => true, () => false);
      return { database: dbOk, kafka: true };
    },
  });
  await http.register(catalogRoutes({ commands, queries, registry }));
  const httpUrl = await http.listen({ host: config.HOST, port: config.HTTP_PORT });
  const grpcService = catalogGrpcService({ commands, queries, authenticator, logger });
  const grpc = await startGrpcServer(config.HOST, config.GRPC_PORT, (s) => s.addService(grpcService.definition, grpcService.implementation));
  logger.info({ httpUrl, grpcPort: grpc.port, platform }, 'catalog service started');

  let stopped = false;
  return {
    httpUrl,
    grpcAddress: `${config.HOST}:${grpc.port}`,
    logger,
    commands,
    queries,
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
      await producer.disconnect();
      await db.close();
    },
  };
};
