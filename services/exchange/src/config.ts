import { key, readConfig, REPO_ROOT, serviceConfigSpec, type ConfigOf } from '@govmesh/backbone';

export const exchangeConfigSpec = {
  ...serviceConfigSpec('exchange', REPO_ROOT),
  UPLOAD_MAX_BYTES: key({ kind: 'int', default: 1024 * 1024 * 1024, min: 1024, doc: 'the largest dataset upload (bytes); a larger one is refused with 413 and nothing of it is kept' }),
  PUSH_POLL_MS: key({ kind: 'int', default: 500, min: 10, max: 60000, doc: 'batch push: how often the shares and datasets are looked at for records to push when idle (ms)' }),
  PUSH_BATCH: key({ kind: 'int', default: 2000, min: 1, max: 10000, doc: 'batch push: record versions per batch (one Kafka request, at most 768 KiB)' }),
  PUSH_STUCK_MS: key({ kind: 'int', default: 60000, min: 1000, doc: "batch push: how long a share's push may keep failing before readiness reports it" }),
  MASKING_KEY_FILE: key({
    kind: 'string',
    default: '',
    doc: 'file holding the platform secret (at least 32 bytes) that keys the HASH masking rule (pseudonyms); empty: the development key, if MASKING_DEV_KEY allows it',
  }),
  DELIVERY_CALLS_PER_MINUTE: key({ kind: 'int', default: 120, min: 1, max: 100000, doc: 'DLV-07: the most delivery calls (pulls, file builds) one share may make in a minute; more are answered 429 with Retry-After' }),
  DELIVERY_RECORDS_PER_DAY: key({ kind: 'int', default: 50_000_000, min: 1, doc: 'DLV-07: the most records one share may receive in a China day; past it calls are answered 429 until midnight' }),
  MASKING_DEV_KEY: key({ kind: 'bool', default: true, doc: 'with no MASKING_KEY_FILE, pseudonymise with a fixed development key (false in production: the service then refuses to start without a key file)' }),
  FILES_DIR: key({ kind: 'string', default: `${REPO_ROOT}.data/exchange/files`, doc: 'folder the file deliveries are built in (created at start; shared by every replica when there are several)' }),
  FILE_LINK_TTL_S: key({ kind: 'int', default: 3600, min: 60, max: 7 * 24 * 3600, doc: 'how long a file download link lives (seconds); the file is deleted once it has expired' }),
  FILE_SIGNING_KEY_FILE: key({
    kind: 'string',
    default: '',
    doc: 'PEM file holding the Ed25519 private key (PKCS#8) that signs file manifests; empty: the development key, if FILE_SIGNING_DEV_KEY allows it',
  }),
  FILE_SIGNING_DEV_KEY: key({ kind: 'bool', default: true, doc: 'with no FILE_SIGNING_KEY_FILE, sign file manifests with a fixed development key (false in production: the service then refuses to start without a key file)' }),
};

export type ExchangeConfig = ConfigOf<typeof exchangeConfigSpec>;

export const readExchangeConfig = (env: Record<string, string | undefined>): ExchangeConfig => readConfig(exchangeConfigSpec, env);
