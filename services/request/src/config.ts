import { fileURLToPath } from 'node:url';
import { commonConfigSpec, key, readConfig, type ConfigOf } from '@govmesh/backbone';

/** The repository root: schemas/ and deploy/ are found from here, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const requestConfigSpec = {
  ...commonConfigSpec,
  PLATFORM_CONFIG: key({ kind: 'string', default: `${REPO_ROOT}deploy/dev/platform.json`, doc: 'platform file: departments, calendar overrides, token key' }),
  SERVICE_NAME: key({ kind: 'string', default: 'request', doc: 'service name in logs, traces and metrics' }),
  SCHEMAS_DIR: key({ kind: 'string', default: `${REPO_ROOT}schemas`, doc: 'folder of the .avsc contracts' }),
  DEADLINE_SCAN_MS: key({ kind: 'int', default: 5000, min: 100, doc: 'how often overdue replies and deliveries and lapsed periods of use are looked for' }),
  CONSUMER_GROUP_PREFIX: key({ kind: 'string', default: 'request', doc: 'prefix of this service consumer groups' }),
  UNCONDITIONAL_AUTO_GRANT: key({
    kind: 'bool',
    default: false,
    doc: 'true: the platform grants a complete request for unconditional data at submission; false: the provider replies by hand within 1 working day (APR-02)',
  }),
};

export type RequestConfig = ConfigOf<typeof requestConfigSpec>;

export const readRequestConfig = (env: Record<string, string | undefined>): RequestConfig => readConfig(requestConfigSpec, env);
