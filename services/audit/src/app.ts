import { ServiceRuntime, type Clock, type Logger } from '@govmesh/backbone';
import { cosignerFromSeed, parseVkey, verifierFromVkey } from '@govmesh/ledger';
import { auditGrpcService } from './api/grpc.ts';
import { registerLedgerMetrics } from './ledger/metrics.ts';
import { auditRoutes } from './api/rest.ts';
import { ledgerOrigin, signingKeyFile, witnessName, type AuditConfig } from './config.ts';
import { auditTopics, eventTopicPattern } from './events/topics.ts';
import { Checkpointer } from './ledger/checkpointer.ts';
import { LedgerIngest } from './ledger/ingest.ts';
import { loadLogSigner, loadSeedFile } from './ledger/keys.ts';
import { Leadership } from './ledger/leadership.ts';
import { Ledger } from './ledger/ledger.ts';
import { grantRuntimeRole, ledgerMigrations } from './ledger/migrations.ts';
import { AuditQueries } from './ledger/queries.ts';
import { LedgerStore } from './ledger/store.ts';
import { WitnessService } from './ledger/witnessing.ts';

export interface AuditService {
  httpUrl: string;
  grpcAddress: string;
  logger: Logger;
  origin: string;
  vkey: string;
  schema: string;
  ledger: Ledger;
  ingest: LedgerIngest;
  checkpointer: Checkpointer;
  queries: AuditQueries;
  witness: WitnessService | undefined;
  stop(): Promise<void>;
}

/**
 * The audit service's composition root: everything is built here from the config, and nothing
 * below reads the environment. The instance first takes the ledger's writer lock (one writer per
 * ledger schema), then restores the tree, checks it against its last checkpoint, and only then
 * consumes, signs and serves. A start that fails half-way closes what it opened.
 */
