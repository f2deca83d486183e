import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type grpc from '@grpc/grpc-js';
import type kafkajs from 'kafkajs';
import type { EntitySchema } from '@mikro-orm/postgresql';
import { SchemaRegistry } from '../avro/registry.ts';
import { AggregateCommands } from '../commands/aggregate-commands.ts';
import { commonConfigSpec, key, type ConfigOf } from '../config/config.ts';
import type { Decider, DomainEvent } from '../domain/decider.ts';
import { Directory, loadPlatformFile, loadPlatformSchedules, tokenKeys, type Department, type PlatformFile, type Role } from '../identity/platform.ts';
import { Authenticator } from '../identity/principal.ts';
import { TokenVerifier } from '../identity/token.ts';
import { createKafka, createProducer, ensureTopics, topics, type TopicSpec } from '../kafka/client.ts';
import { topicTail } from '../kafka/topic-tail.ts';
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
import { serveStandardServices, startGrpcServer, stopGrpcServer, type GrpcEdgeDeps } from './grpc.ts';
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
  /** Consumers that feed a read model: a dead letter there means the read model misses an event. */
  readonly #projections = new Map<string, EventConsumer>();
  /** Consumer groups whose lag is measured (every consumer's, and e.g. the audit ledger's). */
  readonly #lagWatches: { group: string; topics: () => (string | RegExp)[] }[] = [];
  readonly #checks = new Map<string, () => { ok: boolean; reason?: string }>();
  #lag: { at: number; byGroup: Map<string, Map<string, number>>; refreshing?: Promise<void> } = { at: 0, byGroup: new Map() };
  readonly #stopHooks: { name: string; run: () => Promise<void> }[] = [];
  readonly #admin: kafkajs.Admin;
  #kafkaReady: { at: number; ok: boolean } = { at: 0, ok: false };
  #http: FastifyInstance | undefined;
  #grpc: grpc.Server | undefined;
  #grpcHealth: { stop(): void } | undefined;
  #stopped = false;

  private constructor(config: ServiceConfig, opts: RuntimeOptions, platformFile: PlatformFile, calendar: WorkingCalendar, db: Database, kafka: kafkajs.Kafka, producer: kafkajs.Producer, admin: kafkajs.Admin, logger: Logger) {
    this.#config = config;
    this.#schema = opts.schema;
    this.clock = opts.clock ?? systemClock;
    this.logger = logger;
    this.platform = config.PLATFORM_ID;
    this.platformFile = platformFile;
    this.directory = new Directory(platformFile.departments);
    // Token times (exp, iat, nbf) are real time, checked on the machine's clock: the business clock
    // is the one tests move to count deadlines (issue 13, defect 9).
    this.authenticator = new Authenticator(new TokenVerifier(tokenKeys(platformFile), this.platform, { maxLifetimeSeconds: config.TOKEN_MAX_LIFETIME_S, skewSeconds: config.TOKEN_CLOCK_SKEW_S }), this.directory, systemClock);
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
    const refreshLag = () => this.#refreshLag();
    const lagByGroup = () => this.#lag.byGroup;
    new client.Gauge({
      name: 'govmesh_consumer_lag',
      help: 'records a consumer group has not processed yet (committed offset to end of log), by group and topic; the audit ledger group is the ledger lag',
      labelNames: ['group', 'topic'],
      registers: [this.metrics.registry],
      async collect() {
        await refreshLag();
        this.reset();
        for (const [group, topics] of lagByGroup()) for (const [topic, lag] of topics) this.set({ group, topic }, lag);
      },
    });
    this.relay = new OutboxRelay({ db, schema: opts.schema, producer, tail: topicTail(kafka), logger, metrics: this.metrics, batchSize: config.OUTBOX_BATCH, pollMs: config.OUTBOX_POLL_MS, stuckAfterMs: config.OUTBOX_STUCK_MS, failpoints: this.failpoints });
  }

  static async start(config: ServiceConfig, opts: RuntimeOptions): Promise<ServiceRuntime> {
    const logger = opts.logger ?? createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
    const platformFile = loadPlatformFile(config.PLATFORM_CONFIG);
    // Year schedules are checked before anything connects: a malformed one stops the start, named.
    const calendar = new WorkingCalendar({ holidays: platformFile.calendar?.holidays, workdays: platformFile.calendar?.workdays, schedules: loadPlatformSchedules(platformFile, config.PLATFORM_CONFIG) });
    const db = await openDatabase({ url: config.DATABASE_URL, entities: opts.entities });
    await migrate(db, opts.schema, [...backboneMigrations(opts.schema), ...opts.migrations]);
    const kafka = createKafka({ clientId: `${config.SERVICE_NAME}-${config.PLATFORM_ID}`, brokers: config.KAFKA_BROKERS, logger });
    // Every service follows the directory's events (below); the topic exists before anyone reads it.
    const directoryTopic = topics.events(config.PLATFORM_ID, 'directory');
    await ensureTopics(kafka, opts.topics.some((t) => t.topic === directoryTopic) ? opts.topics : [...opts.topics, { topic: directoryTopic }]);
    const producer = createProducer(kafka);
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const rt = new ServiceRuntime(config, opts, platformFile, calendar, db, kafka, producer, admin, logger);
    rt.relay.start();
    rt.#followDirectory(directoryTopic);
    return rt;
  }

  /**
   * The directory is the platform file's at start, then follows `<platform>.directory.events`
   * (issue 13, defect 9): a department removed or whose roles changed is refused at once, with no
   * restart. Each instance reads the whole topic (a consumer group of its own, from the
   * beginning: the topic is small), since every replica needs every department.
   */
  #followDirectory(topic: string): void {
    const apply = (e: ConsumedEvent): void => {
      const v = e.decoded.value as { departmentId?: string; platform?: string; name?: string; level?: string; regionCode?: string; roles?: string[] };
      if (v.platform !== this.platform || v.departmentId === undefined) return;
      const type = e.envelope.type.split('.').pop();
      if (type === 'DepartmentRemoved') this.directory.remove(v.departmentId);
      else if (type === 'DepartmentRegistered' || type === 'DepartmentUpdated') {
        this.directory.put({ id: v.departmentId, name: v.name ?? '', platform: v.platform, level: v.level as Department['level'], regionCode: v.regionCode ?? '', roles: (v.roles ?? []) as Role[] });
      }
    };
    this.consumer(`directory-${randomUUID().slice(0, 8)}`, [topic], async (e) => apply(e), { fromBeginning: true });
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
    this.#projections.set(name, this.consumer(name, topics, async (e) => {
      await applyProjection(this.db, this.#schema, projection, e);
      this.failpoints.hit(`${name}.after-commit`, e.envelope.type);
    }));
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
    this.watchLag(c.groupId, () => [...c.topics]);
    return c;
  }

  /** What the service's gRPC edge needs (grpcEdge): authentication, logs, the idempotency table. */
  get grpcEdgeDeps(): GrpcEdgeDeps {
    return { authenticator: this.authenticator, logger: this.logger, idempotency: { db: this.db, schema: this.#schema } };
  }

  /** A readiness check of the service's own (e.g. the audit ledger's writer lock); its reason is shown under warnings. */
  addCheck(name: string, check: () => { ok: boolean; reason?: string }): void {
    this.#checks.set(name, check);
  }

  /** Measures a consumer group's lag (metric govmesh_consumer_lag, readiness check lag), e.g. the audit ledger's. */
  watchLag(group: string, topics: () => (string | RegExp)[]): void {
    this.#lagWatches.push({ group, topics });
  }

  /** Every group's lag per topic, asked of Kafka at most every 5 s and for at most 2 s (Kafka down: the last answer stays). */
  async #refreshLag(): Promise<void> {
    if (Date.now() - this.#lag.at < 5000) return;
    this.#lag.refreshing ??= (async () => {
      const measure = async () => {
        const all = await this.#admin.listTopics();
        const byGroup = new Map<string, Map<string, number>>();
        const ends = new Map<string, Map<number, { high: number; low: number }>>();
        for (const w of this.#lagWatches) {
          const topics = [...new Set(w.topics().flatMap((t) => (typeof t === 'string' ? [t] : all.filter((x) => t.test(x)))))].filter((t) => all.includes(t));
          if (topics.length === 0) continue;
          for (const t of topics) {
            if (!ends.has(t)) ends.set(t, new Map((await this.#admin.fetchTopicOffsets(t)).map((o) => [o.partition, { high: Number(o.high), low: Number(o.low) }])));
          }
          const committed = await this.#admin.fetchOffsets({ groupId: w.group, topics });
          const perTopic = new Map<string, number>();
          for (const { topic, partitions } of committed) {
            let lag = 0;
            for (const p of partitions) {
              const end = ends.get(topic)?.get(p.partition);
              if (end === undefined) continue;
              const at = Number(p.offset) < 0 ? end.low : Number(p.offset);
              lag += Math.max(0, end.high - at);
            }
            perTopic.set(topic, lag);
          }
          byGroup.set(w.group, perTopic);
        }
        this.#lag = { at: Date.now(), byGroup };
      };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([measure(), new Promise<void>((r) => (timer = setTimeout(r, 2000)))])
        .catch((err: unknown) => this.logger.debug({ err }, 'consumer lag not measured'))
        .finally(() => clearTimeout(timer));
    })().finally(() => (this.#lag.refreshing = undefined));
    await this.#lag.refreshing;
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
      commands: { db: this.db, schema: this.#schema },
    });
    await http.register(api.routes);
    const httpUrl = await http.listen({ host: this.#config.HOST, port: this.#config.HTTP_PORT });
    this.#http = http;
    // grpc.health.v1.Health is SERVING exactly when /readyz is 200; reflection serves the .proto files.
    const g = await startGrpcServer(this.#config.HOST, this.#config.GRPC_PORT, (s) => {
      s.addService(api.grpc.definition, api.grpc.implementation);
      this.#grpcHealth = serveStandardServices(s, { definition: api.grpc.definition, protoRoot: `${REPO_ROOT}proto`, ready: async () => Object.values((await this.readiness()).checks).every(Boolean) });
    });
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
    // A projection that dead-lettered a record serves a read model without it: not ready until an
    // operator redelivers the dead letter and the projection handles it (or restarts the service;
    // docs/operations.md#dead-letters).
    const dead = [...this.#projections].filter(([, c]) => c.deadLetters.unhealed > 0);
    checks['projections'] = dead.length === 0;
    if (dead.length > 0) {
      warnings['projections'] = dead
        .map(([name, c]) => `projection ${name} dead-lettered ${c.deadLetters.unhealed} record(s) not yet redelivered, the last ${c.deadLetters.last?.topic}/${c.deadLetters.last?.partition}@${c.deadLetters.last?.offset} (${c.deadLetters.last?.code}) at ${c.deadLetters.last?.at}: its read model misses them`)
        .join('; ');
    }
    for (const [name, check] of this.#checks) {
      const c = check();
      checks[name] = c.ok;
      if (c.reason !== undefined) warnings[name] = c.reason;
    }
    // The last measure (at most 5 s old once probes come regularly): a probe never waits for Kafka here.
    void this.#refreshLag();
    const max = this.#config.CONSUMER_LAG_MAX;
    const behind = [...this.#lag.byGroup].map(([group, topics]) => ({ group, lag: [...topics.values()].reduce((n, x) => n + x, 0) })).filter((g) => g.lag > max);
    checks['lag'] = behind.length === 0;
    if (behind.length > 0) warnings['lag'] = behind.map((g) => `consumer group ${g.group} lags ${g.lag} records (CONSUMER_LAG_MAX ${max})`).join('; ');
    return { checks, warnings };
  }

  /**
   * Graceful stop: no new calls, consumers finish their record and leave their groups, hooks
   * (watchers) finish, the relay drains what is committed, then Kafka and the database close.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Each step runs even when one before it failed (e.g. the database is down), so the others
    // still close; a failure is logged, not thrown.
    const step = async (name: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        this.logger.warn({ err, step: name }, 'stop step failed; going on');
      }
    };
    this.#grpcHealth?.stop();
    await step('http', async () => this.#http?.close());
    await step('grpc', async () => (this.#grpc === undefined ? undefined : stopGrpcServer(this.#grpc, this.#config.SHUTDOWN_GRACE_MS)));
    // Together: each waits for its fetch in flight and leaves its group.
    await Promise.all(this.#consumers.map((c) => step(`consumer ${c.groupId}`, () => c.stop())));
    for (const h of this.#stopHooks) await step(h.name, h.run);
    // Half the grace period at most: with Kafka down the rest waits in the outbox for the next start.
    await step('outbox relay', () => this.relay.stop(this.#config.SHUTDOWN_GRACE_MS / 2));
    await step('kafka admin', () => this.#admin.disconnect());
    await step('kafka producer', () => this.producer.disconnect());
    await step('database', () => this.db.close());
  }

}
