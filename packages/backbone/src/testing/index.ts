export { deciderSpec } from './decider-spec.ts';
export { stackEnv, testPlatform, waitFor, readTopic } from './stack.ts';
export type { TestPlatform } from './stack.ts';
export { spawnService } from './process.ts';
export type { ServiceProcess } from './process.ts';
export { restAs } from './rest.ts';
