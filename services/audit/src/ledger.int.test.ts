import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import grpc from '@grpc/grpc-js';
import type kafkajs from 'kafkajs';
import { REPO_ROOT, SchemaRegistry, openDatabase, type Database } from '@govmesh/backbone';
import { stackEnv, testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import * as pb from '@govmesh/contracts/audit/v1';
import {
  formatCheckpoint, generateCosigner, generateSigner, leafHash, openCheckpoint, openNote, signNote, verifierFromVkey, verifyConsistency, verifyInclusion,
} from '@govmesh/ledger';
import { restAs } from '../../catalog/src/testing.ts';
import type { AuditService } from './app.ts';
import { exportMain } from './cli/export.ts';
import { verifyMain } from './cli/verify.ts';
import { formatAddCheckpoint } from './domain/witness.ts';
import { grantRuntimeRole } from './ledger/migrations.ts';
import { aggregateEvents, catalogEventRecord, ledgered, startTestAudit, testProducer } from './testing.ts';


// Real Kafka and PostgreSQL. The ledger is driven by records produced straight onto the platform's
// event topics, so every case (duplicates, garbage, new topics) can be staged exactly.
const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
let platform: TestPlatform;
let parentPlatform: TestPlatform;
let producer: kafkajs.Producer;
let svc: AuditService;
let parent: AuditService;
let env: Record<string, string>;
let db: Database;
const witnessKey = generateCosigner('govmesh.gov.cn/parent/witness');
let childKeyFile: string;
let childVkey: string;
let alpha: string;
let beta: string;
const tmp = mkdtempSync(join(tmpdir(), 'audit-int-'));

const auditor = () => restAs(svc.httpUrl, platform.token('dept-audit-office'));
const operator = () => restAs(svc.httpUrl, platform.token('dept-data-bureau'));
const requester = () => restAs(svc.httpUrl, platform.token('dept-civil-affairs'));
const send = (topic: string, messages: kafkajs.Message[]) => producer.send({ topic, acks: -1, messages });

before(async () => {
  platform = testPlatform('au');
  parentPlatform = testPlatform('ap');
  alpha = `${platform.id}.alpha.events`;
  beta = `${platform.id}.beta.events`;
  producer = await testProducer([alpha, beta, `${platform.id}.alpha.ingest`]);
  const child = generateSigner(`govmesh.gov.cn/${platform.id}/ledger`);
  childKeyFile = join(tmp, 'child.skey');
  writeFileSync(childKeyFile, child.skey);
  childVkey = child.vkey;
  const witnessSeed = join(tmp, 'witness.seed');
  writeFileSync(witnessSeed, witnessKey.seed.toString('hex'));
  ({ service: svc, env } = await startTestAudit({ platform, keyFile: childKeyFile, env: { WITNESS_VKEYS: witnessKey.vkey } }));
  ({ service: parent } = await startTestAudit({ platform: parentPlatform, env: { WITNESS_KEY_FILE: witnessSeed, WITNESS_NAME: witnessKey.name, WITNESS_LOGS: childVkey } }));
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
});

after(async () => {
  await svc?.stop();
  await parent?.stop();
  await producer?.disconnect();
  await db?.close();
});

describe('ingest', () => {
  test('VER-09: every record is ledgered exactly once; a re-sent ce_id is recorded as seen again; a replaying consumer changes nothing', async () => {
    const batches = aggregateEvents(registry, platform.id, 'ea', 6, 5);
    for (const b of batches) await send(alpha, b);
    await send(beta, aggregateEvents(registry, platform.id, 'eb', 4, 2).flat());
    // The outbox relay is at-least-once: the same event (same ce_id, same bytes) arrives again.
    await send(alpha, [batches[1]![2]!, batches[3]![0]!]);
    const size = await ledgered(svc, 38);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(svc.ledger.size, 38, 'the two re-sends are not appended');
    const c = (await auditor().get('/v1/ledger/completeness')).body!;
    assert.equal(c['seenAgain'], 2);
    assert.deepEqual(c['gaps'], []);
    assert.equal(c['undecodable'], 0);
    const root = svc.ledger.tree.root();

    // A second instance on the same ledger with a brand-new consumer group reads the topics from the beginning.
    await svc.stop();
    ({ service: svc } = await startTestAudit({ platform, schema: svc.schema, keyFile: childKeyFile, env: { WITNESS_VKEYS: witnessKey.vkey } }));
    await waitFor('the replayed consumer to catch up', async () => {
      const w = (await auditor().get('/v1/ledger/completeness')).body!['partitions'] as { topic: string; nextOffset: string }[];
      return w.filter((p) => p.topic === alpha).reduce((n, p) => n + Number(p.nextOffset), 0) === 32;
    });
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(svc.ledger.size, size);
    assert.deepEqual(svc.ledger.tree.root(), root, 'bit-identical ledger');
    assert.equal((await auditor().get('/v1/ledger/completeness')).body!['seenAgain'], 2, 'replayed duplicates are not recorded twice');
  });

  test('records that are not CloudEvents with an Avro body are ledgered too, flagged, and the verifier reports them', async () => {
    const before = svc.ledger.size;
    await send(alpha, [
      { key: 'garbage', value: Buffer.from('{"not":"avro"}') },
      { key: 'unknown-schema', value: Buffer.concat([Buffer.from([0xc3, 0x01]), randomBytes(12)]), headers: catalogEventRecord(registry, platform.id, 'x', 1).headers! },
    ]);
    await ledgered(svc, before + 2);
    const entries = (await auditor().get(`/v1/ledger/entries?start=${before}&end=${before + 2}`)).body!['entries'] as { problem: string | null; ceId: string; data: unknown }[];
    assert.match(entries.map((e) => e.problem).join('|'), /missing CloudEvents headers: ce_id.*\|.*unknown schema fingerprint/);
    assert.equal((await auditor().get('/v1/ledger/completeness')).body!['undecodable'], 2);
    // /metrics says the same, from memory (honest operations, issue 13).
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(Number(/^govmesh_ledger_records\{[^}]*kind="undecodable"[^}]*\} (\S+)$/m.exec(metrics)?.[1]), 2, metrics);
    assert.equal(Number(/^govmesh_ledger_records\{[^}]*kind="seen_again"[^}]*\} (\S+)$/m.exec(metrics)?.[1]), 2);
    assert.equal(gauge('govmesh_ledger_size'), svc.ledger.size);
    assert.ok(gauge('govmesh_ledger_checkpoint_age_seconds') >= -1 && gauge('govmesh_ledger_checkpoint_size') <= svc.ledger.size);
    const out = join(tmp, 'undecodable');
    assert.equal(await exportMain(['--out', out], env, () => undefined), 0);
    const lines: string[] = [];
    assert.equal(await verifyMain([out], (l) => lines.push(l)), 1);
    assert.ok(lines.some((l) => new RegExp(`^FAIL events: entry ${before} \\(${alpha}/\\d/\\d+, ce_id -\\): cannot be read as an event: missing CloudEvents headers`).test(l)), lines.join('\n'));
    assert.equal(await verifyMain([out, '--accept-undecodable'], () => undefined), 0);
  });

  test('a new event topic is picked up without a restart; ingest, dead-letter, redelivery and checkpoint topics are not ledgered', async () => {
    const gamma = `${platform.id}.gamma.events`;
    const p2 = await testProducer([gamma, `${gamma}.dlq`, `${gamma}.redelivery`]);
    await p2.send({ topic: gamma, messages: [catalogEventRecord(registry, platform.id, 'eg-1', 1)] });
    await p2.send({ topic: `${gamma}.dlq`, messages: [catalogEventRecord(registry, platform.id, 'eg-dlq', 1)] });
    await p2.send({ topic: `${gamma}.redelivery`, messages: [catalogEventRecord(registry, platform.id, 'eg-redelivery', 1)] });
    await p2.send({ topic: `${platform.id}.alpha.ingest`, messages: [catalogEventRecord(registry, platform.id, 'eg-ingest', 1)] });
    await p2.disconnect();
    await waitFor('gamma ledgered', async () => svc.ingest.topics.includes(gamma) && (await auditor().get('/v1/lifecycles/eg-1')).status === 200, 20000);
    assert.equal((await auditor().get('/v1/lifecycles/eg-dlq')).status, 404);
    assert.equal((await auditor().get('/v1/lifecycles/eg-redelivery')).status, 404, 'a redelivered dead letter is never ledgered twice');
    assert.equal((await auditor().get('/v1/lifecycles/eg-ingest')).status, 404);
    assert.ok(!svc.ingest.topics.some((t) => t.endsWith('.checkpoints')));
  });
});

