import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../server/main.ts';
import type { TestPlatform } from './stack.ts';
import { testServiceEnv } from './service.ts';

/**
 * A service started as its own process (`node services/<name>/src/main.ts`), for tests that kill
 * it with SIGKILL (failpoints) and start it again. It runs on the test platform with any free
 * ports and a short consumer session (a killed member's partitions move on quickly); `env` comes
 * last. Resolves once the service logged that it started; `exited` resolves with -9 when it was
 * killed.
 */
export interface ServiceProcess {
  url: string;
  exited: Promise<number | null>;
  process: ChildProcess;
  /** SIGTERM and wait (graceful stop); no-op when already gone. */
  stop(): Promise<void>;
}

export const spawnService = async (service: string, platform: TestPlatform, env: Record<string, string> = {}): Promise<ServiceProcess> => {
  const childEnv = { ...process.env, ...testServiceEnv(service, platform), HTTP_PORT: '0', GRPC_PORT: '0', CONSUMER_SESSION_TIMEOUT_MS: '6000', ...env, LOG_LEVEL: 'info' };
  const proc = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', `services/${service}/src/main.ts`], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? -9 : code)));
  const stderr: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${service} did not start in 60 s: ${stderr.slice(-5).join('\n')}`)), 60000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes(`${service} service started`)) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { httpUrl: string }).httpUrl);
      }
    });
    proc.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${service} exited during start: ${stderr.slice(-5).join('\n')}`));
    });
  });
  return {
    url,
    exited,
    process: proc,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
  };
};

/**
 * One crash of a crash test: starts the service with `failpoint` armed for `eventType`, makes the
 * call (the client may get no answer), expects the process to die with SIGKILL there, starts it
 * again and, if the call got no answer, retries it as a client would: the retry succeeds, or,
 * when the crash came after the commit, is refused as already done (409). Returns the restarted
 * service.
 */
export const crashAndRetry = async (opts: {
  start: (failpoints?: string) => Promise<ServiceProcess>;
  failpoint: string;
  eventType: string;
  call: (url: string) => Promise<{ status: number; body?: unknown }>;
}): Promise<ServiceProcess> => {
  const armed = await opts.start(`${opts.failpoint}:${opts.eventType}`);
  const first = await opts.call(armed.url).catch((err: Error) => ({ status: 0, body: { error: err.message } }));
  assert.equal(await armed.exited, -9, 'the failpoint killed the process');
  const svc = await opts.start();
  if (first.status !== 200) {
    const retry = await opts.call(svc.url);
    assert.ok(retry.status === 200 || (retry.status === 409 && opts.failpoint !== 'store.before-commit'), JSON.stringify(retry.body));
  }
  return svc;
};
