/**
 * `npm run chaos -- --kills N --seed S`: the chaos suite (issue 13). On a throwaway infra instance
 * of its own (scripts/infra, GOVMESH_INFRA_INSTANCE=chaos: never the developer's stack), it runs
 * the catalog, request and audit services as processes, drives a mixed workload through their REST
 * APIs as departmental clients do (real tokens, an Idempotency-Key on every command, retries on
 * timeouts, 5xx and 409 in-progress), and meanwhile SIGKILLs random services at random moments
 * (restarting them) and kills and restarts the broker and the database at least once each (the
 * services stay up and must recover by themselves). Once quiet, it checks that every acknowledged
 * command's events are in the event store, on the topic and in the ledger exactly once, that every
 * read model equals a rebuild from the topics, and that the exported ledger verifies offline
 * (every signed root recomputed from the entries). Exits 1 on any violation. Choices and timings
 * come from a PRNG seeded by --seed: a failing run is reproduced with its seed (the machine's own
 * timing still varies).
 *
 * Options: --kills N (300), --seed S (random), --clients N (4), --instance NAME (chaos),
 * --keep (leave the instance and its data for inspection; `bash scripts/infra remove` with the
 * same GOVMESH_INFRA_INSTANCE deletes it).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createKafka, createLogger, headersToStrings, openDatabase, SchemaRegistry, topics } from '@govmesh/backbone';
import { compareWithRebuild, spawnService, testPlatform, testServiceEnv, type ReadModelSpec, type ServiceProcess, type TestPlatform } from '@govmesh/backbone/testing';
import { readTopicRange } from '../packages/backbone/src/kafka/topic-tail.ts';
import { REPO_ROOT } from '../packages/backbone/src/server/main.ts';
import { conditionalContent } from '../services/catalog/src/domain/fixtures.ts';
import { catalogProjection } from '../services/catalog/src/projections/catalog-projection.ts';
import { CatalogEntryVersionView, CatalogEntryView, readModelMigrations as catalogMigrations } from '../services/catalog/src/projections/read-model.ts';
import { catalogViewProjection } from '../services/request/src/projections/catalog-view.ts';
import { requestProjection } from '../services/request/src/projections/request-projection.ts';
import { RequestableEntryView, RequestableVersionView, ShareView, readModelMigrations as requestMigrations } from '../services/request/src/projections/read-model.ts';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '300' },
    seed: { type: 'string' },
    clients: { type: 'string', default: '4' },
    instance: { type: 'string', default: 'chaos' },
    keep: { type: 'boolean', default: false },
  },
});
const KILLS = Number(args.kills);
const CLIENTS = Number(args.clients);
const SEED = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
if (!Number.isInteger(KILLS) || KILLS < 2 || !Number.isInteger(SEED) || !Number.isInteger(CLIENTS) || CLIENTS < 1) {
  console.error('usage: npm run chaos -- [--kills N>=2] [--seed S] [--clients N] [--instance NAME] [--keep]');
  process.exit(2);
}

/** mulberry32: small, seeded, good enough to choose what to kill and when. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
const random = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const between = (lo: number, hi: number) => lo + random() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const log = (msg: string) => console.log(`chaos [${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

// ------------------------------------------------------------------ the instance and the mesh

const infraEnv = { ...process.env, GOVMESH_INFRA_INSTANCE: args.instance };
const infra = async (cmd: string) => (await run('bash', [join(REPO_ROOT, 'scripts/infra'), cmd], { env: infraEnv, cwd: REPO_ROOT, maxBuffer: 1 << 24 })).stdout;

log(`seed ${SEED}, ${KILLS} kill points, ${CLIENTS} clients, infra instance "${args.instance}"`);
await infra('remove').catch(() => undefined);
await infra('start');
for (const m of (await infra('env')).matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]!] = m[2]!;
const BROKERS = process.env['KAFKA_BROKERS']!;
const DATABASE_URL = process.env['DATABASE_URL']!;
log(`instance up: Kafka ${BROKERS}, PostgreSQL ${DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);

const SERVICES = ['catalog', 'request', 'audit'] as const;
type Service = (typeof SERVICES)[number];
const platform: TestPlatform = testPlatform('chaos');
const serviceEnv = { DEADLINE_SCAN_MS: '5000', OUTBOX_STUCK_MS: '30000' };
const running = new Map<Service, ServiceProcess>();
const starting = new Set<Service>();
const selfExits: string[] = [];
let stopping = false;

/** Starts a service and keeps at it while its dependencies are down (a start needs both). */
const start = async (name: Service): Promise<void> => {
  starting.add(name);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const svc = await spawnService(name, platform, serviceEnv);
        running.set(name, svc);
        void svc.exited.then((code) => {
          if (running.get(name) !== svc) return;
          running.delete(name);
          if (stopping || code === -9) return;
          // A service must ride out an outage by itself: stopping on its own is a finding.
          selfExits.push(`${name} exited by itself (code ${code})`);
          log(`VIOLATION: ${name} exited by itself (code ${code}); starting it again`);
          void start(name);
        });
        return;
      } catch (err) {
        if (attempt % 5 === 1) log(`${name} did not start (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}`);
        await sleep(1000);
      }
    }
  } finally {
    starting.delete(name);
  }
};
// Interrupted (Ctrl-C, a test's timeout): nothing of the run is left behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopping = true;
    for (const s of running.values()) s.process.kill('SIGKILL');
    void (args.keep ? Promise.resolve('') : infra('remove')).finally(() => process.exit(130));
  });
}
await Promise.all(SERVICES.map(start));
log(`services up: ${SERVICES.map((s) => `${s} ${running.get(s)!.url}`).join(', ')}`);

