import { fileURLToPath } from 'node:url';
import type { ServiceConfig } from './runtime.ts';
import { createLogger, type Logger } from '../telemetry/logging.ts';
import { setupTracing } from '../telemetry/tracing.ts';
import { onShutdown } from './lifecycle.ts';

/**
 * The repository root (the image's /app): schemas/ and deploy/ are found from here, whatever the
 * working directory. This file sits at packages/backbone/src/server/.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * A service's main.ts: reads the environment (the only place that does), exits 78 (EX_CONFIG)
 * listing what is wrong, sets up tracing and logging, starts the service, and stops it on
 * SIGTERM/SIGINT within SHUTDOWN_GRACE_MS.
 */
export const runService = async <C extends ServiceConfig>(
  name: string,
  readConfig: (env: Record<string, string | undefined>) => C,
  start: (config: C, overrides: { logger: Logger }) => Promise<{ stop(): Promise<void> }>,
): Promise<void> => {
  let config: C;
  try {
    config = readConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(78); // EX_CONFIG
  }
  const tracing = setupTracing({ service: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const service = await start(config, { logger });
  onShutdown(logger, config.SHUTDOWN_GRACE_MS, [
    { name, run: () => service.stop() },
    { name: 'tracing', run: () => tracing.shutdown() },
  ]);
};