describe('checkpoints and proofs', () => {
  test('every entry has an inclusion proof and every older checkpoint a consistency proof that verify against the signed checkpoint', async () => {
    const cpRes = await requester().get('/v1/ledger/checkpoint');
    assert.equal(cpRes.status, 200);
    const { checkpoint } = openCheckpoint(cpRes.body!['note'], [verifierFromVkey(childVkey)], `govmesh.gov.cn/${platform.id}/ledger`);
    assert.equal(cpRes.body!['vkey'], childVkey);
    const size = checkpoint.size;
    const entries = (await auditor().get(`/v1/ledger/entries?start=0&end=${size}`)).body!['entries'] as { index: number; leaf: string; leafHash: string; ceId: string }[];
    assert.equal(entries.length, size);
    for (const e of entries) {
      assert.deepEqual(leafHash(Buffer.from(e.leaf, 'base64')).toString('base64'), e.leafHash, 'the leaf hash is the RFC 6962 hash of the leaf');
      const p = (await requester().get(`/v1/ledger/proofs/inclusion?index=${e.index}&size=${size}`)).body!;
      verifyInclusion(leafHash(Buffer.from(e.leaf, 'base64')), e.index, size, (p['hashes'] as string[]).map((h) => Buffer.from(h, 'base64')), checkpoint.rootHash);
    }
    const byCeId = (await requester().get(`/v1/ledger/proofs/inclusion?ceId=${entries[3]!.ceId}`)).body!;
    assert.equal(byCeId['index'], 3);
    for (const from of [1, 7, Math.floor(size / 2)]) {
      const old = await svc.ledger.rootAt(from);
      const p = (await requester().get(`/v1/ledger/proofs/consistency?from=${from}&to=${size}`)).body!;
      verifyConsistency(from, size, (p['hashes'] as string[]).map((h) => Buffer.from(h, 'base64')), old, checkpoint.rootHash);
    }
    const bad = await requester().get(`/v1/ledger/proofs/inclusion?index=${size + 1000}&size=${size}`);
    assert.equal(bad.status, 400);
    assert.equal((await requester().get('/v1/ledger/entries?start=0&end=1')).status, 403, 'entries need the auditor role');
    assert.equal((await fetch(`${svc.httpUrl}/v1/ledger/checkpoint`)).status, 401);
  });

  test('gRPC: checkpoint, proofs and lifecycle; wrong role is PERMISSION_DENIED', async () => {
    const client = new pb.AuditServiceClient(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = (dept: string) => {
      const m = new grpc.Metadata();
      m.set('authorization', `Bearer ${platform.token(dept)}`);
      return m;
    };
    const call = <Res>(method: string, req: unknown, dept = 'dept-audit-office') =>
      new Promise<{ err: grpc.ServiceError | null; res: Res }>((resolve) =>
        (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method]!.call(client, req, md(dept), (err, res) => resolve({ err, res })),
      );
    const cp = await call<pb.GetCheckpointResponse>('getCheckpoint', {});
    assert.equal(cp.err, null);
    const size = Number(cp.res.checkpoint!.size);
    const proof = await call<pb.GetInclusionProofResponse>('getInclusionProof', { index: '2', ceId: '', treeSize: '0' });
    verifyInclusion(proof.res.leafHash, 2, size, proof.res.hashes, cp.res.checkpoint!.rootHash);
    const cons = await call<pb.GetConsistencyProofResponse>('getConsistencyProof', { fromSize: '5', toSize: String(size) });
    verifyConsistency(5, size, cons.res.hashes, await svc.ledger.rootAt(5), cp.res.checkpoint!.rootHash);
    const lc = await call<pb.GetLifecycleResponse>('getLifecycle', { correlationId: 'ea-0', withProofs: true });
    assert.equal(lc.err, null);
    assert.deepEqual(lc.res.timeline.map((t) => t.sequence), ['1', '2', '3', '4', '5']);
    assert.equal(lc.res.timeline[0]!.inclusionProof.length > 0, true);
    const denied = await call<pb.ListEntriesResponse>('listEntries', { start: '0', end: '2' }, 'dept-civil-affairs');
    assert.equal(denied.err?.code, grpc.status.PERMISSION_DENIED);
    client.close();
  });

  test('append-only: UPDATE, DELETE and TRUNCATE are refused on ledger tables; the watermark only moves forward; a runtime role gets no UPDATE/DELETE', async () => {
    const s = svc.schema;
    for (const sql of [`update ${s}.entries set ce_type = 'forged' where idx = 0`, `delete from ${s}.entries where idx = 0`, `truncate ${s}.entries cascade`, `update ${s}.checkpoints set note = ''`, `delete from ${s}.seen_again`, `update ${s}.checkpoints set size = size + 1000`]) {
      await assert.rejects(db.query(sql), /append-only/, sql);
    }
    await assert.rejects(db.query(`update ${s}.partitions set next_offset = 0 where next_offset > 0`), /may only move forward/);
    await assert.rejects(db.query(`delete from ${s}.partitions`), /never removed/);
    const role = `audit_rt_${randomBytes(3).toString('hex')}`;
    await db.query(`create role ${role} nologin`);
    try {
      await grantRuntimeRole(db, s, role);
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`set local role ${role}`);
          assert.ok(Number((await tx.query<{ n: string }>(`select count(*) as n from ${s}.entries`))[0]!.n) > 0, 'it reads');
          await tx.query(`update ${s}.entries set late = true where idx = 0`);
        }),
        /permission denied/,
      );
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`set local role ${role}`);
          await tx.query(`truncate ${s}.checkpoints cascade`);
        }),
        /permission denied|must be owner/,
      );
    } finally {
      await db.query(`drop owned by ${role}`);
      await db.query(`drop role ${role}`);
    }
  });
});

