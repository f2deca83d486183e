import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlledClock, REPO_ROOT } from '@govmesh/backbone';
import type { AuditService } from '../services/audit/src/app.ts';
import { startTestAudit } from '../services/audit/src/testing.ts';
import { approvedShare, publishEntry, startTestMesh, type TestMesh } from '../services/exchange/src/testing.ts';

/**
 * Issue 13: schemathesis fuzzes every service's published OpenAPI on the real stack, with a token
 * of each role, and nothing it finds may pass: no 5xx, no answer outside its documented schema,
 * status or media type. Time-boxed for CI (2 cores): FUZZ_MAX_EXAMPLES test cases per operation
 * and phase (default 12), one worker; FUZZ_SEED to replay a run. The pinned schemathesis is
 * installed once per machine by scripts/schemathesis.
 */
const CHECKS = ['not_a_server_error', 'response_schema_conformance', 'status_code_conformance', 'content_type_conformance'];
const MAX_EXAMPLES = process.env['FUZZ_MAX_EXAMPLES'] ?? '12';
const SEED = process.env['FUZZ_SEED'] ?? String(Math.floor(Math.random() * 2 ** 31));
// A department holding provider and requester, and one holding competent, auditor and operator: every role.
const ROLES = { 'dept-public-security': 'provider, requester', 'dept-data-bureau': 'competent, auditor, operator' } as const;

// What each check's failures are titled in schemathesis's report.
const CHECK_OF: Record<string, string> = {
  'Server error': 'not_a_server_error',
  'Response violates schema': 'response_schema_conformance',
  'Undocumented HTTP status code': 'status_code_conformance',
  'Undocumented Content-Type': 'content_type_conformance',
  'Malformed media type': 'content_type_conformance',
};

let m: TestMesh;
let audit: AuditService;
const work = mkdtempSync(join(tmpdir(), 'govmesh-fuzz-'));
const config = join(work, 'schemathesis.toml');

before(async () => {
  m = await startTestMesh(new ControlledClock(new Date()));
  ({ service: audit } = await startTestAudit({ platform: m.platform }));
  // Something to act on: a published entry and an approved share. Half the ids the fuzzer puts in
  // a path are theirs, so commands meet the rules and reads answer with data, not only 404.
  const entryId = await publishEntry(m);
  const shareId = await approvedShare(m, entryId);
  writeFileSync(
    config,
    [
      // Crash records stay with this run's reports, not in the checkout.
      `[cache]\ndirectory = "${join(work, 'cache')}"`,
      `[dictionaries.entries]\nvalues = ["${entryId}"]`,
      `[dictionaries.shares]\nvalues = ["${shareId}"]`,
      `[parameters]\n"path.entryId" = { dictionary = "entries", probability = 0.5 }\n"path.shareId" = { dictionary = "shares", probability = 0.5 }\n"path.correlationId" = { dictionary = "shares", probability = 0.5 }`,
    ].join('\n\n') + '\n',
  );
});
after(async () => {
  await audit?.stop();
  await m?.stop();
});

interface Run {
  operations: number;
  cases: number;
  failures: Record<string, number>;
  output: string;
  code: number | null;
}

/**
 * One schemathesis run against one service as one department; counts from its JSON report. The
 * coverage phase (boundary and negative values of every field) runs once per service; the other
 * department runs the examples and random fuzzing.
 */
const fuzz = (service: string, url: string, department: string, phases: string): Promise<Run> => {
  const report = join(work, `${service}-${department}.json`);
  const args = [
    'scripts/schemathesis', '--config-file', config, 'run', `${url}/docs/json`,
    '--checks', CHECKS.join(','),
    '--phases', phases,
    '--max-examples', MAX_EXAMPLES,
    '--seed', SEED,
    '--workers', '1',
    '--request-timeout', '30',
    '--suppress-health-check', 'all',
    '--generation-database', 'none',
    '--no-color',
    '--header', `Authorization: Bearer ${m.platform.token(department)}`,
    '--report', 'json', '--report-json-path', report,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn('bash', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(report, 'utf8'));
      } catch {
        json = undefined;
      }
      resolve({ ...summarize(json), output, code });
    });
  });
};

interface Report {
  operations: { tested: number };
  test_cases: { generated: number };
  failures: { title: string; count: number }[];
  errors: { title: string; count: number }[];
}

const summarize = (json: unknown): Omit<Run, 'output' | 'code'> => {
  if (json === undefined) return { operations: 0, cases: 0, failures: { 'no report': 1 } };
  const r = json as Report;
  const failures: Record<string, number> = {};
  for (const f of r.failures) failures[CHECK_OF[f.title] ?? f.title] = (failures[CHECK_OF[f.title] ?? f.title] ?? 0) + f.count;
  for (const e of r.errors) failures[`error: ${e.title}`] = (failures[`error: ${e.title}`] ?? 0) + e.count;
  return { operations: r.operations.tested, cases: r.test_cases.generated, failures };
};

test('FUZZ: schemathesis finds no 5xx and no answer outside the documented schema, status or media type, on any service, as any role', { timeout: 900_000 }, async () => {
  // Largest first (the request service's coverage run is about half the work), so the two lanes end together.
  const services = { request: m.request.httpUrl, catalog: m.catalog.httpUrl, audit: audit.httpUrl, exchange: m.exchange.httpUrl };
  const [first, second] = Object.keys(ROLES) as (keyof typeof ROLES)[];
  const jobs = [
    ...Object.entries(services).map(([service, url]) => ({ service, url, department: first!, phases: 'examples,coverage,fuzzing' })),
    ...Object.entries(services).map(([service, url]) => ({ service, url, department: second!, phases: 'examples,fuzzing' })),
  ];
  const runs: (Run & { service: string; department: string })[] = [];
  const started = Date.now();
  // Two at a time: the machine has 2 cores, and the services answer from this process meanwhile.
  const lane = async () => {
    for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
      const t0 = Date.now();
      const run = await fuzz(job.service, job.url, job.department, job.phases);
      runs.push({ ...run, service: job.service, department: job.department });
      console.log(`fuzz ${job.service} as ${job.department} (${ROLES[job.department]}; ${job.phases}): ${run.operations} operations, ${run.cases} test cases, failures ${JSON.stringify(run.failures)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      if (run.code !== 0) console.log(run.output.slice(-30000));
    }
  };
  await Promise.all([lane(), lane()]);
  const total = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0);
  const byCheck: Record<string, number> = Object.fromEntries(CHECKS.map((c) => [c, 0]));
  for (const r of runs) for (const [k, n] of Object.entries(r.failures)) byCheck[k] = (byCheck[k] ?? 0) + n;
  console.log(`fuzz reports: ${work}`);
  console.log(`fuzz total: ${runs.length} runs, ${total((r) => r.operations)} operations tested, ${total((r) => r.cases)} test cases, failures by check ${JSON.stringify(byCheck)}, seed ${SEED}, max examples ${MAX_EXAMPLES}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.deepEqual(runs.filter((r) => r.code !== 0 || Object.keys(r.failures).length > 0).map((r) => `${r.service} as ${r.department}: exit ${r.code}, ${JSON.stringify(r.failures)}`), []);
});
