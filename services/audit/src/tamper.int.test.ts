import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type kafkajs from 'kafkajs';
import { REPO_ROOT, SchemaRegistry, openDatabase, type Database } from '@govmesh/backbone';
import { stackEnv, testPlatform, type TestPlatform } from '@govmesh/backbone/testing';
import { HASH_SIZE } from '@govmesh/ledger';
import type { AuditService } from './app.ts';
import { exportMain } from './cli/export.ts';
import { FILES } from './cli/export-format.ts';
import { verifyMain } from './cli/verify.ts';
import { ledgerRecord } from './domain/record.ts';
import { aggregateEvents, ledgered, startTestAudit, testProducer } from './testing.ts';

// Tampering with a ledger, in the database or in an export, must make the verifier fail and name
// the entry. Four ledgers are built from the same topics (each its own schema and consumer
// group), which also shows that rebuilding a ledger from the topics gives the same root.
const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
const tmp = mkdtempSync(join(tmpdir(), 'audit-tamper-'));
const TOTAL = 38;
let platform: TestPlatform;
let producer: kafkajs.Producer;
let db: Database;
const ledgers: { svc: AuditService; env: Record<string, string> }[] = [];
let clean: string;

const run = async (dir: string, ...args: string[]) => {
  const lines: string[] = [];
  const code = await verifyMain([dir, ...args], (l) => lines.push(l));
  return { code, lines, text: lines.join('\n') };
};

const exportOf = async (env: Record<string, string>, name: string) => {
  const out = join(tmp, name);
  assert.equal(await exportMain(['--out', out], env, () => undefined), 0);
  return out;
};

const copy = (name: string) => {
  const dir = join(tmp, name);
  cpSync(clean, dir, { recursive: true });
  return dir;
};

/** entries.bin as a list of records (leaf + chain hash), and back. */
const entriesOf = (dir: string) => {
  const buf = readFileSync(join(dir, FILES.entries));
  const out: { leaf: Buffer; chain: Buffer }[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const len = buf.readUInt32BE(pos);
    out.push({ leaf: Buffer.from(buf.subarray(pos + 4, pos + 4 + len)), chain: Buffer.from(buf.subarray(pos + 4 + len, pos + 4 + len + HASH_SIZE)) });
    pos += 4 + len + HASH_SIZE;
  }
  return out;
};
const writeEntries = (dir: string, entries: { leaf: Buffer; chain: Buffer }[]) => {
  writeFileSync(
    join(dir, FILES.entries),
    Buffer.concat(
      entries.flatMap((e) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(e.leaf.length);
        return [len, e.leaf, e.chain];
      }),
    ),
  );
};
const label = (leaf: Buffer, index: number) => {
  const r = ledgerRecord(leaf);
  return `entry ${index} (${r.topic}/${r.partition}/${r.offset}, ce_id ${r.ceId})`;
};
/** Flips one byte of the Avro body (inside field 15), keeping the leaf well-formed. */
const flipValueByte = (leaf: Buffer): Buffer => {
  const r = ledgerRecord(leaf);
  const copy = Buffer.from(leaf);
  const at = copy.indexOf(r.value) + r.value.length - 1;
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

before(async () => {
  platform = testPlatform('at');
  const alpha = `${platform.id}.alpha.events`;
  const beta = `${platform.id}.beta.events`;
  producer = await testProducer([alpha, beta]);
  const batches = aggregateEvents(registry, platform.id, 'ta', 6, 5);
  for (const b of batches) await producer.send({ topic: alpha, acks: -1, messages: b });
  await producer.send({ topic: beta, acks: -1, messages: aggregateEvents(registry, platform.id, 'tb', 4, 2).flat() });
  await producer.send({ topic: alpha, acks: -1, messages: [batches[2]![1]!] });
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
  const keyFile = join(tmp, 'ledger.skey');
  for (let i = 0; i < 4; i++) {
    const { service, env } = await startTestAudit({ platform, keyFile });
    ledgers.push({ svc: service, env });
  }
  await Promise.all(ledgers.map((l) => ledgered(l.svc, TOTAL)));
  await new Promise((r) => setTimeout(r, 400));
  for (const l of ledgers) await l.svc.stop();
  clean = await exportOf(ledgers[0]!.env, 'clean');
});

after(async () => {
  for (const l of ledgers) await l.svc.stop();
  await producer?.disconnect();
  await db?.close();
});

describe('a clean ledger', () => {
  test('T9: four ledgers built from the same topics have the same size and root, and the clean export verifies', async () => {
    const roots = ledgers.map((l) => `${l.svc.ledger.size}:${l.svc.ledger.tree.root().toString('hex')}`);
    assert.equal(new Set(roots).size, 1, roots.join('\n'));
    assert.equal(ledgers[0]!.svc.ledger.size, TOTAL);
    const r = await run(clean);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /PASS completeness: .* 1 duplicates explained/);
  });
});