describe('witnessing (C2SP tlog-witness)', () => {
  test('PLT-01: the parent platform cosigns the child checkpoint, refuses a stale size (409) and a bad proof (422), and ledgers what it witnessed', async () => {
    const witnessUrl = `${parent.httpUrl}/tlog-witness/add-checkpoint`;
    const post = async (body: string) => {
      const r = await fetch(witnessUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
    };
    const first = (await requester().get('/v1/ledger/checkpoint')).body!;
    const r1 = await post(formatAddCheckpoint(0, [], first['note']));
    assert.equal(r1.status, 200, r1.text);
    assert.match(r1.text, /^— govmesh\.gov\.cn\/parent\/witness /);

    // The child stores the cosignature and serves it with the checkpoint.
    const stored = await operator().post('/v1/ledger/cosignatures', { note: first['note'] + r1.text });
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    assert.equal(stored.body!['accepted'], 1);
    const served = (await requester().get(`/v1/ledger/checkpoints/${first['size']}`)).body!['note'] as string;
    assert.equal(openNote(served, [verifierFromVkey(childVkey), witnessKey.cosigner.verifier()]).verified.length, 2);
    const forged = first['note'] + r1.text.replace(/.{6}\n$/, 'AAAAAA\n');
    assert.equal((await operator().post('/v1/ledger/cosignatures', { note: forged })).status, 400);

    await send(beta, [catalogEventRecord(registry, platform.id, 'ew-1', 1)]);
    await waitFor('a newer checkpoint', async () => svc.checkpointer.latestSize > first['size']);
    const second = (await requester().get('/v1/ledger/checkpoint')).body!;
    const stale = await post(formatAddCheckpoint(0, [], second['note']));
    assert.deepEqual([stale.status, stale.type, stale.text], [409, 'text/x.tlog.size', `${first['size']}\n`]);
    const proof = (await requester().get(`/v1/ledger/proofs/consistency?from=${first['size']}&to=${second['size']}`)).body!['hashes'] as string[];
    const tampered = [...proof];
    tampered[0] = Buffer.alloc(32, 7).toString('base64');
    assert.equal((await post(formatAddCheckpoint(first['size'], tampered.map((h) => Buffer.from(h, 'base64')), second['note']))).status, 422);
    const ok = await post(formatAddCheckpoint(first['size'], proof.map((h) => Buffer.from(h, 'base64')), second['note']));
    assert.equal(ok.status, 200, ok.text);
    // An impostor's checkpoint for the same origin is refused.
    const impostor = generateSigner(`govmesh.gov.cn/${platform.id}/ledger`);
    const fake = signNote(formatCheckpoint({ origin: impostor.name, size: second['size'] + 1, rootHash: Buffer.alloc(32) }), impostor.signer);
    assert.equal((await post(formatAddCheckpoint(second['size'], [], fake))).status, 403);

    // What the parent witnessed is an event on its own topic, hence in its own ledger.
    const witnessed = await waitFor('the parent ledgers its witness events', async () => {
      const l = await restAs(parent.httpUrl, parentPlatform.token('dept-audit-office')).get(`/v1/lifecycles/${encodeURIComponent(`govmesh.gov.cn/${platform.id}/ledger`)}`);
      return l.status === 200 && (l.body!['timeline'] as unknown[]).length === 2 ? l.body! : undefined;
    });
    const t = witnessed['timeline'] as { type: string; keyFields: Record<string, unknown> }[];
    assert.deepEqual(t.map((x) => [x.type, x.keyFields['treeSize'], x.keyFields['previousSize']]), [
      ['ChildCheckpointWitnessed', first['size'], 0],
      ['ChildCheckpointWitnessed', second['size'], first['size']],
    ]);
  });
});
