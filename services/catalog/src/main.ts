import { runService } from '@govmesh/backbone';
import { startCatalogService } from './app.ts';
import { readCatalogConfig } from './config.ts';

await runService('catalog', readCatalogConfig, startCatalogService);