describe('tampering with an export', () => {
  test('a changed entry fails the hash chain and its checkpoint root, naming the entry', async () => {
    const dir = copy('changed');
    const entries = entriesOf(dir);
    entries[10] = { ...entries[10]!, leaf: flipValueByte(entries[10]!.leaf) };
    writeEntries(dir, entries);
    const r = await run(dir);
    assert.equal(r.code, 1);
    assert.ok(r.lines.includes(`FAIL entries: ${label(entries[10]!.leaf, 10)}: breaks the hash chain recorded at ingest (this entry or the one before it was changed, removed or moved)`), r.text);
    assert.match(r.text, /FAIL roots: checkpoint \d+: entries \d+\.\.\d+ do not hash to its signed root; the hash chain first breaks at entry 10/);
    assert.match(r.text, /FAIL files: entries\.bin differs from the manifest/);
  });

  test('a removed entry is a gap naming topic, partition and offset, and a missing aggregate version', async () => {
    const dir = copy('removed');
    const entries = entriesOf(dir);
    const gone = ledgerRecord(entries[12]!.leaf);
    writeEntries(dir, entries.filter((_, i) => i !== 12));
    const r = await run(dir);
    assert.equal(r.code, 1);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL completeness: ${gone.topic}/${gone.partition}: offset ${gone.offset} missing before entry`)), r.text);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL completeness: aggregate ${gone.ceSubject} on ${gone.topic}: version ${gone.sequence} missing`)), r.text);
    assert.match(r.text, /FAIL roots: the export has 37 entries but checkpoint 38 covers 38/);
  });

  test('two swapped entries break the ledger order and the chain, naming them', async () => {
    const dir = copy('swapped');
    const entries = entriesOf(dir);
    // Two neighbours on different partitions.
    let i = 5;
    while (ledgerRecord(entries[i]!.leaf).partition === ledgerRecord(entries[i + 1]!.leaf).partition || ledgerRecord(entries[i]!.leaf).topic !== ledgerRecord(entries[i + 1]!.leaf).topic) i++;
    [entries[i], entries[i + 1]] = [entries[i + 1]!, entries[i]!];
    writeEntries(dir, entries);
    const r = await run(dir);
    assert.equal(r.code, 1);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL completeness: ${label(entries[i + 1]!.leaf, i + 1)} is out of ledger order: it sorts before entry ${i}`)), r.text);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL entries: ${label(entries[i]!.leaf, i)}: breaks the hash chain`)), r.text);
  });

  test('a dropped duplicate record leaves its offset unexplained; a forged checkpoint root fails its signature', async () => {
    const dir = copy('nodup');
    const dup = JSON.parse(readFileSync(join(dir, FILES.seenAgain), 'utf8').trim()) as { topic: string; partition: number; offset: string };
    writeFileSync(join(dir, FILES.seenAgain), '');
    const lines = readFileSync(join(dir, FILES.checkpoints), 'utf8').trim().split('\n');
    const first = JSON.parse(lines[0]!) as { size: number; note: string };
    const body = first.note.split('\n');
    body[2] = Buffer.alloc(32, 1).toString('base64');
    lines[0] = JSON.stringify({ size: first.size, note: body.join('\n') });
    writeFileSync(join(dir, FILES.checkpoints), `${lines.join('\n')}\n`);
    const r = await run(dir);
    assert.equal(r.code, 1);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL completeness: ${dup.topic}/${dup.partition}: offset ${dup.offset} missing`)), r.text);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL checkpoints: checkpoint ${first.size}: invalid signature`)), r.text);
  });
});

describe('tampering with the database (triggers disabled by a superuser)', () => {
  const tamper = (schema: string, sql: string[]) =>
    db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
      for (const q of sql) await tx.query(q);
    });

  test('a row whose leaf was changed is named by the verifier', async () => {
    const { svc, env } = ledgers[1]!;
    const s = svc.schema;
    const [row] = await db.query<{ leaf: Buffer }>(`select leaf from ${s}.entries where idx = 5`);
    const forged = flipValueByte(row!.leaf);
    await tamper(s, [`update ${s}.entries set leaf = '\\x${forged.toString('hex')}' where idx = 5`]);
    const r = await run(await exportOf(env, 'db-changed'));
    assert.equal(r.code, 1);
    assert.ok(r.lines.includes(`FAIL entries: ${label(forged, 5)}: breaks the hash chain recorded at ingest (this entry or the one before it was changed, removed or moved)`), r.text);
    assert.match(r.text, /FAIL roots: checkpoint \d+: entries 0\.\.\d+ do not hash to its signed root; the hash chain first breaks at entry 5/);
  });

  test('a deleted row is a gap naming topic, partition and offset; the service refuses to run on the damaged ledger', async () => {
    const { svc, env } = ledgers[2]!;
    const s = svc.schema;
    const [row] = await db.query<{ leaf: Buffer }>(`select leaf from ${s}.entries where idx = 20`);
    const gone = ledgerRecord(row!.leaf);
    await tamper(s, [`delete from ${s}.entries where idx = 20`]);
    const r = await run(await exportOf(env, 'db-deleted'));
    assert.equal(r.code, 1);
    assert.ok(r.lines.some((l) => l.startsWith(`FAIL completeness: ${gone.topic}/${gone.partition}: offset ${gone.offset} missing before entry`)), r.text);
    const restart = startTestAudit({ platform, schema: s, keyFile: join(tmp, 'ledger.skey') });
    void restart.then(({ service }) => service.stop(), () => undefined);
    await assert.rejects(restart, /entries were removed/);
  });

  test('two rows swapped in place break order and chain at the entries concerned', async () => {
    const { svc, env } = ledgers[3]!;
    const s = svc.schema;
    await tamper(s, [`update ${s}.entries set idx = 1000000 where idx = 30`, `update ${s}.entries set idx = 30 where idx = 31`, `update ${s}.entries set idx = 31 where idx = 1000000`]);
    const r = await run(await exportOf(env, 'db-swapped'));
    assert.equal(r.code, 1);
    assert.ok(r.lines.some((l) => /^FAIL entries: entry 30 \(.*\): breaks the hash chain/.test(l)), r.text);
    assert.ok(r.lines.some((l) => /^FAIL completeness: entry 3[01] \(.*\) (is out of ledger order|repeats or goes back)/.test(l)), r.text);
  });
});
