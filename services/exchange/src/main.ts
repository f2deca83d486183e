import { runService } from '@govmesh/backbone';
import { startExchangeService } from './app.ts';
import { readExchangeConfig } from './config.ts';

await runService('exchange', readExchangeConfig, startExchangeService);
