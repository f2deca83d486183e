/**
 * `npm start`: runs the whole mesh on this machine: the real stack (scripts/infra: Kafka +
 * PostgreSQL) and every service under services/ with the development platform
 * (deploy/dev/platform.json), each on fixed ports. Ctrl-C stops the services gracefully; the
 * stack keeps running for the next start (`npm run stop` stops it).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// One fixed port pair per service, so operators and departmental systems know where to call.
const PORTS: Record<string, { http: number; grpc: number }> = {
  catalog: { http: 8081, grpc: 9081 },
  request: { http: 8082, grpc: 9082 },
  audit: { http: 8083, grpc: 9083 },
  exchange: { http: 8084, grpc: 9084 },
  verification: { http: 8085, grpc: 9085 },
};

execFileSync('bash', [join(root, 'scripts/infra'), 'start'], { stdio: 'inherit' });
const stackEnv = Object.fromEntries(
  execFileSync('bash', [join(root, 'scripts/infra'), 'env'])
    .toString()
    .split('\n')
    .map((l) => /^export (\w+)=(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, '')]),
);

const services = readdirSync(join(root, 'services')).filter((s) => existsSync(join(root, 'services', s, 'src/main.ts')) && PORTS[s] !== undefined);
const children = new Map<string, ChildProcess>();
const restarts = new Map<string, number>();
const run = (name: string) => {
  const ports = PORTS[name]!;
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', join(root, 'services', name, 'src/main.ts')], {
    cwd: root,
    env: { ...process.env, ...stackEnv, HTTP_PORT: String(ports.http), GRPC_PORT: String(ports.grpc), LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this supervisor, which forwards one SIGTERM.
    detached: true,
  });
  children.set(name, child);
  const startedAt = Date.now();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      let text = line;
      try {
        const j = JSON.parse(line) as { msg?: string; level?: number; err?: { message?: string } };
        text = `${j.level !== undefined && j.level >= 50 ? 'ERROR ' : j.level === 40 ? 'WARN ' : ''}${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`;
      } catch {
        // not JSON: print as is
      }
      console.log(`[${name}] ${text}`);
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`[${name}] exited (${signal ?? code})`);
    if (stopping) return;
    // A service that stops by itself is started again (as Kubernetes would), with a back-off;
    // the others go on serving.
    const n = Date.now() - startedAt > 60000 ? 0 : (restarts.get(name) ?? 0) + 1;
    restarts.set(name, n);
    const wait = Math.min(30000, 1000 * 2 ** n);
    console.log(`[${name}] restarting in ${wait / 1000} s`);
    setTimeout(() => (stopping ? undefined : run(name)), wait);
  });
};
for (const name of services) run(name);

console.log(`
govmesh is starting on platform "national" (deploy/dev/platform.json):
${services.map((s) => `  ${s.padEnd(13)} REST http://127.0.0.1:${PORTS[s]!.http}  (OpenAPI: /docs)   gRPC 127.0.0.1:${PORTS[s]!.grpc}`).join('\n')}
Try it:
  TOKEN=$(node_modules/.bin/node scripts/token.ts dept-public-security)
  curl -s http://127.0.0.1:8081/v1/entries -H "authorization: Bearer $TOKEN"
Ctrl-C stops the services; npm run stop also stops Kafka and PostgreSQL.
`);

let stopping = false;
const shutdown = (code: number) => {
  if (stopping) return;
  stopping = true;
  const running = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGTERM');
  let left = running.length;
  if (left === 0) process.exit(code);
  for (const c of running) c.on('exit', () => (--left === 0 ? process.exit(code) : undefined));
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