// ------------------------------------------------------------------ the clients

interface Ack {
  service: Service;
  aggregate: string;
  command: string;
  eventIds: string[];
}
const acks: Ack[] = [];
const counts = { refused: 0, unanswered: 0, retries: 0, flows: 0 };
const refusals = new Map<string, number>();
const PROVIDERS = ['dept-public-security', 'dept-civil-affairs'] as const;
const REQUESTERS = ['dept-public-security', 'dept-civil-affairs', 'dept-human-resources'] as const;
const COMPETENT = 'dept-data-bureau';
const published: { entryId: string; provider: string }[] = [];
const tokens = new Map<string, string>();
const tokenOf = (dept: string) => tokens.get(dept) ?? tokens.set(dept, platform.token(dept, 12 * 3600)).get(dept)!;
const urlOf = async (service: Service): Promise<string> => {
  for (;;) {
    const svc = running.get(service);
    if (svc !== undefined) return svc.url;
    await sleep(200);
  }
};

/**
 * One command as a careful client sends it: one Idempotency-Key for all its attempts, retried on
 * no answer, 5xx and 409 in-progress (the same answer comes back once it committed), given up
 * after 3 minutes. A 2xx is an acknowledgement: its events must be everywhere, once.
 */
const command = async (service: Service, dept: string, aggregate: string, path: string, body: unknown = {}): Promise<boolean> => {
  const key = randomUUID();
  const until = Date.now() + 180000;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) counts.retries += 1;
    try {
      const res = await fetch(`${await urlOf(service)}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenOf(dept)}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10000),
      });
      const answer = (await res.json().catch(() => ({}))) as { eventIds?: string[]; code?: string };
      if (res.status < 300) {
        acks.push({ service, aggregate, command: path.replace(aggregate, '{id}'), eventIds: answer.eventIds ?? [] });
        return true;
      }
      const retry = res.status >= 500 || res.status === 429 || answer.code === 'GOV_ERR_IDEMPOTENCY_IN_PROGRESS';
      if (!retry) {
        counts.refused += 1;
        const why = `${path.replace(aggregate, '{id}')} ${res.status} ${answer.code ?? ''}`;
        refusals.set(why, (refusals.get(why) ?? 0) + 1);
        return false;
      }
    } catch {
      // no answer (killed, refused connection, timeout): retry with the same key
    }
    if (Date.now() > until) {
      counts.unanswered += 1;
      return false;
    }
    await sleep(Math.min(2000, 100 * 2 ** attempt));
  }
};

const get = async (service: Service, dept: string, path: string): Promise<{ status: number; body: Record<string, unknown> } | undefined> => {
  try {
    const res = await fetch(`${await urlOf(service)}${path}`, { headers: { authorization: `Bearer ${tokenOf(dept)}` }, signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  } catch {
    return undefined;
  }
};

/** A catalog entry's whole workflow: drafted, assessed twice, approved, submitted, then published or returned. */
const catalogFlow = async (): Promise<void> => {
  const provider = pick(PROVIDERS);
  const entryId = `ce-${randomUUID()}`;
  const content = conditionalContent({ name: `chaos entry ${entryId.slice(3, 11)}`, provider, sourceDepartment: provider });
  const steps: [string, string, unknown][] = [
    [provider, '/v1/entries', { entryId, content }],
    [provider, `/v1/entries/${entryId}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR-CHAOS', conclusion: 'no state secrets' }],
    [provider, `/v1/entries/${entryId}/assessments`, { kind: 'PERSONAL_INFORMATION', reference: 'PIA-CHAOS', conclusion: 'minimised' }],
    [provider, `/v1/entries/${entryId}/head-approval`, { approver: 'Director Wang' }],
    [provider, `/v1/entries/${entryId}/submission`, {}],
  ];
  for (const [dept, path, body] of steps) if (!(await command('catalog', dept, entryId, path, body))) return;
  if (random() < 0.8) {
    if (await command('catalog', COMPETENT, entryId, `/v1/entries/${entryId}/publication`)) published.push({ entryId, provider });
  } else {
    await command('catalog', COMPETENT, entryId, `/v1/entries/${entryId}/return`, { reasons: ['the data items need descriptions'] });
  }
};

