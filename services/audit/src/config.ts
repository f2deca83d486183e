import { GovError, key, readConfig, REPO_ROOT, serviceConfigSpec, type ConfigOf } from '@govmesh/backbone';

export const auditConfigSpec = {
  ...serviceConfigSpec('audit', REPO_ROOT),
  AUDIT_DB_SCHEMA: key({ kind: 'string', default: 'audit', doc: 'PostgreSQL schema of the ledger tables (one ledger per schema)' }),
  AUDIT_DB_APP_ROLE: key({ kind: 'string', default: '', doc: 'if set: the runtime role to grant SELECT/INSERT (no UPDATE/DELETE/TRUNCATE) on the ledger tables at start' }),
  LEDGER_ORIGIN: key({ kind: 'string', default: '', doc: 'checkpoint origin (log identity); empty = govmesh.gov.cn/<PLATFORM_ID>/ledger' }),
  LEDGER_SIGNING_KEY_FILE: key({ kind: 'string', default: '', doc: 'Ed25519 log key: a Go note skey (PRIVATE+KEY+...) or a 32-byte seed (raw or hex); empty = .data/audit/<PLATFORM_ID>-ledger.skey' }),
  LEDGER_DEV_KEY: key({ kind: 'bool', default: true, doc: 'development only: create the key file (and its .vkey) when missing; set false in production' }),
  LEDGER_BATCH_MAX: key({ kind: 'int', default: 5000, min: 1, max: 50000, doc: 'most records appended in one PostgreSQL transaction' }),
  LEDGER_SETTLE_MS: key({ kind: 'int', default: 300, min: 0, doc: 'how late a record on an idle partition may arrive (by its Kafka timestamp) and still be ledgered in replay order' }),
  LEDGER_TICK_MS: key({ kind: 'int', default: 50, min: 1, doc: 'sequencer tick: how often stable records are appended' }),
  LEDGER_PENDING_MAX: key({ kind: 'int', default: 20000, min: 100, doc: 'records buffered per partition before its fetching is paused' }),
  CHECKPOINT_INTERVAL_MS: key({ kind: 'int', default: 500, min: 10, doc: 'how often a checkpoint is signed when the tree grew' }),
  TOPIC_RESCAN_MS: key({ kind: 'int', default: 30000, min: 0, doc: 'how often new event topics are looked for (the consumer re-subscribes when one appears); 0 = only at start' }),
  WITNESS_VKEYS: key({ kind: 'list', default: [], doc: 'cosigner vkeys (parent platforms) whose cosignatures of our checkpoints are accepted and served' }),
  WITNESS_KEY_FILE: key({ kind: 'string', default: '', doc: 'this platform as a witness of its children: Ed25519 seed file (raw or hex); empty = witnessing off' }),
  WITNESS_NAME: key({ kind: 'string', default: '', doc: 'witness key name; empty = govmesh.gov.cn/<PLATFORM_ID>/witness' }),
  WITNESS_LOGS: key({ kind: 'list', default: [], doc: 'vkeys of the child logs this platform witnesses (key name = checkpoint origin)' }),
};

export type AuditConfig = ConfigOf<typeof auditConfigSpec>;

export const readAuditConfig = (env: Record<string, string | undefined>): AuditConfig => {
  const config = readConfig(auditConfigSpec, env);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(config.AUDIT_DB_SCHEMA)) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `invalid configuration:\n  - AUDIT_DB_SCHEMA=${config.AUDIT_DB_SCHEMA} is not a plain lower-case SQL identifier`);
  }
  if (config.AUDIT_DB_APP_ROLE !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.AUDIT_DB_APP_ROLE)) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `invalid configuration:\n  - AUDIT_DB_APP_ROLE=${config.AUDIT_DB_APP_ROLE} is not a plain lower-case SQL identifier`);
  }
  return config;
};

/** The checkpoint origin: configured, or govmesh.gov.cn/<platform>/ledger. */
export const ledgerOrigin = (config: AuditConfig): string => config.LEDGER_ORIGIN || `govmesh.gov.cn/${config.PLATFORM_ID}/ledger`;
export const witnessName = (config: AuditConfig): string => config.WITNESS_NAME || `govmesh.gov.cn/${config.PLATFORM_ID}/witness`;
export const signingKeyFile = (config: AuditConfig): string => config.LEDGER_SIGNING_KEY_FILE || `${REPO_ROOT}.data/audit/${config.PLATFORM_ID}-ledger.skey`;
