/**
 * `npm run bench`: prints throughput and latency figures measured against the real broker and
 * database (started by scripts/infra). Figures, not pass/fail thresholds.
 * BENCH_SCALE=2 doubles the work of every section.
 */
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { benchCommandToProjection, benchOutboxRelay } from './catalog.ts';
import { printFigures } from './figures.ts';
import { benchRequest } from './request.ts';
import { benchAudit } from './audit.ts';
import { benchExchangeDomain } from './exchange.ts';
import { benchFileBuild } from './exchange-file.ts';
import { benchPush } from './exchange-push.ts';

const scale = Number(process.env['BENCH_SCALE'] ?? '1');
const pgVersion = (() => {
  try {
    return execFileSync('psql', ['--version']).toString().trim();
  } catch {
    return 'psql not found';
  }
})();
console.log('# govmesh bench');
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ${pgVersion}`);
console.log('broker and database on the same host as the services (scripts/infra), fsync on');

printFigures('catalog: outbox relay', await benchOutboxRelay(20000 * scale));
printFigures('catalog: commands and projection', await benchCommandToProjection(200 * scale, 8));
printFigures('request: commands and events', await benchRequest(200 * scale, 8));
printFigures('audit: ledger, checkpoints, proofs, verification', await benchAudit(20000 * scale));
printFigures('exchange: masking, fingerprints, leak tracing (in-process)', benchExchangeDomain(100_000 * scale, 20));
printFigures('exchange: file download (real stack)', await benchFileBuild(1_000_000 * scale));
printFigures('exchange: batch push (real stack)', await benchPush(200_000 * scale));
process.exit(0);
