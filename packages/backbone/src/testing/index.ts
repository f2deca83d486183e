export { deciderSpec } from './decider-spec.ts';
export { stackEnv, testPlatform, waitFor, readTopic } from './stack.ts';
export type { TestPlatform } from './stack.ts';
export { spawnService, crashAndRetry } from './process.ts';
export type { ServiceProcess } from './process.ts';
export { testServiceEnv, startTestService } from './service.ts';
export type { TestServiceSpec, TestServiceOptions } from './service.ts';
export { restAs } from './rest.ts';
export { TEST_SCHEDULE_2027_PATH, testSchedule2027, calendarWith2027 } from './calendar.ts';
