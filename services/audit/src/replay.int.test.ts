import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type kafkajs from 'kafkajs';
import { REPO_ROOT, SchemaRegistry, openDatabase, type Database } from '@govmesh/backbone';
import { stackEnv, testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import type { AuditService } from './app.ts';
import { exportMain } from './cli/export.ts';
import { verifyMain } from './cli/verify.ts';
import { auditTestEnv, catalogEventRecord, ledgered, startTestAudit, testProducer, testSchema } from './testing.ts';

// T9: the ledger is a function of the topics. A live ledger, a ledger rebuilt later from the
// beginning of the topics, and ledgers whose writer was SIGKILLed mid-ingest and restarted all
// end with the same root, bit for bit.
const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'audit-replay-'));
const keyFile = join(tmp, 'ledger.skey');
const TOTAL = 121;
let platform: TestPlatform;
let producer: kafkajs.Producer;
let db: Database;
let live: AuditService;
const started: AuditService[] = [];

const count = async (schema: string) => Number((await db.query<{ n: string }>(`select count(*) as n from ${schema}.entries`))[0]!.n);

/** Runs main.ts as a child with a failpoint armed; resolves when it dies. */
const crashOnce = (schema: string, failpoints: string) =>
  new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
    const env = { ...process.env, ...auditTestEnv(platform, { schema, keyFile }), FAILPOINTS: failpoints, LEDGER_BATCH_MAX: '25', LOG_LEVEL: 'error' };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not hit ${failpoints} in 40 s:\n${stderr}`));
    }, 40000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });

before(async () => {
  platform = testPlatform('ar');
  const alpha = `${platform.id}.alpha.events`;
  const beta = `${platform.id}.beta.events`;
  producer = await testProducer([alpha, beta]);
  db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 2 });
  ({ service: live } = await startTestAudit({ platform, keyFile }));
  started.push(live);
  // Traffic while the live ledger ingests: ten bursts over both topics and all partitions.
  const firsts: kafkajs.Message[] = [];
  for (let v = 1; v <= 10; v++) {
    const a = Array.from({ length: 8 }, (_, i) => catalogEventRecord(registry, platform.id, `ra-${i}`, v));
    const b = Array.from({ length: 4 }, (_, i) => catalogEventRecord(registry, platform.id, `rb-${i}`, v));
    if (v === 1) firsts.push(a[0]!);
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic: alpha, messages: a }, { topic: beta, messages: b }] });
    await new Promise((r) => setTimeout(r, 60));
  }
  // An at-least-once re-send, and one more event after it.
  await producer.send({ topic: alpha, acks: -1, messages: [...firsts, catalogEventRecord(registry, platform.id, 'rc-0', 1)] });
  await ledgered(live, TOTAL);
});

after(async () => {
  for (const s of started) await s.stop();
  await producer?.disconnect();
  await db?.close();
});

describe('replay', () => {
  test('T9: a ledger rebuilt from the beginning of the topics, with a new consumer group, has the live ledger root', async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(live.ledger.size, TOTAL, 'the re-send is not appended');
    const { service: rebuilt } = await startTestAudit({ platform, keyFile });
    started.push(rebuilt);
    await ledgered(rebuilt, TOTAL);
    assert.equal(rebuilt.ledger.size, TOTAL);
    assert.equal(rebuilt.ledger.tree.root().toString('hex'), live.ledger.tree.root().toString('hex'));
  });

  for (const [name, failpoints, before] of [
    ['killed right after a batch committed, before the Kafka offset commit', 'ledger.after-commit', 25],
    ['killed inside the second batch transaction, before its commit', 'ledger.before-commit:25-', 25],
  ] as const) {
    test(`T9: SIGKILL ${name}, then restart: same root`, async () => {
      const schema = testSchema('audit_kill');
      const died = await crashOnce(schema, failpoints);
      assert.equal(died.signal, 'SIGKILL', died.stderr);
      assert.match(died.stderr, new RegExp(`failpoint ${failpoints.split(':')[0]} fired`));
      assert.equal(await count(schema), before, 'exactly the committed batch survived');
      const { service: resumed, env } = await startTestAudit({ platform, schema, keyFile });
      started.push(resumed);
      await ledgered(resumed, TOTAL);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(resumed.ledger.size, TOTAL);
      assert.equal(resumed.ledger.tree.root().toString('hex'), live.ledger.tree.root().toString('hex'));
      await waitFor('final checkpoint', async () => resumed.checkpointer.latestSize === TOTAL);
      // Its checkpoints from before and after the crash are consistent, and the export verifies.
      const out = join(tmp, schema);
      assert.equal(await exportMain(['--out', out], env, () => undefined), 0);
      const lines: string[] = [];
      assert.equal(await verifyMain([out], (l) => lines.push(l)), 0, lines.join('\n'));
    });
  }
});
