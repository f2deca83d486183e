import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server of a test's own, for tests that stop and start the database (outages): the
 * shared one (scripts/infra) stays up for everyone else. Debian's server binaries, as scripts/infra
 * uses them; as root, the server runs as the OS user `postgres`, as there. Trust authentication on
 * 127.0.0.1 only, a free port, a data directory under the system temp folder (removed by remove()).
 */
export interface TestPostgres {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** Stops the server (if running) and deletes its data directory. */
  remove(): void;
}

const binDir = (): string => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/pg_ctl'))) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (bash scripts/infra start installs them)');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, 'bin');
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

export const startTestPostgres = async (): Promise<TestPostgres> => {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'govmesh-pg-'));
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { cwd: '/', stdio: 'pipe' });
    else execFileSync(full, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  }
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'govmesh', '-E', 'UTF8', '--locale=C.UTF-8', '--auth=trust']);
  writeFileSync(join(data, 'postgresql.auto.conf'), `listen_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nmax_connections = 60\nfsync = off\n`);
  if (asRoot) execFileSync('chown', ['postgres:', join(data, 'postgresql.auto.conf')]);
  const start = () => run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  start();
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'govmesh', 'govmesh']);
  return {
    url: `postgres://govmesh@127.0.0.1:${port}/govmesh`,
    port,
    start,
    stop,
    remove: () => {
      try {
        stop();
      } catch {
        // not running
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
