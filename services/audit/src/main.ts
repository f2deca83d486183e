import { runService } from '@govmesh/backbone';
import { startAuditService } from './app.ts';
import { readAuditConfig } from './config.ts';

await runService('audit', readAuditConfig, startAuditService);
