import { createLogger, onShutdown, setupTracing } from '@govmesh/backbone';
import { startAuditService } from './app.ts';
import { readAuditConfig } from './config.ts';

// The only place that reads process.env.
let config;
try {
  config = readAuditConfig(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(78); // EX_CONFIG
}
const tracing = setupTracing({ service: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
const service = await startAuditService(config, { logger });
onShutdown(logger, config.SHUTDOWN_GRACE_MS, [
  { name: 'audit', run: () => service.stop() },
  { name: 'tracing', run: () => tracing.shutdown() },
]);
