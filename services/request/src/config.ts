import { key, readConfig, REPO_ROOT, serviceConfigSpec, type ConfigOf } from '@govmesh/backbone';

export const requestConfigSpec = {
  ...serviceConfigSpec('request', REPO_ROOT),
  DEADLINE_SCAN_MS: key({ kind: 'int', default: 5000, min: 100, doc: 'how often overdue replies and deliveries and lapsed periods of use are looked for' }),
  UNCONDITIONAL_AUTO_GRANT: key({
    kind: 'bool',
    default: false,
    doc: 'true: the platform grants a complete request for unconditional data at submission; false: the provider replies by hand within 1 working day (APR-02)',
  }),
};

export type RequestConfig = ConfigOf<typeof requestConfigSpec>;

export const readRequestConfig = (env: Record<string, string | undefined>): RequestConfig => readConfig(requestConfigSpec, env);
