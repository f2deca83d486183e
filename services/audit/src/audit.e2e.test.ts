import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ControlledClock, headersToStrings, uuidv7 } from '@govmesh/backbone';
import { readTopic, stackEnv, testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import { leafHash, openCheckpoint, verifierFromVkey, verifyInclusion } from '@govmesh/ledger';
import type { CatalogService } from '../../catalog/src/app.ts';
import { publishOverRest, restAs, startTestCatalog } from '../../catalog/src/testing.ts';
import type { RequestService } from '../../request/src/app.ts';
import { startTestRequest } from '../../request/src/testing.ts';
import type { AuditService } from './app.ts';
import { exportMain } from './cli/export.ts';
import { FILES } from './cli/export-format.ts';
import { verifyMain } from './cli/verify.ts';
import { startTestAudit } from './testing.ts';

// The whole mesh on the real stack: catalog, request and audit services in-process on one fresh
// platform. The audit service knows the others only through their topics.
const VERIFY = fileURLToPath(new URL('./cli/verify.ts', import.meta.url));
const clock = new ControlledClock('2026-09-21T09:00:00+08:00');
const tmp = mkdtempSync(join(tmpdir(), 'audit-e2e-'));
let platform: TestPlatform;
let catalog: CatalogService;
let request: RequestService;
let audit: AuditService;
let env: Record<string, string>;
let entryId: string;
let shareId: string;

const auditor = () => restAs(audit.httpUrl, platform.token('dept-audit-office'));
const as = (dept: string) => restAs(request.httpUrl, platform.token(dept));
const ok = <T extends { status: number; body?: unknown }>(r: T): T => {
  assert.ok(r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  return r;
};
const lifecycleOf = (id: string, events: number) =>
  waitFor(`${events} events of ${id} ledgered`, async () => {
    const r = await auditor().get(`/v1/lifecycles/${id}`);
    return r.status === 200 && r.body!['events'] === events && r.body!['checkpoint']?.['size'] > Math.max(...(r.body!['timeline'] as { index: number }[]).map((t) => t.index)) ? r.body! : undefined;
  }, 30000);

before(async () => {
  platform = testPlatform('ae');
  ({ service: catalog } = await startTestCatalog({ clock, platform }));
  ({ service: request } = await startTestRequest({ clock, platform }));
  ({ service: audit, env } = await startTestAudit({ platform }));
});

after(async () => {
  await audit?.stop();
  await request?.stop();
  await catalog?.stop();
});

describe('the ledger of a platform', () => {
  test('VER-09, REC-01: every event on the platform topics is ledgered once, and the entry lifecycle is rebuilt over REST with proofs', async () => {
    entryId = `ce-${uuidv7()}`;
    await publishOverRest(catalog, platform, entryId);
    const l = await lifecycleOf(entryId, 6);
    assert.deepEqual(
      (l['timeline'] as { type: string; service: string; sequence: string }[]).map((t) => `${t.service}:${t.type}:v${t.sequence}`),
      ['CatalogEntryDrafted', 'CatalogAssessmentRecorded', 'CatalogAssessmentRecorded', 'CatalogEntryHeadApproved', 'CatalogEntrySubmitted', 'CatalogEntryPublished'].map((t, i) => `catalog:${t}:v${i + 1}`),
    );
    assert.deepEqual(l['finalState'].map((s: { service: string; status: string }) => [s.service, s.status]), [['catalog', 'PUBLISHED']]);
    // Every proof leads to the signed checkpoint.
    const cp = openCheckpoint(l['checkpoint']['note'], [verifierFromVkey(audit.vkey)], audit.origin).checkpoint;
    const entries = (await auditor().get(`/v1/ledger/entries?start=0&end=${cp.size}`)).body!['entries'] as { index: number; leaf: string; ceId: string; topic: string }[];
    for (const t of l['timeline'] as { index: number }[]) {
      verifyInclusion(leafHash(Buffer.from(entries[t.index]!.leaf, 'base64')), t.index, cp.size, (l['proofs'][t.index] as string[]).map((h) => Buffer.from(h, 'base64')), cp.rootHash);
    }
    // Every record on the catalog and directory topics is in the ledger, once.
    for (const topic of [`${platform.id}.catalog.events`, `${platform.id}.directory.events`]) {
      const onTopic = (await readTopic(stackEnv().KAFKA_BROKERS, topic)).map((m) => headersToStrings(m.headers)['ce_id']!).sort();
      const ledgered = await waitFor(`${topic} fully ledgered`, async () => {
        const all = (await auditor().get(`/v1/ledger/entries?start=0&end=${audit.ledger.size}`)).body!['entries'] as { ceId: string; topic: string }[];
        const mine = all.filter((e) => e.topic === topic).map((e) => e.ceId).sort();
        return mine.length >= onTopic.length ? mine : undefined;
      });
      assert.deepEqual(ledgered, onTopic);
    }
  });

  test('a share requested and replied to: its lifecycle spans the request and catalog services, linked by the entry it names', async () => {
    await waitFor('the entry in the request service view', async () => {
      const r = await as('dept-civil-affairs').get(`/v1/requestable-entries/${entryId}`);
      return r.status === 200 && r.body!['status'] === 'PUBLISHED';
    });
    shareId = `sr-${uuidv7()}`;
    const requester = as('dept-civil-affairs');
    ok(await requester.post('/v1/requests', {
      shareId,
      content: {
        entryId, dataItems: ['citizen_id'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'minimum living allowance checks', useScope: 'case officers',
        shareMethod: 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
      },
    }));
    ok(await requester.post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' }));
    ok(await requester.post(`/v1/requests/${shareId}/submission`));
    ok(await as('dept-public-security').post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang', conditions: 'case checks only', disposalRequirement: 'delete all copies' }));
    const l = await lifecycleOf(shareId, 10);
    assert.deepEqual(l['linked'], [entryId]);
    const request = (l['timeline'] as { service: string; type: string }[]).filter((t) => t.service === 'request').map((t) => t.type);
    assert.deepEqual(request, ['ShareRequestDrafted', 'ShareRequestInternallyApproved', 'ShareRequestSubmitted', 'ShareRequestApproved']);
    assert.deepEqual(l['finalState'].map((s: { service: string; status: string }) => [s.service, s.status]), [['catalog', 'PUBLISHED'], ['request', 'APPROVED']]);
    const indices = (l['timeline'] as { index: number }[]).map((t) => t.index);
    assert.deepEqual(indices, [...indices].sort((a, b) => a - b), 'the timeline is in ledger order');
  });

  test('export and offline verification: the verifier proves the ledger and prints the share lifecycle, in-process and as a child process', async () => {
    await waitFor('a checkpoint covering everything', async () => audit.checkpointer.latestSize === audit.ledger.size && audit.ingest.pending === 0);
    const out = join(tmp, 'export');
    assert.equal(await exportMain(['--out', out], env, () => undefined), 0);
    const lines: string[] = [];
    const code = await verifyMain([out, '--lifecycle', shareId, '--inclusion', 'all'], (l) => lines.push(l));
    assert.equal(code, 0, lines.join('\n'));
    for (const check of ['files', 'checkpoints', 'consistency', 'entries', 'roots', 'inclusion', 'completeness', 'events']) {
      assert.ok(lines.some((l) => l.startsWith(`PASS ${check}:`)), `${check}\n${lines.join('\n')}`);
    }
    assert.ok(lines.includes(`lifecycle ${shareId} (request): 10 events, linked ${entryId}`), lines.join('\n'));
    assert.ok(lines.some((l) => /^ {2}#\d+ .* request ShareRequestApproved v4 .* -> APPROVED \[included\]/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^ {4}request: APPROVED after ShareRequestApproved at \S+ \(entry \d+\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^ {4}catalog: PUBLISHED after CatalogEntryPublished/.test(l)), lines.join('\n'));

    // As an auditor runs it: a child process, no database, no network; same output, exit code 0.
    const run = promisify(execFile);
    const child = await run(process.execPath, [VERIFY, out, '--lifecycle', shareId, '--inclusion', 'all']);
    assert.equal(child.stdout, `${lines.join('\n')}\n`, 'deterministic output');
    // A changed entry: exit code 1, the entry named.
    const bad = join(tmp, 'tampered');
    cpSync(out, bad, { recursive: true });
    const bin = readFileSync(join(bad, FILES.entries));
    bin[bin.length - 40] = bin[bin.length - 40]! ^ 0xff;
    writeFileSync(join(bad, FILES.entries), bin);
    const failed = await run(process.execPath, [VERIFY, bad]).then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, new RegExp(`FAIL entries: entry ${audit.checkpointer.latestSize - 1}\\b`));
  });
});