const day = (offset: number) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

/** A share request on a published entry: drafted, approved inside, submitted, approved or refused by the provider. */
const requestFlow = async (): Promise<void> => {
  const entry = pick(published);
  const requester = pick(REQUESTERS.filter((d) => d !== entry.provider));
  // The request service learns the publication from the catalog topic: wait until its view has it.
  const until = Date.now() + 120000;
  while ((await get('request', requester, `/v1/requestable-entries/${entry.entryId}`))?.body['status'] !== 'PUBLISHED') {
    if (Date.now() > until || stopping) return;
    await sleep(500);
  }
  const shareId = `sr-${randomUUID()}`;
  const content = {
    entryId: entry.entryId, dataItems: ['citizen_id'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'eligibility checks', useScope: 'case officers',
    shareMethod: 'API', periodFrom: day(0), periodUntil: day(300), commitment: { genuine: true, lawful: true, necessary: true, secure: true },
  };
  const steps: [string, string, unknown][] = [
    [requester, '/v1/requests', { shareId, content }],
    [requester, `/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' }],
    [requester, `/v1/requests/${shareId}/submission`, {}],
    random() < 0.7
      ? [entry.provider, `/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang', conditions: 'case checks only', disposalRequirement: 'delete all copies' }]
      : [entry.provider, `/v1/requests/${shareId}/reply`, { decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'NOT_NECESSARY', detail: 'names suffice' }] }],
  ];
  for (const [dept, path, body] of steps) if (!(await command('request', dept, shareId, path, body))) return;
};

let workloadOn = true;
const clients = Array.from({ length: CLIENTS }, async () => {
  while (workloadOn) {
    counts.flows += 1;
    await (published.length > 0 && random() < 0.5 ? requestFlow() : catalogFlow());
  }
});

// ------------------------------------------------------------------ the kills

const killed = { services: 0, broker: 0, database: 0 };
// The broker and the database die at least once each, at seeded points of the run.
const brokerAt = new Set([Math.floor(KILLS * between(0.2, 0.45))]);
const databaseAt = new Set([Math.floor(KILLS * between(0.55, 0.8))]);
for (let extra = Math.floor(KILLS / 50); extra > 0; extra--) (random() < 0.5 ? brokerAt : databaseAt).add(Math.floor(random() * KILLS));
for (const i of databaseAt) brokerAt.delete(i);

/** An outage of the broker or the database: killed without goodbye, down a few seconds, started again. */
const outage = async (what: 'broker' | 'database'): Promise<void> => {
  const down = between(1000, 6000);
  log(`kill ${what} (${what === 'broker' ? 'SIGKILL' : 'immediate stop'}), down ${(down / 1000).toFixed(1)} s`);
  await infra(what === 'broker' ? 'kill-kafka' : 'kill-pg');
  await sleep(down);
  await infra('start');
  log(`${what} back`);
};

await sleep(3000); // some work in flight before the first kill
for (let i = 0; i < KILLS; i++) {
  await sleep(between(200, 2500));
  if (brokerAt.has(i) || databaseAt.has(i)) {
    await outage(brokerAt.has(i) ? 'broker' : 'database');
    killed[brokerAt.has(i) ? 'broker' : 'database'] += 1;
    continue;
  }
  const victims = SERVICES.filter((s) => running.has(s) && !starting.has(s));
  if (victims.length === 0) {
    i -= 1;
    continue;
  }
  const name = pick(victims);
  const svc = running.get(name)!;
  running.delete(name);
  svc.process.kill('SIGKILL');
  await svc.exited;
  killed.services += 1;
  log(`kill ${i + 1}/${KILLS}: SIGKILL ${name} (acknowledged so far: ${acks.length})`);
  void start(name);
}

// ------------------------------------------------------------------ quiescence

log('kills done; finishing the clients\' flows');
workloadOn = false;
await Promise.all(clients);
while (running.size < SERVICES.length) await sleep(200);

