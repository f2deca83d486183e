import { runService } from '@govmesh/backbone';
import { startRequestService } from './app.ts';
import { readRequestConfig } from './config.ts';

await runService('request', readRequestConfig, startRequestService);
