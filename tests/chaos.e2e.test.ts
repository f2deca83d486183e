// The chaos suite's short version (issue 13): `npm run chaos` with 20 kill points on an infra
// instance of its own (chaos-ci), so the shared stack the other tests use is never killed. The
// script removes its instance at the end; so does this test if the script did not get that far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../packages/backbone/src/server/main.ts';

const INSTANCE = 'chaos-ci';

test('chaos: 20 kill points (services SIGKILLed, the broker and the database killed) lose nothing and duplicate nothing', { timeout: 420000 }, async (t) => {
  const seed = String(Math.floor(Math.random() * 2 ** 31));
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', join(REPO_ROOT, 'scripts/chaos.ts'), '--kills', '20', '--seed', seed, '--instance', INSTANCE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // Cut short (test timeout): the script stops its services and removes its instance on SIGTERM.
  t.signal.addEventListener('abort', () => child.kill('SIGTERM'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    assert.equal(code, 0, `chaos failed (seed ${seed}):\n${out.slice(-6000)}`);
    assert.match(out, /lost {19}0\n/);
    assert.match(out, /duplicated {13}0 /);
    assert.match(out, /kill points survived {3}(\d+)/);
    assert.ok(Number(/kill points survived {3}(\d+)/.exec(out)![1]) >= 20);
  } finally {
    // The script removes its instance; after a crash of the script this does.
    execFileSync('bash', [join(REPO_ROOT, 'scripts/infra'), 'remove'], { env: { ...process.env, GOVMESH_INFRA_INSTANCE: INSTANCE }, stdio: 'ignore' });
  }
});
