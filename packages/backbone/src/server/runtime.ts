import type { FastifyInstance } from 'fastify';
import type grpc from '@grpc/grpc-js';
import type kafkajs from 'kafkajs';
import type { EntitySchema } from '@mikro-orm/postgresql';
import { SchemaRegistry } from '../avro/registry.ts';
import { AggregateCommands } from '../commands/aggregate-commands.ts';
import { commonConfigSpec, key, type ConfigOf } from '../config/config.ts';
import type { Decider, DomainEvent } from '../domain/decider.ts';
import { Directory, loadPlatformFile, loadPlatformSchedules, type PlatformFile } from '../identity/platform.ts';
import { Authenticator } from '../identity/principal.ts';
import { TokenVerifier } from '../identity/token.ts';
import { createKafka, createProducer, ensureTopics, type TopicSpec } from '../kafka/client.ts';
import { EventConsumer, type ConsumedEvent } from '../kafka/consumer.ts';
import { OutboxRelay } from '../kafka/outbox-relay.ts';
import { applyProjection, type Projection } from '../projections/projection.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { AggregateStore } from '../store/event-store.ts';
import { backboneMigrations, migrate, type Migration } from '../store/migrations.ts';
import { createLogger, type Logger } from '../telemetry/logging.ts';
import { createMetrics, type BackboneMetrics } from '../telemetry/metrics.ts';
import { parseFailpoints, type Failpoints } from '../testing/failpoints.ts';
import { COVERAGE_WARNING_DAYS, WorkingCalendar } from '../time/calendar.ts';
import client from 'prom-client';
import { systemClock, type Clock } from '../time/clock.ts';
import { createHttpServer, type Readiness } from './http.ts';
import { startGrpcServer, stopGrpcServer } from './grpc.ts';
import { REPO_ROOT } from './main.ts';

/** The config keys every service has, with defaults found from the repository root. */
export const serviceConfigSpec = (service: string, repoRoot: string = REPO_ROOT) => ({
  ...commonConfigSpec,
  PLATFORM_CONFIG: key({ kind: 'string', default: `${repoRoot}deploy/dev/platform.json`, doc: 'platform file: departments, calendar overrides, token key' }),
  SERVICE_NAME: key({ kind: 'string', default: service, doc: 'service name in logs, traces and metrics' }),
  SCHEMAS_DIR: key({ kind: 'string', default: `${repoRoot}schemas`, doc: 'folder of the .avsc contracts' }),
  CONSUMER_GROUP_PREFIX: key({ kind: 'string', default: service, doc: 'prefix of this service consumer groups' }),
});
export type ServiceConfig = ConfigOf<ReturnType<typeof serviceConfigSpec>>;

export interface RuntimeOptions {
  /** The service's PostgreSQL schema. */
  schema: string;
  /** Read-model migrations after the backbone's (events, outbox, inbox). */
  migrations: Migration[];
  entities: EntitySchema[];
  /** Topics the service writes or reads; created when missing. */
  topics: TopicSpec[];
  clock?: Clock;
  logger?: Logger;
}

/**
 * What every service starts the same way: platform file, directory and authentication,
 * calendar, schemas, metrics, database with migrations, Kafka producer, outbox relay, consumers,
 * the REST and gRPC servers, readiness, and the shutdown order. A service's app.ts adds only its
 * own commands, projections and routes.
 */
export class ServiceRuntime {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly platform: string;
  readonly platformFile: PlatformFile;
  readonly directory: Directory;
  readonly authenticator: Authenticator;
  readonly calendar: WorkingCalendar;
  readonly registry: SchemaRegistry;
  readonly metrics: BackboneMetrics;
  readonly failpoints: Failpoints;
  readonly db: Database;
  readonly kafka: kafkajs.Kafka;
  readonly producer: kafkajs.Producer;
  readonly relay: OutboxRelay;
  readonly #config: ServiceConfig;
  readonly #schema: string;
  readonly #consumers: EventConsumer[] = [];
  readonly #stopHooks: { name: string; run: () => Promise<void> }[] = [];
  readonly #admin: kafkajs.Admin;
  #kafkaReady: { at: number; ok: boolean } = { at: 0, ok: false };
  #http: FastifyInstance | undefined;
  #grpc: grpc.Server | undefined;
  #stopped = false;

