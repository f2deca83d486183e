import { ControlledClock, createLogger, type Clock } from '@govmesh/backbone';
import { stackEnv, testPlatform, type TestPlatform } from '@govmesh/backbone/testing';
import { startRequestService, type RequestService } from './app.ts';
import { readRequestConfig } from './config.ts';

/** Starts a request service in-process on a test platform (its own topics); pass the catalog's platform to share it. */
export const startTestRequest = async (opts: { clock?: Clock; platform?: TestPlatform; env?: Record<string, string> } = {}): Promise<{ service: RequestService; platform: TestPlatform; clock: Clock }> => {
  const platform = opts.platform ?? testPlatform();
  const clock = opts.clock ?? new ControlledClock(new Date());
  const config = readRequestConfig({
    ...stackEnv(),
    PLATFORM_ID: platform.id,
    PLATFORM_CONFIG: platform.file,
    LOG_LEVEL: 'warn',
    DEADLINE_SCAN_MS: '3600000',
    CONSUMER_GROUP_PREFIX: `request-${platform.id}`,
    ...opts.env,
  });
  const service = await startRequestService(config, { clock, logger: createLogger('request-test', 'warn') });
  return { service, platform, clock };
};
