import type { Logger } from '../telemetry/logging.ts';

/**
 * Graceful shutdown: on SIGTERM/SIGINT stop taking new work, drain what is in flight (in the
 * order given: servers, consumers, relay, database), then exit. A second signal or the grace
 * period forces the exit.
 */
export const onShutdown = (logger: Logger, graceMs: number, steps: { name: string; run: () => Promise<void> }[]): void => {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight work');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period exceeded: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    for (const step of steps) {
      try {
        await step.run();
      } catch (err) {
        logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
};