const kafka = createKafka({ clientId: 'chaos-check', brokers: BROKERS.split(','), logger: createLogger('chaos', 'silent') });
const db = await openDatabase({ url: DATABASE_URL, poolSize: 2 });
const ledgeredTopics = [topics.events(platform.id, 'catalog'), topics.events(platform.id, 'request'), topics.events(platform.id, 'directory')];
const topicRecords = async (): Promise<number> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let n = 0;
    for (const topic of ledgeredTopics) for (const p of await admin.fetchTopicOffsets(topic)) n += Number(p.high) - Number(p.low);
    return n;
  } finally {
    await admin.disconnect();
  }
};
const auditor = 'dept-audit-office';
const checkpoint = async () => (await get('audit', auditor, '/v1/ledger/checkpoint'))?.body as { size: number; rootHash: string } | undefined;
const quietBy = Date.now() + 300000;
for (let calm = 0; calm < 3; ) {
  const [outbox] = await db.query<{ n: string }>(`select (select count(*) from catalog.outbox) + (select count(*) from request.outbox) as n`);
  const [records, cp] = [await topicRecords(), await checkpoint()];
  calm = Number(outbox?.n) === 0 && cp !== undefined && cp.size >= records ? calm + 1 : 0;
  if (Date.now() > quietBy) {
    log(`not quiet after 5 minutes: outbox ${outbox?.n}, ${records} records on the topics, checkpoint ${cp?.size}`);
    break;
  }
  await sleep(1000);
}
log('quiet');

// ------------------------------------------------------------------ checks

const violations: string[] = [...selfExits];
const acknowledged = acks.flatMap((a) => a.eventIds.map((id) => ({ ...a, id })));

// On the topics: each record counted by its event id.
const onTopic = new Map<string, number>();
for (const topic of ledgeredTopics) {
  await readTopicRange(kafka, topic, (low) => low, (_p, m) => {
    const id = headersToStrings(m.headers)['ce_id']!;
    onTopic.set(id, (onTopic.get(id) ?? 0) + 1);
  });
}
// In the event stores.
const stored = new Set((await db.query<{ id: string }>(`select event_id::text as id from catalog.events union all select event_id::text from request.events`)).map((r) => r.id));
// In the ledger, page by page (the answer says where each page ended).
const inLedger = new Map<string, number>();
const ledgerSize = (await checkpoint())?.size ?? 0;
for (let start = 0; start < ledgerSize; ) {
  const page = await get('audit', auditor, `/v1/ledger/entries?start=${start}&end=${ledgerSize}`);
  const entries = (page?.body['entries'] ?? []) as { ceId: string; topic: string }[];
  if (page?.status !== 200 || entries.length === 0) {
    violations.push(`ledger entries from ${start} could not be read (${page?.status})`);
    break;
  }
  for (const e of entries) if (ledgeredTopics.includes(e.topic)) inLedger.set(e.ceId, (inLedger.get(e.ceId) ?? 0) + 1);
  start = Number(page.body['end']);
}

const lost = acknowledged.filter((a) => !stored.has(a.id) || !onTopic.has(a.id) || !inLedger.has(a.id));
const duplicatedOnTopic = [...onTopic].filter(([, n]) => n > 1);
const duplicatedInLedger = [...inLedger].filter(([, n]) => n > 1);
const notLedgered = [...onTopic.keys()].filter((id) => !inLedger.has(id));
for (const a of lost.slice(0, 10)) violations.push(`lost: ${a.service} ${a.command} on ${a.aggregate}, event ${a.id} (store ${stored.has(a.id)}, topic ${onTopic.has(a.id)}, ledger ${inLedger.has(a.id)})`);
for (const [id, n] of duplicatedOnTopic.slice(0, 10)) violations.push(`duplicated on the topic: event ${id} ${n} times`);
for (const [id, n] of duplicatedInLedger.slice(0, 10)) violations.push(`duplicated in the ledger: event ${id} ${n} times`);
for (const id of notLedgered.slice(0, 10)) violations.push(`on the topic but not in the ledger: event ${id}`);
if (new Set(acknowledged.map((a) => a.id)).size !== acknowledged.length) violations.push('two acknowledgements name the same event');

