import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ExchangeEventNamespace } from '@govmesh/contracts/avro';
import { GovError, ServiceRuntime, topics, type Clock, type Logger, type OutboxRelay } from '@govmesh/backbone';
import { exchangeGrpcService } from './api/grpc.ts';
import { exchangeRoutes } from './api/rest.ts';
import { pushRoutes } from './api/push-routes.ts';
import { fileDeliveryRoutes } from './api/file-routes.ts';
import { ExchangeCommands } from './commands/exchange-commands.ts';
import { DeliveryCalls, deliveryCallMigrations } from './commands/delivery-calls.ts';
import { RecordPull } from './commands/record-pull.ts';
import { FileDeliveries, fileDeliveryMigrations } from './commands/file-deliveries.ts';
import type { ExchangeConfig } from './config.ts';
import { datasetDecider } from './domain/dataset.ts';
import { deliveryDecider } from './domain/delivery.ts';
import { shareFileDecider } from './domain/share-file.ts';
import { assertFileDeliveryConfig, fileSigningKey } from './file-delivery-config.ts';
import { BatchPush, pushMigrations, pushSharePlatforms } from './events/batch-push.ts';
import { SCHEMA, exchangeTopics } from './events/topics.ts';
import { EntryCatalog, catalogViewProjection } from './projections/catalog-view.ts';
import { DatasetQueries } from './projections/dataset-queries.ts';
import { EntryVersionView, EntryView, ShareView, readModelMigrations } from './projections/read-model.ts';
import { Shares, shareViewProjection } from './projections/share-view.ts';

export interface ExchangeService {
  httpUrl: string;
  grpcAddress: string;
  logger: Logger;
  commands: ExchangeCommands;
  datasets: DatasetQueries;
  shares: Shares;
  relay: OutboxRelay;
  stop(): Promise<void>;
}

/** The platform secret of the HASH masking rule; a fixed development key when no file is given (logged). */
const maskingKey = (config: ExchangeConfig, logger: Logger): Uint8Array => {
  if (config.MASKING_KEY_FILE === '') {
    logger.warn('MASKING_KEY_FILE is empty: pseudonyms use the development key; set a platform secret in production');
    return createHash('sha256').update('govmesh development masking key').digest();
  }
  const key = readFileSync(config.MASKING_KEY_FILE);
  if (key.length < 32) throw new GovError('GOV_ERR_CONFIG_INVALID', `MASKING_KEY_FILE ${config.MASKING_KEY_FILE} holds ${key.length} bytes: at least 32`);
  return key;
};

/**
 * The exchange service's composition root: everything is built here from the config, and
 * nothing below reads the environment. `overrides` lets tests pass a controlled clock.
 */
export const startExchangeService = async (config: ExchangeConfig, overrides: { clock?: Clock; logger?: Logger } = {}): Promise<ExchangeService> => {
  // Checked before anything connects.
  if (config.MASKING_KEY_FILE === '' && !config.MASKING_DEV_KEY) throw new GovError('GOV_ERR_CONFIG_INVALID', 'MASKING_KEY_FILE is required (MASKING_DEV_KEY=false): the platform secret that keys pseudonyms');
  assertFileDeliveryConfig(config);
  const t = exchangeTopics(config.PLATFORM_ID);
  const rt = await ServiceRuntime.start(config, {
    ...overrides,
    schema: SCHEMA,
    migrations: [...readModelMigrations, ...fileDeliveryMigrations, ...pushMigrations, ...deliveryCallMigrations],
    entities: [EntryView, EntryVersionView, ShareView],
    // The catalog and request topics are those services'; ensured here (same spec) so this service can start first.
    topics: [t.events, t.catalog, t.request].flatMap((topic) => [{ topic }, { topic: topics.deadLetter(topic) }]),
  });
  const key = maskingKey(config, rt.logger);
  // Staging rows of loads a crash interrupted (no read ever sees them); a day old, so another replica's load in progress is left alone.
  await rt.db.query(`delete from ${SCHEMA}.dataset_staging where staged_at < now() - interval '1 day'`);
  const datasetCommands = rt.aggregateCommands({ namespace: ExchangeEventNamespace, decider: datasetDecider, aggregateType: 'Dataset', topic: t.events, ingestConsumer: 'exchange-ingest' });
  const deliveries = rt.aggregateCommands({ namespace: ExchangeEventNamespace, decider: deliveryDecider, aggregateType: 'ShareDelivery', topic: t.events, ingestConsumer: 'exchange-ingest' });
  const catalog = new EntryCatalog(rt.db);
  const shares = new Shares(rt.db);
  const commands = new ExchangeCommands({ db: rt.db, datasets: datasetCommands, deliveries, catalog, shares, failpoints: rt.failpoints });
  const datasets = new DatasetQueries(rt.db, datasetCommands.store, catalog);
  const fileCommands = rt.aggregateCommands({ namespace: ExchangeEventNamespace, decider: shareFileDecider, aggregateType: 'ShareFile', topic: t.events, ingestConsumer: 'exchange-ingest' });
  const files = new FileDeliveries({ db: rt.db, commands, files: fileCommands, datasets, catalog, clock: rt.clock, maskingKey: key, signingKey: fileSigningKey(config, rt.logger), platform: rt.platform, dir: config.FILES_DIR, linkTtlSeconds: config.FILE_LINK_TTL_S });

  const calls = new DeliveryCalls(rt.db, { callsPerMinute: config.DELIVERY_CALLS_PER_MINUTE, recordsPerDay: config.DELIVERY_RECORDS_PER_DAY });
  const pull = new RecordPull({ commands, datasets, catalog, calls, clock: rt.clock, maskingKey: key });
  const push = new BatchPush({
    db: rt.db, kafka: rt.kafka, producer: rt.producer, platform: rt.platform, directory: rt.directory, commands, shares, datasets, catalog, maskingKey: key,
    clock: rt.clock, logger: rt.logger, registry: rt.metrics.registry, batchSize: config.PUSH_BATCH, pollMs: config.PUSH_POLL_MS, stuckAfterMs: config.PUSH_STUCK_MS, failpoints: rt.failpoints,
  });
  rt.addCheck('push', () => push.health());
  rt.onStop('batch push', () => push.stop());

  rt.project('catalog-view', [t.catalog], catalogViewProjection);
  rt.project('share-view', [t.request], shareViewProjection);
  rt.project('push-share-platforms', [t.request], pushSharePlatforms);
  await rt.startConsumers();

  const { httpUrl, grpcAddress } = await rt.serve({
    description: 'The data plane: datasets behind published catalog entries, delivered to approved shares only (Regulation on Government Data Sharing, Arts. 22, 25, 27, 34-35).',
    routes: async (app) => {
      await exchangeRoutes({ commands, datasets, catalog, shares, calls, pull, clock: rt.clock, maskingKey: key, uploadMaxBytes: config.UPLOAD_MAX_BYTES })(app);
      await fileDeliveryRoutes({ files })(app);
      await pushRoutes({ platform: rt.platform, catalog, shares, maskingKey: key })(app);
    },
    grpc: exchangeGrpcService({ datasets, shares, pull, edge: rt.grpcEdgeDeps }),
  });
  push.start();
  return { httpUrl, grpcAddress, logger: rt.logger, commands, datasets, shares, relay: rt.relay, stop: () => rt.stop() };
};
