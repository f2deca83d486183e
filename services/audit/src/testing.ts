import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { CatalogEventNamespace } from '@govmesh/contracts/avro';
import { ensureTopics, envelopeToHeaders, uuidv7, type Envelope, type SchemaRegistry } from '@govmesh/backbone';
import { startTestService, stackEnv, testPlatform, testServiceEnv, waitFor, type TestPlatform, type TestServiceOptions } from '@govmesh/backbone/testing';
import { startAuditService, type AuditService } from './app.ts';
import { readAuditConfig } from './config.ts';

/** A fresh ledger schema name (the ledger of one test). */
export const testSchema = (prefix = 'audit_it'): string => `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

interface AuditTestOptions {
  schema?: string;
  keyFile?: string;
  group?: string;
  env?: Record<string, string>;
}

/**
 * The environment of an in-process or child-process audit service on a test platform: its own
 * ledger schema, key file and consumer group (two ledgers of one platform read independently).
 */
export const auditTestEnv = (platform: TestPlatform, opts: AuditTestOptions = {}): Record<string, string> =>
  testServiceEnv('audit', platform, {
    AUDIT_DB_SCHEMA: opts.schema ?? testSchema(),
    LEDGER_SIGNING_KEY_FILE: opts.keyFile ?? join(mkdtempSync(join(tmpdir(), 'govmesh-audit-')), 'ledger.skey'),
    CONSUMER_GROUP_PREFIX: opts.group ?? `audit-${platform.id}-${Math.random().toString(36).slice(2, 8)}`,
    CHECKPOINT_INTERVAL_MS: '200',
    LEDGER_SETTLE_MS: '200',
    TOPIC_RESCAN_MS: '1000',
    ...opts.env,
  });

/** Starts an audit service in-process on a test platform (its own ledger schema and consumer group). */
export const startTestAudit = (opts: AuditTestOptions & Omit<TestServiceOptions, 'env'> = {}) => {
  const platform = opts.platform ?? testPlatform();
  return startTestService(
    { name: 'audit', readConfig: readAuditConfig, start: (config, overrides) => startAuditService(config, { ...overrides, onLeadershipLost: () => undefined }) },
    { ...opts, platform, env: auditTestEnv(platform, opts) },
  );
};

/** Waits until the ledger holds `n` entries and a checkpoint covers them all. */
export const ledgered = (svc: AuditService, n: number, timeoutMs = 30000) =>
  waitFor(`${n} entries ledgered and checkpointed`, async () => (svc.ledger.size >= n && svc.checkpointer.latestSize >= svc.ledger.size ? svc.ledger.size : undefined), timeoutMs, 50);

/** A valid catalog event as the outbox relay would publish it (for driving the ledger without the catalog). */
export const catalogEventRecord = (registry: SchemaRegistry, platform: string, entryId: string, version: number, opts: { ceId?: string; approver?: string } = {}): kafkajs.Message => {
  const type = `${CatalogEventNamespace}.CatalogEntryHeadApproved`;
  const envelope: Envelope = {
    id: opts.ceId ?? uuidv7(),
    type,
    source: `/platforms/${platform}/services/catalog`,
    subject: entryId,
    time: new Date().toISOString(),
    specversion: '1.0',
    datacontenttype: 'application/avro',
    dataschema: `urn:govmesh:avro:${type}:${registry.latest(type).fingerprintHex}`,
    correlationid: entryId,
    causationid: '',
    partitionkey: entryId,
    sequence: String(version),
  };
  return { key: entryId, value: registry.encode(type, { entryId, approver: opts.approver ?? `head-${version}`, recordedBy: 'dept-public-security' }), headers: envelopeToHeaders(envelope) };
};

/** A plain idempotent kafkajs producer for tests, and the topics it needs. */
export const testProducer = async (topicNames: string[]): Promise<kafkajs.Producer> => {
  const kafka = new kafkajs.Kafka({ clientId: 'audit-test-producer', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
  await ensureTopics(kafka, topicNames.map((topic) => ({ topic })));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
};

/** `versions` events for each of `aggregates` entries, versions 1..n, spread over the topic's partitions by key. */
export const aggregateEvents = (registry: SchemaRegistry, platform: string, prefix: string, aggregates: number, versions: number): kafkajs.Message[][] =>
  Array.from({ length: versions }, (_, v) => Array.from({ length: aggregates }, (_, a) => catalogEventRecord(registry, platform, `${prefix}-${a}`, v + 1)));
