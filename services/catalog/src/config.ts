import { key, readConfig, REPO_ROOT, serviceConfigSpec, type ConfigOf } from '@govmesh/backbone';

export const catalogConfigSpec = {
  ...serviceConfigSpec('catalog', REPO_ROOT),
  DEADLINE_SCAN_MS: key({ kind: 'int', default: 5000, min: 100, doc: 'how often overdue updates and reviews are looked for' }),
};

export type CatalogConfig = ConfigOf<typeof catalogConfigSpec>;

export const readCatalogConfig = (env: Record<string, string | undefined>): CatalogConfig => readConfig(catalogConfigSpec, env);