// Every read model equals a rebuild from the topics.
const registry = SchemaRegistry.fromDirectory(join(REPO_ROOT, 'schemas'));
const readModels: ReadModelSpec[] = [
  { schema: 'catalog', entities: [CatalogEntryView, CatalogEntryVersionView], migrations: catalogMigrations, projections: [{ topic: ledgeredTopics[0]!, projection: catalogProjection as never }], tables: ['entries', 'entry_versions'] },
  {
    schema: 'request', entities: [ShareView, RequestableEntryView, RequestableVersionView], migrations: requestMigrations,
    projections: [{ topic: ledgeredTopics[1]!, projection: requestProjection as never }, { topic: ledgeredTopics[0]!, projection: catalogViewProjection as never }],
    tables: ['shares', 'catalog_entries', 'catalog_entry_versions'],
  },
];
const projectionLines: string[] = [];
for (const spec of readModels) {
  for (const t of await compareWithRebuild({ databaseUrl: DATABASE_URL, kafka, registry, spec })) {
    const same = t.onlyLive.length === 0 && t.onlyRebuilt.length === 0;
    projectionLines.push(`${spec.schema}.${t.table}: ${t.live} rows, rebuilt ${t.rebuilt}${same ? ', equal' : ', DIFFERENT'}`);
    if (!same) violations.push(`read model ${spec.schema}.${t.table} differs from its rebuild: live only ${t.onlyLive.join(' | ').slice(0, 400)}; rebuilt only ${t.onlyRebuilt.join(' | ').slice(0, 400)}`);
  }
}

// The ledger replayed offline: exported, every signed root recomputed from the entries.
const exportDir = mkdtempSync(join(tmpdir(), 'govmesh-chaos-ledger-'));
const auditEnv = { ...process.env, ...testServiceEnv('audit', platform) };
const finalCheckpoint = await checkpoint();
let verifyLines: string[] = [];
try {
  await run(process.execPath, [join(REPO_ROOT, 'services/audit/src/cli/export.ts'), '--out', join(exportDir, 'ledger')], { env: auditEnv, cwd: REPO_ROOT, maxBuffer: 1 << 26 });
  const verified = await run(process.execPath, [join(REPO_ROOT, 'services/audit/src/cli/verify.ts'), join(exportDir, 'ledger')], { cwd: REPO_ROOT, maxBuffer: 1 << 26 }).catch((e: { stdout?: string; message: string }) => {
    violations.push(`offline verification of the exported ledger failed: ${e.stdout?.split('\n').filter((l) => l.startsWith('FAIL')).join('; ') ?? e.message}`);
    return { stdout: e.stdout ?? '' };
  });
  verifyLines = verified.stdout.split('\n').filter((l) => /^(PASS|FAIL) (checkpoints|roots|entries|completeness)/.test(l));
} catch (err) {
  violations.push(`ledger export failed: ${(err as Error).message.split('\n')[0]}`);
} finally {
  rmSync(exportDir, { recursive: true, force: true });
}

// ------------------------------------------------------------------ report, then clean up

const duplicated = duplicatedOnTopic.length + duplicatedInLedger.length;
console.log(`
chaos: seed ${SEED} (reproduce: npm run chaos -- --kills ${KILLS} --seed ${SEED} --clients ${CLIENTS})
  kill points survived   ${killed.services + killed.broker + killed.database} (services SIGKILLed ${killed.services}, broker killed ${killed.broker}, database killed ${killed.database})
  duration               ${((Date.now() - t0) / 1000).toFixed(0)} s
  commands acknowledged  ${acks.length} (${acknowledged.length} events; ${counts.flows} flows, ${counts.retries} retries, ${counts.refused} refused, ${counts.unanswered} given up)
  lost                   ${lost.length}
  duplicated             ${duplicated} (topic ${duplicatedOnTopic.length}, ledger ${duplicatedInLedger.length})
  topics                 ${onTopic.size} events; ledger ${ledgerSize} entries, ${inLedger.size} of them platform events
  ledger root            size ${finalCheckpoint?.size} root ${finalCheckpoint?.rootHash}
  offline replay         ${verifyLines.join('\n                         ') || '(none)'}
  read models            ${projectionLines.join('\n                         ')}
  services that exited by themselves: ${selfExits.length}${refusals.size > 0 ? `\n  refusals (4xx)         ${[...refusals].map(([k, n]) => `${k} x${n}`).join(', ')}` : ''}
${violations.length === 0 ? 'chaos: PASS' : `chaos: FAIL\n${violations.map((v) => `  - ${v}`).join('\n')}`}`);

stopping = true;
await db.close();
await Promise.all([...running.values()].map((s) => s.stop()));
if (args.keep) log(`kept instance "${args.instance}" (GOVMESH_INFRA_INSTANCE=${args.instance} bash scripts/infra remove deletes it)`);
else await infra('remove');
process.exit(violations.length === 0 ? 0 : 1);
