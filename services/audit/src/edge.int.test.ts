import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type kafkajs from 'kafkajs';
import { REPO_ROOT, SchemaRegistry } from '@govmesh/backbone';
import { assertProblem, rawAs, testPlatform, unboundedFields, type OpenApiDoc, type TestPlatform } from '@govmesh/backbone/testing';
import { restAs } from '../../catalog/src/testing.ts';
import type { AuditService } from './app.ts';
import { exportMain } from './cli/export.ts';
import { verifyMain } from './cli/verify.ts';
import { catalogEventRecord, ledgered, startTestAudit, testProducer } from './testing.ts';

// Issue 13 on the audit service, on the real stack: the ledger and the offline verifier read Avro
// strings strictly, and the ledger's REST edge refuses numbers the database cannot hold.
const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
let platform: TestPlatform;
let producer: kafkajs.Producer;
let svc: AuditService;
let env: Record<string, string>;
let topic: string;
const tmp = mkdtempSync(join(tmpdir(), 'audit-edge-'));

before(async () => {
  platform = testPlatform('ae');
  topic = `${platform.id}.alpha.events`;
  producer = await testProducer([topic]);
  ({ service: svc, env } = await startTestAudit({ platform }));
});
after(async () => {
  await svc?.stop();
  await producer?.disconnect();
});

const auditor = () => restAs(svc.httpUrl, platform.token('dept-audit-office'));
const raw = (path: string) => rawAs(svc.httpUrl, platform.token('dept-audit-office'))('GET', path);
const problem = assertProblem;

describe('audit edge (issue 13)', () => {
  test('EDGE: VER-09: an event whose Avro string holds invalid UTF-8 (a lone surrogate written as ED A0 80) is ledgered as undecodable and the offline verifier fails it, naming the entry (defect 3)', async () => {
    const good = catalogEventRecord(registry, platform.id, 'eu-1', 1, { approver: 'XYZ' });
    const bad = catalogEventRecord(registry, platform.id, 'eu-1', 2, { approver: 'XYZ' });
    const value = Buffer.from(bad.value as Buffer);
    const at = value.indexOf(Buffer.from('XYZ'));
    assert.ok(at > 0);
    Buffer.from([0xed, 0xa0, 0x80]).copy(value, at);
    await producer.send({ topic, acks: -1, messages: [good, { ...bad, value }] });
    await ledgered(svc, 2);
    const entries = (await auditor().get('/v1/ledger/entries?start=0&end=2')).body!['entries'] as { problem: string | null }[];
    assert.equal(entries[0]!.problem, null);
    assert.match(entries[1]!.problem ?? '', /not valid UTF-8/);
    assert.equal((await auditor().get('/v1/ledger/completeness')).body!['undecodable'], 1);

    const out = join(tmp, 'export');
    assert.equal(await exportMain(['--out', out], env, () => undefined), 0);
    const lines: string[] = [];
    assert.equal(await verifyMain([out], (l) => lines.push(l)), 1, lines.join('\n'));
    assert.ok(lines.some((l) => /^FAIL events: entry 1 \(.*\): cannot be read as an event: .*not valid UTF-8/.test(l)), lines.join('\n'));
    assert.equal(await verifyMain([out, '--accept-undecodable'], () => undefined), 0);
  });

  test('EDGE: VER-09: a record whose CloudEvents headers hold a NUL or invalid UTF-8 is ledgered and flagged, and the ledger keeps appending after it (defect 3)', async () => {
    const before = svc.ledger.size;
    const withHeader = (name: string, value: Buffer) => {
      const r = catalogEventRecord(registry, platform.id, 'eh-1', 1);
      return { ...r, headers: { ...r.headers, [name]: value } };
    };
    await producer.send({
      topic,
      acks: -1,
      messages: [
        withHeader('ce_subject', Buffer.from('eh-1\u0000x')),
        withHeader('ce_correlationid', Buffer.from([0x65, 0xed, 0xa0, 0x80])),
        withHeader('ce_id', Buffer.from('id\u0000')),
        catalogEventRecord(registry, platform.id, 'eh-2', 1),
      ],
    });
    await ledgered(svc, before + 4);
    // The ledger merges partitions: the good record may come first.
    const entries = (await auditor().get(`/v1/ledger/entries?start=${before}&end=${before + 4}`)).body!['entries'] as { problem: string | null }[];
    assert.deepEqual(entries.map((e) => e.problem?.replace(/.*: /, '') ?? 'ok').sort(), ['ce_correlationid', 'ce_id', 'ce_subject', 'ok'], JSON.stringify(entries.map((e) => e.problem)));
  });

  test('EDGE: checkpoint sizes, entry ranges and proof indices beyond what the database holds are 400 naming the parameter, not 500; a NUL in a lifecycle id or a ce_id is 400 (defects 3, 5)', async () => {
    for (const [path, field] of [
      ['/v1/ledger/checkpoints/99999999999999999999', 'params.size'],
      ['/v1/ledger/checkpoints/1e30', 'params.size'],
      ['/v1/ledger/entries?start=0&end=99999999999999999999', 'querystring.end'],
      ['/v1/ledger/entries?start=1e30&end=1e31', 'querystring.start'],
      ['/v1/ledger/proofs/inclusion?index=0&size=99999999999999999999', 'querystring.size'],
      ['/v1/ledger/proofs/consistency?from=1&to=1e300', 'querystring.to'],
      ['/v1/lifecycles/eu-1%00', 'params.correlationId'],
      ['/v1/ledger/proofs/inclusion?ceId=%00', 'querystring.ceId'],
    ] as const) {
      problem(await raw(path), 400, 'GOV_ERR_INPUT_INVALID', field);
    }
    // In range for the database but beyond the ledger: a client error, never a 500.
    for (const path of ['/v1/ledger/checkpoints/9007199254740991', '/v1/ledger/entries?start=9007199254740990&end=9007199254740991', '/v1/ledger/proofs/inclusion?index=0&size=9007199254740991', '/v1/ledger/proofs/consistency?from=1&to=9007199254740991']) {
      const r = await raw(path);
      assert.ok(r.status < 500, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
    }
  });

  test('EDGE: the published OpenAPI bounds every string, array and number of every ledger operation (defect 1)', async () => {
    const docs = await raw('/docs/json');
    assert.equal(docs.status, 200);
    assert.deepEqual(unboundedFields(JSON.parse(docs.text) as OpenApiDoc), []);
  });
});