  private constructor(config: ServiceConfig, opts: RuntimeOptions, platformFile: PlatformFile, calendar: WorkingCalendar, db: Database, kafka: kafkajs.Kafka, producer: kafkajs.Producer, admin: kafkajs.Admin, logger: Logger) {
    this.#config = config;
    this.#schema = opts.schema;
    this.clock = opts.clock ?? systemClock;
    this.logger = logger;
    this.platform = config.PLATFORM_ID;
    this.platformFile = platformFile;
    this.directory = new Directory(platformFile.departments);
    this.authenticator = new Authenticator(new TokenVerifier(platformFile.auth.tokenPublicKeyPem, this.platform), this.directory, this.clock);
    this.calendar = calendar;
    this.registry = SchemaRegistry.fromDirectory(config.SCHEMAS_DIR);
    this.metrics = createMetrics(config.SERVICE_NAME);
    this.failpoints = parseFailpoints(config.FAILPOINTS);
    this.db = db;
    this.kafka = kafka;
    this.producer = producer;
    this.#admin = admin;
    // Read at each scrape, so an alert fires as the coverage runs out, without a restart.
    new client.Gauge({
      name: 'govmesh_calendar_official_days_ahead',
      help: `days from today to the end of the official holiday schedules (below ${COVERAGE_WARNING_DAYS}: load the next year, docs/operations.md#calendar)`,
      registers: [this.metrics.registry],
      collect() {
        this.set(calendar.officialDaysAhead(opts.clock?.now() ?? new Date()));
      },
    });
    this.relay = new OutboxRelay({ db, schema: opts.schema, producer, logger, metrics: this.metrics, batchSize: config.OUTBOX_BATCH, pollMs: config.OUTBOX_POLL_MS, stuckAfterMs: config.OUTBOX_STUCK_MS, failpoints: this.failpoints });
  }

  static async start(config: ServiceConfig, opts: RuntimeOptions): Promise<ServiceRuntime> {
    const logger = opts.logger ?? createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
    const platformFile = loadPlatformFile(config.PLATFORM_CONFIG);
    // Year schedules are checked before anything connects: a malformed one stops the start, named.
    const calendar = new WorkingCalendar({ holidays: platformFile.calendar?.holidays, workdays: platformFile.calendar?.workdays, schedules: loadPlatformSchedules(platformFile, config.PLATFORM_CONFIG) });
    const db = await openDatabase({ url: config.DATABASE_URL, entities: opts.entities });
    await migrate(db, opts.schema, [...backboneMigrations(opts.schema), ...opts.migrations]);
    const kafka = createKafka({ clientId: `${config.SERVICE_NAME}-${config.PLATFORM_ID}`, brokers: config.KAFKA_BROKERS, logger });
    await ensureTopics(kafka, opts.topics);
    const producer = createProducer(kafka);
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const rt = new ServiceRuntime(config, opts, platformFile, calendar, db, kafka, producer, admin, logger);
    rt.relay.start();
    return rt;
  }

  /** An event-sourced store for one namespace of this service's events. */
  aggregateStore(namespace: string): AggregateStore {
    return new AggregateStore({
      db: this.db,
      schema: this.#schema,
      registry: this.registry,
      namespace,
      source: `/platforms/${this.platform}/services/${this.#config.SERVICE_NAME}`,
      deps: { calendar: this.calendar },
      failpoints: this.failpoints,
    });
  }

  /** The command path of one aggregate type: a store for its namespace, its topic, the relay nudge. */
  aggregateCommands<C extends { kind: string }, E extends DomainEvent, S>(opts: { namespace: string; decider: Decider<C, E, S>; aggregateType: string; topic: string; ingestConsumer: string }): AggregateCommands<C, E, S> {
    const { namespace, ...rest } = opts;
    return new AggregateCommands({ ...rest, store: this.aggregateStore(namespace), platform: this.platform, clock: this.clock, metrics: this.metrics, afterCommit: () => this.relay.notify() });
  }

