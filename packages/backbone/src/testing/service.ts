import { createLogger, type Logger } from '../telemetry/logging.ts';
import { ControlledClock, systemClock, type Clock } from '../time/clock.ts';
import { stackEnv, testPlatform, type TestPlatform } from './stack.ts';

/**
 * The environment of a service under test on a test platform: the real stack, the platform's own
 * topics (through its id) and consumer groups of its own; `env` comes last and wins.
 */
export const testServiceEnv = (service: string, platform: TestPlatform, env: Record<string, string> = {}): Record<string, string> => ({
  ...stackEnv(),
  PLATFORM_ID: platform.id,
  PLATFORM_CONFIG: platform.file,
  LOG_LEVEL: 'warn',
  CONSUMER_GROUP_PREFIX: `${service}-${platform.id}`,
  ...env,
});

/** How a service is started in-process by its tests. */
export interface TestServiceSpec<C, S> {
  name: string;
  readConfig: (env: Record<string, string | undefined>) => C;
  start: (config: C, overrides: { clock: Clock; logger: Logger }) => Promise<S>;
  /** Configuration every test of this service wants (e.g. no deadline scans); tests may override it. */
  env?: Record<string, string>;
  /** Run on a ControlledClock set to now unless a test passes its own; otherwise the system clock. */
  controlledClock?: boolean;
}

export interface TestServiceOptions {
  platform?: TestPlatform;
  clock?: Clock;
  env?: Record<string, string>;
}

/** Starts a service in-process on a test platform (a fresh one unless given: its own topics). */
export const startTestService = async <C, S>(spec: TestServiceSpec<C, S>, opts: TestServiceOptions = {}): Promise<{ service: S; platform: TestPlatform; clock: Clock; env: Record<string, string> }> => {
  const platform = opts.platform ?? testPlatform();
  const clock = opts.clock ?? (spec.controlledClock === true ? new ControlledClock(new Date()) : systemClock);
  const env = testServiceEnv(spec.name, platform, { ...spec.env, ...opts.env });
  const service = await spec.start(spec.readConfig(env), { clock, logger: createLogger(`${spec.name}-test`, 'warn') });
  return { service, platform, clock, env };
};