export const startAuditService = async (
  config: AuditConfig,
  overrides: { clock?: Clock; logger?: Logger; onLeadershipLost?: (err: unknown) => void } = {},
): Promise<AuditService> => {
  const schema = config.AUDIT_DB_SCHEMA;
  const origin = ledgerOrigin(config);
  const t = auditTopics(config.PLATFORM_ID);
  const rt = await ServiceRuntime.start(config, {
    ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
    ...(overrides.logger === undefined ? {} : { logger: overrides.logger }),
    schema,
    migrations: ledgerMigrations(schema),
    entities: [],
    // Audit topics are kept forever (retention.ms = -1), like every event topic (REC-01).
    topics: [
      { topic: t.checkpoints, partitions: 1, retentionMs: -1 },
      { topic: t.events, retentionMs: -1 },
    ],
  });
  let leadership: Leadership | undefined;
  try {
    const signer = loadLogSigner(signingKeyFile(config), origin, config.LEDGER_DEV_KEY, rt.logger);
    if (config.AUDIT_DB_APP_ROLE !== '') await grantRuntimeRole(rt.db, schema, config.AUDIT_DB_APP_ROLE);
    // The writer lock lives in a database session: a database outage ends it. The service stays up
    // (not ready, appending nothing), takes the lock again with back-off once the database answers,
    // and goes on, unless the ledger grew meanwhile under another instance: then it restarts (exit
    // 70) to load that ledger instead of writing a diverging one.
    let writer = true;
    let stopping = false;
    let opened = false;
    let lostAt: string | undefined;
    const regain = (err: unknown) => {
      if (!writer || stopping || !opened) return;
      writer = false;
      lostAt = new Date().toISOString();
      rt.logger.error({ err }, 'lost the ledger writer lock (its database session ended): not ready, appending nothing; taking it again when the database answers');
      void (async () => {
        for (let wait = 500; !stopping; wait = Math.min(wait * 2, 5000)) {
          try {
            const again = await Leadership.acquire(rt.db, schema, rt.logger, regain);
            const [head] = await rt.db.query<{ n: string }>(`select coalesce(max(idx) + 1, 0)::text as n from ${schema}.entries`);
            if (Number(head?.n) !== ledger.size) {
              rt.logger.fatal({ inDatabase: head?.n, inMemory: ledger.size }, 'the ledger grew under another writer while the lock was lost: restarting to load it');
              process.exit(70);
            }
            leadership = again;
            writer = true;
            lostAt = undefined;
            rt.logger.info('ledger writer lock taken again: appending');
            return;
          } catch {
            await new Promise((r) => setTimeout(r, wait));
          }
        }
      })();
    };
    leadership = await Leadership.acquire(rt.db, schema, rt.logger, overrides.onLeadershipLost ?? regain);
    rt.addCheck('ledger', () => (writer ? { ok: true } : { ok: false, reason: `the ledger writer lock was lost at ${lostAt} (database session ended); appending resumes once it is taken again` }));

    const store = new LedgerStore(rt.db, schema);
    const ledger = await Ledger.open(store, { platform: rt.platform, registry: rt.registry, failpoints: rt.failpoints, logger: rt.logger });
    opened = true;
    const checkpointer = new Checkpointer({
      ledger, signer, origin, platform: rt.platform, registry: rt.registry, relay: rt.relay, topic: t.checkpoints, intervalMs: config.CHECKPOINT_INTERVAL_MS, logger: rt.logger,
      witnesses: config.WITNESS_VKEYS.map((v) => verifierFromVkey(v)),
    });
    await checkpointer.init();
    registerLedgerMetrics(rt.metrics.registry, ledger, checkpointer, () => new Date());
    const ingest = new LedgerIngest({
      kafka: rt.kafka, ledger, pattern: eventTopicPattern(rt.platform), groupId: `${config.CONSUMER_GROUP_PREFIX}-ledger-${rt.platform}`,
      settleMs: config.LEDGER_SETTLE_MS, tickMs: config.LEDGER_TICK_MS, batchMax: config.LEDGER_BATCH_MAX, pendingMax: config.LEDGER_PENDING_MAX,
      rescanMs: config.TOPIC_RESCAN_MS, sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS, logger: rt.logger, metrics: rt.metrics, onAppended: () => checkpointer.notify(),
      canWrite: () => writer,
    });
    // Ledger lag: the group commits its offsets after each ledger commit.
    rt.watchLag(`${config.CONSUMER_GROUP_PREFIX}-ledger-${rt.platform}`, () => ingest.topics);
    const queries = new AuditQueries({ ledger, checkpointer, registry: rt.registry });
    const witness =
      config.WITNESS_KEY_FILE === ''
        ? undefined
        : new WitnessService({
            store, cosigner: cosignerFromSeed(witnessName(config), loadSeedFile(config.WITNESS_KEY_FILE)),
            logs: new Map(config.WITNESS_LOGS.map((v) => [parseVkey(v).name, verifierFromVkey(v)])),
            platform: rt.platform, registry: rt.registry, relay: rt.relay, topic: t.events, logger: rt.logger, clock: () => rt.clock.now(),
          });

    // Stop hooks run in the order registered: no more records, a last checkpoint of what is in,
    // then the writer lock.
    await ingest.start();
    rt.onStop('ledger ingest', () => ingest.stop());
    checkpointer.start();
    rt.onStop('checkpointer', async () => {
      await checkpointer.stop();
      await checkpointer.issue().catch((err: unknown) => rt.logger.warn({ err }, 'last checkpoint failed'));
    });
    rt.onStop('ledger writer lock', async () => {
      stopping = true;
      if (writer) await leadership?.release();
    });

    // The runtime's own consumers: the directory follower (auditors' roles kept current, issue 13 defect 9).
    await rt.startConsumers();

    const { httpUrl, grpcAddress } = await rt.serve({
      description: 'The audit ledger: every event of the platform in an RFC 6962 Merkle tree with signed checkpoints (Regulation Arts. 29, 38).',
      routes: auditRoutes({ ledger, checkpointer, queries, witness }),
      grpc: auditGrpcService({ ledger, checkpointer, queries, edge: rt.grpcEdgeDeps }),
    });
    rt.logger.info({ origin, schema, size: ledger.size, topics: ingest.topics }, 'audit ledger open');
    return { httpUrl, grpcAddress, logger: rt.logger, origin, vkey: signer.vkey, schema, ledger, ingest, checkpointer, queries, witness, stop: () => rt.stop() };
  } catch (err) {
    await leadership?.release().catch(() => undefined);
    await rt.stop().catch(() => undefined);
    throw err;
  }
};
