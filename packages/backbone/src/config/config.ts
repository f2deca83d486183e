import { GovError } from '../errors/errors.ts';

/**
 * Config is read once, at start, from a plain record (process.env in main.ts), validated against a
 * declared spec, and returned frozen. Every bad or missing key is named in one error, so an
 * operator fixes them all in one go.
 */
type Kind = 'string' | 'int' | 'bool' | 'list' | 'url';
interface KeySpec<K extends Kind> {
  kind: K;
  default?: KindValue<K>;
  /** For strings: the allowed values. */
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  doc: string;
}
type KindValue<K extends Kind> = K extends 'int' ? number : K extends 'bool' ? boolean : K extends 'list' ? string[] : string;
export type ConfigSpec = Record<string, KeySpec<Kind>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: KindValue<S[K]['kind']> };

export const key = <K extends Kind>(spec: KeySpec<K>): KeySpec<K> => spec;

export const readConfig = <S extends ConfigSpec>(spec: S, env: Record<string, string | undefined>): ConfigOf<S> => {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (s.default === undefined) problems.push(`${name} is required (${s.doc})`);
      else out[name] = s.default;
      continue;
    }
    switch (s.kind) {
      case 'int': {
        const n = Number(raw);
        if (!Number.isInteger(n)) problems.push(`${name}=${raw} is not an integer`);
        else if (s.min !== undefined && n < s.min) problems.push(`${name}=${raw} is below ${s.min}`);
        else if (s.max !== undefined && n > s.max) problems.push(`${name}=${raw} is above ${s.max}`);
        else out[name] = n;
        break;
      }
      case 'bool':
        if (!['true', 'false', '1', '0'].includes(raw)) problems.push(`${name}=${raw} is not true/false`);
        else out[name] = raw === 'true' || raw === '1';
        break;
      case 'list':
        out[name] = raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
        break;
      case 'url':
        try {
          new URL(raw);
          out[name] = raw;
        } catch {
          problems.push(`${name}=${raw} is not a URL`);
        }
        break;
      case 'string':
        if (s.oneOf !== undefined && !s.oneOf.includes(raw)) problems.push(`${name}=${raw} is not one of ${s.oneOf.join(', ')}`);
        else out[name] = raw;
        break;
    }
  }
  if (problems.length > 0) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return Object.freeze(out) as ConfigOf<S>;
};

/** The keys every service shares; a service spreads these into its own spec. */
export const commonConfigSpec = {
  PLATFORM_ID: key({ kind: 'string', default: 'national', doc: 'platform id, the topic prefix (e.g. national, region-130000)' }),
  PLATFORM_CONFIG: key({ kind: 'string', default: 'deploy/dev/platform.json', doc: 'path to the platform file: departments, calendar overrides, token key' }),
  KAFKA_BROKERS: key({ kind: 'list', default: ['127.0.0.1:19092'], doc: 'Kafka bootstrap servers' }),
  DATABASE_URL: key({ kind: 'url', default: 'postgres://govmesh:govmesh@127.0.0.1:55432/govmesh', doc: 'PostgreSQL URL' }),
  HTTP_PORT: key({ kind: 'int', default: 0, min: 0, max: 65535, doc: 'REST port (0 = any free port)' }),
  GRPC_PORT: key({ kind: 'int', default: 0, min: 0, max: 65535, doc: 'gRPC port (0 = any free port)' }),
  HOST: key({ kind: 'string', default: '127.0.0.1', doc: 'interface to listen on' }),
  LOG_LEVEL: key({ kind: 'string', default: 'info', oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'pino level' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: key({ kind: 'string', default: '', doc: 'OTLP/HTTP endpoint for traces; empty = traces stay in-process' }),
  OUTBOX_POLL_MS: key({ kind: 'int', default: 50, min: 1, doc: 'outbox relay poll interval when idle' }),
  OUTBOX_BATCH: key({ kind: 'int', default: 500, min: 1, max: 10000, doc: 'outbox rows per relay batch' }),
  OUTBOX_STUCK_MS: key({ kind: 'int', default: 10000, min: 100, doc: 'how long an outbox row may keep failing (or a send hang) before readiness turns red' }),
  CONSUMER_SESSION_TIMEOUT_MS: key({ kind: 'int', default: 30000, min: 6000, doc: 'Kafka consumer session timeout: how soon a dead replica partitions move' }),
  CONSUMER_LAG_MAX: key({ kind: 'int', default: 10000, min: 1, doc: 'records a consumer group (a projection, the ledger) may lag behind its topics before readiness turns red' }),
  CONSUMER_MAX_ATTEMPTS: key({ kind: 'int', default: 5, min: 1, doc: 'attempts before an event goes to the dead-letter topic' }),
  FAILPOINTS: key({ kind: 'string', default: '', doc: 'tests only: crash points to arm (see backbone testing/failpoints.ts); empty in production' }),
  SHUTDOWN_GRACE_MS: key({ kind: 'int', default: 10000, min: 0, doc: 'time to drain in-flight work on SIGTERM' }),
  TOKEN_MAX_LIFETIME_S: key({ kind: 'int', default: 43200, min: 60, max: 604800, doc: 'longest a department token may live (exp - iat); a longer one is refused' }),
  TOKEN_CLOCK_SKEW_S: key({ kind: 'int', default: 60, min: 0, max: 600, doc: 'tolerance for a token iat or nbf after this machine clock' }),
};