  /** A projection fed by the consumer group `<prefix>-<name>-<platform>`; failpoint `<name>.after-commit` follows each commit. */
  project<E extends DomainEvent>(name: string, topics: string[], projection: Projection<E>): void {
    this.consumer(name, topics, async (e) => {
      await applyProjection(this.db, this.#schema, projection, e);
      this.failpoints.hit(`${name}.after-commit`, e.envelope.type);
    });
  }

  /** A consumer group `<prefix>-<name>-<platform>`; started by startConsumers, stopped by stop. */
  consumer(name: string, topics: (string | RegExp)[], handle: (e: ConsumedEvent) => Promise<void>, opts: { fromBeginning?: boolean } = {}): EventConsumer {
    const c = new EventConsumer({
      kafka: this.kafka,
      registry: this.registry,
      producer: this.producer,
      logger: this.logger,
      metrics: this.metrics,
      maxAttempts: this.#config.CONSUMER_MAX_ATTEMPTS,
      sessionTimeoutMs: this.#config.CONSUMER_SESSION_TIMEOUT_MS,
      groupId: `${this.#config.CONSUMER_GROUP_PREFIX}-${name}-${this.platform}`,
      topics,
      handle,
      ...(opts.fromBeginning === undefined ? {} : { fromBeginning: opts.fromBeginning }),
    });
    this.#consumers.push(c);
    return c;
  }

  async startConsumers(): Promise<void> {
    for (const c of this.#consumers) await c.start();
  }

  /** Work to stop before the relay drains (watchers, timers). */
  onStop(name: string, run: () => Promise<void>): void {
    this.#stopHooks.push({ name, run });
  }

  /** Starts REST (with health, readiness, metrics, OpenAPI) and gRPC. */
  async serve(api: {
    description: string;
    version?: string;
    routes: (app: FastifyInstance) => Promise<void>;
    grpc: { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation };
  }): Promise<{ httpUrl: string; grpcAddress: string }> {
    const http = await createHttpServer({
      service: this.#config.SERVICE_NAME,
      version: api.version ?? '1.0.0',
      description: api.description,
      logger: this.logger,
      metrics: this.metrics,
      authenticator: this.authenticator,
      readiness: () => this.readiness(),
    });
    await http.register(api.routes);
    const httpUrl = await http.listen({ host: this.#config.HOST, port: this.#config.HTTP_PORT });
    this.#http = http;
    const g = await startGrpcServer(this.#config.HOST, this.#config.GRPC_PORT, (s) => s.addService(api.grpc.definition, api.grpc.implementation));
    this.#grpc = g.server;
    const grpcAddress = `${this.#config.HOST}:${g.port}`;
    this.logger.info({ httpUrl, grpcPort: g.port, platform: this.platform }, `${this.#config.SERVICE_NAME} service started`);
    return { httpUrl, grpcAddress };
  }

  /** Database answers and the Kafka cluster answers (cached for 2 s, so probes stay cheap). */
  async readiness(): Promise<Readiness> {
    const database = await Promise.race([
      this.db.query('select 1').then(() => true, () => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1500).unref()),
    ]);
    if (Date.now() - this.#kafkaReady.at > 2000) {
      const ok = await Promise.race([
        this.#admin.describeCluster().then((c) => c.brokers.length > 0, () => false),
        new Promise<boolean>((r) => setTimeout(() => r(false), 1500).unref()),
      ]);
      this.#kafkaReady = { at: Date.now(), ok };
    }
    const calendar = this.calendar.coverage(this.clock.now()).warning;
    const checks: Record<string, boolean> = { database, kafka: this.#kafkaReady.ok };
    const warnings: Record<string, string> = calendar === null ? {} : { calendar };
    // A failing check's reason is given under the same name among the warnings.
    const relay = this.relay.health();
    checks['relay'] = relay.ok;
    if (relay.reason !== undefined) warnings['relay'] = relay.reason;
    return { checks, warnings };
  }

  /**
   * Graceful stop: no new calls, consumers finish their record and leave their groups, hooks
   * (watchers) finish, the relay drains what is committed, then Kafka and the database close.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#http?.close();
    if (this.#grpc !== undefined) await stopGrpcServer(this.#grpc, this.#config.SHUTDOWN_GRACE_MS);
    // Together: each waits for its fetch in flight and leaves its group.
    await Promise.all(this.#consumers.map((c) => c.stop()));
    for (const h of this.#stopHooks) await h.run();
    // Half the grace period at most: with Kafka down the rest waits in the outbox for the next start.
    await this.relay.stop(this.#config.SHUTDOWN_GRACE_MS / 2);
    await this.#admin.disconnect();
    await this.producer.disconnect();
    await this.db.close();
  }
}
