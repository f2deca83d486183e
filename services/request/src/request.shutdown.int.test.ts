// Defect 12 of issue 13: on SIGTERM (Ctrl-C under npm start) every service stops within its
// grace period and exits 0. The services run as processes, as under npm start; the catalog and
// audit services are checked beside the request service, which has the most consumers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnService, testPlatform } from '@govmesh/backbone/testing';
import { auditTestEnv } from '../../audit/src/testing.ts';

const GRACE_MS = 4000;
const platform = testPlatform('shutdown');

describe('HEALTH: SIGTERM stops a started service within its grace period with exit code 0', { concurrency: false }, () => {
  for (const service of ['request', 'catalog', 'audit']) {
    test(`HEALTH: ${service} exits 0 within SHUTDOWN_GRACE_MS=${GRACE_MS} after SIGTERM`, async (t) => {
      const env = { SHUTDOWN_GRACE_MS: String(GRACE_MS), DEADLINE_SCAN_MS: '3600000', ...(service === 'audit' ? auditTestEnv(platform) : {}) };
      const svc = await spawnService(service, platform, env);
      try {
        // Right after it logged that it started: its consumers may still be joining their groups.
        const started = Date.now();
        svc.process.kill('SIGTERM');
        // The service's own timer exits 1 once the grace period has passed; wait a little longer
        // than that, so a hang shows as a failure rather than as a test timeout.
        const code = await Promise.race([svc.exited, new Promise<string>((r) => setTimeout(() => r('still running'), GRACE_MS + 3000).unref())]);
        assert.equal(code, 0, `${service} exit code after SIGTERM (grace ${GRACE_MS} ms)`);
        const took = Date.now() - started;
        t.diagnostic(`${service} stopped in ${took} ms`);
        assert.ok(took < GRACE_MS, `${service} stopped in ${took} ms`);
      } finally {
        svc.process.kill('SIGKILL');
      }
    });
  }
});
