import { startTestService, type TestServiceOptions } from '@govmesh/backbone/testing';
import { startRequestService } from './app.ts';
import { readRequestConfig } from './config.ts';

/** Starts a request service in-process on a test platform (pass the catalog's platform to share it), on a controlled clock. */
export const startTestRequest = (opts: TestServiceOptions = {}) =>
  startTestService({ name: 'request', readConfig: readRequestConfig, start: startRequestService, env: { DEADLINE_SCAN_MS: '3600000' }, controlledClock: true }, opts);
