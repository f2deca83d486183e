import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type kafkajs from 'kafkajs';
import { AuditCheckpointsEventNamespace, AuditEventNamespace } from '@govmesh/contracts/avro';
import { REPO_ROOT, SchemaRegistry, headersToStrings, setupTracing } from '@govmesh/backbone';
import { readTopic, stackEnv, testPlatform, waitFor, type TestPlatform } from '@govmesh/backbone/testing';
import { generateCosigner, generateSigner } from '@govmesh/ledger';
import type { AuditService } from './app.ts';
import { formatAddCheckpoint } from './domain/witness.ts';
import { auditTopics } from './events/topics.ts';
import { catalogEventRecord, startTestAudit, testProducer } from './testing.ts';

// The events the audit service raises itself go through the backbone's outbox, so they carry a
// W3C traceparent like every other event: a signed checkpoint (raised by a timer) in a trace of its
// own, a witnessed child checkpoint in the trace of the HTTP call that asked for it.
const exporter = new InMemorySpanExporter();
const tracing = setupTracing({ service: 'audit-trace-test', exporter });
const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
const TRACEPARENT = /^00-(?<traceId>[0-9a-f]{32})-[0-9a-f]{16}-0[01]$/;
let child: AuditService;
let parent: AuditService;
let platform: TestPlatform;
let parentPlatform: TestPlatform;
let producer: kafkajs.Producer;

before(async () => {
  platform = testPlatform('atr');
  parentPlatform = testPlatform('atp');
  const tmp = mkdtempSync(join(tmpdir(), 'audit-trace-'));
  const childKey = generateSigner(`govmesh.gov.cn/${platform.id}/ledger`);
  const witnessKey = generateCosigner('govmesh.gov.cn/trace-parent/witness');
  writeFileSync(join(tmp, 'child.skey'), childKey.skey);
  writeFileSync(join(tmp, 'witness.seed'), witnessKey.seed.toString('hex'));
  const topic = `${platform.id}.alpha.events`;
  producer = await testProducer([topic]);
  ({ service: child } = await startTestAudit({ platform, keyFile: join(tmp, 'child.skey') }));
  ({ service: parent } = await startTestAudit({ platform: parentPlatform, env: { WITNESS_KEY_FILE: join(tmp, 'witness.seed'), WITNESS_NAME: witnessKey.name, WITNESS_LOGS: childKey.vkey } }));
  await producer.send({ topic, acks: -1, messages: [catalogEventRecord(registry, platform.id, 'e-trace', 1)] });
});

after(async () => {
  await child?.stop();
  await parent?.stop();
  await producer?.disconnect();
  await tracing.shutdown();
});

/** The records of a topic once `n` of them are there, with their headers as strings. */
const records = (topic: string, n: number) =>
  waitFor(`${n} record(s) on ${topic}`, async () => {
    const all = (await readTopic(stackEnv().KAFKA_BROKERS, topic).catch(() => [])).map((m) => headersToStrings(m.headers));
    return all.length >= n ? all : undefined;
  }, 30000, 250);

test('a signed checkpoint is published with a traceparent, in the trace the relay send continues', async () => {
  await waitFor('a checkpoint', async () => child.checkpointer.latestSize >= 1);
  const [h] = await records(auditTopics(platform.id).checkpoints, 1);
  assert.equal(h!['ce_type'], `${AuditCheckpointsEventNamespace}.LedgerCheckpointIssued`);
  const traceId = TRACEPARENT.exec(h!['traceparent'] ?? '')?.groups?.['traceId'];
  assert.ok(traceId !== undefined, `traceparent header: ${h!['traceparent']}`);
  const inTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId).map((s) => s.name);
  assert.ok(inTrace.includes(`raise ${AuditCheckpointsEventNamespace}.LedgerCheckpointIssued`), `spans of the trace: ${inTrace.join(', ')}`);
  assert.ok(inTrace.some((n) => n.startsWith('send ')), `the relay send continues the trace: ${inTrace.join(', ')}`);
});

test('a witnessed child checkpoint is published in the trace of the add-checkpoint call', async () => {
  const note = (await child.checkpointer.latest())!.note;
  const r = await fetch(`${parent.httpUrl}/tlog-witness/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint(0, [], note) });
  assert.equal(r.status, 200, await r.text());
  const [h] = await records(auditTopics(parentPlatform.id).events, 1);
  assert.equal(h!['ce_type'], `${AuditEventNamespace}.ChildCheckpointWitnessed`);
  const traceId = TRACEPARENT.exec(h!['traceparent'] ?? '')?.groups?.['traceId'];
  assert.ok(traceId !== undefined, `traceparent header: ${h!['traceparent']}`);
  const http = exporter.getFinishedSpans().find((s) => s.name === 'POST /tlog-witness/add-checkpoint');
  assert.ok(http, `the HTTP span: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  assert.equal(traceId, http.spanContext().traceId, 'the event carries the trace of the HTTP call');
});
