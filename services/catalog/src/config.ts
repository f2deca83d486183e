import { fileURLToPath } from 'node:url';
import { commonConfigSpec, key, readConfig, type ConfigOf } from '@govmesh/backbone';

/** The repository root: schemas/ and deploy/ are found from here, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const catalogConfigSpec = {
  ...commonConfigSpec,
  PLATFORM_CONFIG: key({ kind: 'string', default: `${REPO_ROOT}deploy/dev/platform.json`, doc: 'platform file: departments, calendar overrides, token key' }),
  SERVICE_NAME: key({ kind: 'string', default: 'catalog', doc: 'service name in logs, traces and metrics' }),
  SCHEMAS_DIR: key({ kind: 'string', default: `${REPO_ROOT}schemas`, doc: 'folder of the .avsc contracts' }),
  DEADLINE_SCAN_MS: key({ kind: 'int', default: 5000, min: 100, doc: 'how often overdue updates and reviews are looked for' }),
  CONSUMER_GROUP_PREFIX: key({ kind: 'string', default: 'catalog', doc: 'prefix of this service consumer groups' }),
};

export type CatalogConfig = ConfigOf<typeof catalogConfigSpec>;

export const readCatalogConfig = (env: Record<string, string | undefined>): CatalogConfig => readConfig(catalogConfigSpec, env);
