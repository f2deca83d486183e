import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type kafkajs from 'kafkajs';
import { REPO_ROOT, SchemaRegistry, headersToStrings } from '@govmesh/backbone';
import { testPlatform, waitFor, restAs } from '@govmesh/backbone/testing';
import { exportMain } from '../services/audit/src/cli/export.ts';
import { verifyExport } from '../services/audit/src/cli/verify.ts';
import { catalogEventRecord, startTestAudit, testProducer } from '../services/audit/src/testing.ts';

/**
 * Measures the audit ledger on the real stack (Kafka, PostgreSQL, this machine) and returns the
 * figures with their conditions; it asserts nothing. The root bench command calls it.
 *
 *   append        Kafka -> committed leaf, events/s: a backlog of `events` records ingested by a
 *                 fresh ledger (catch-up), and a live stream produced while it runs
 *   checkpoint    time from a record's produce acknowledgement to a signed checkpoint covering it,
 *                 on an idle ledger and under a steady background load of ~100 events per 50 ms (T2)
 *   proofs        inclusion and consistency proof generation, in-process and over REST (T3)
 *   verify        offline verification of an export of the whole ledger, entries/s (T4)
 *   lifecycle     one share's lifecycle (`lifecycleEvents` events) rebuilt with proofs (T5)
 */
export interface AuditBenchOptions {
  /** Backlog size for the catch-up append figure. */
  events?: number;
  /** Events produced while the ledger runs, for the live append and checkpoint figures. */
  liveEvents?: number;
  lifecycleEvents?: number;
  proofSamples?: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface AuditBenchResult {
  conditions: Record<string, string | number>;
  appendCatchUpEventsPerSec: number;
  appendLiveEventsPerSec: number;
  checkpointLatencyIdleMs: Percentiles;
  checkpointLatencyLoadedMs: Percentiles;
  inclusionProofMs: Percentiles;
  inclusionProofRestMs: Percentiles;
  consistencyProofMs: Percentiles;
  exportEntriesPerSec: number;
  verifyEntriesPerSec: number;
  lifecycleRebuildMs: Percentiles;
  lifecycleRebuildRestMs: Percentiles;
}

const pct = (xs: number[]): Percentiles => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(at(0.5)), p99: r(at(0.99)), max: r(s.at(-1) ?? 0), samples: s.length };
};

const sendAll = async (producer: kafkajs.Producer, topic: string, messages: kafkajs.Message[], batch = 500) => {
  for (let i = 0; i < messages.length; i += batch) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + batch) });
};

export const runAuditBench = async (opts: AuditBenchOptions = {}): Promise<AuditBenchResult> => {
  const events = opts.events ?? 20000;
  const liveEvents = opts.liveEvents ?? 20000;
  const lifecycleEvents = opts.lifecycleEvents ?? 50;
  const proofSamples = opts.proofSamples ?? 200;
  const loadBatch = 100;
  const registry = SchemaRegistry.fromDirectory(`${REPO_ROOT}schemas`);
  const platform = testPlatform('bench');
  const topic = `${platform.id}.bench.events`;
  const producer = await testProducer([topic]);
  const tmp = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  const aggregates = 200;
  const backlog = Array.from({ length: events }, (_, i) => catalogEventRecord(registry, platform.id, `b-${i % aggregates}`, Math.floor(i / aggregates) + 1));
  const leafBytes = Buffer.byteLength(backlog[0]!.value as Buffer);
  await sendAll(producer, topic, backlog);

  // Catch-up: a fresh ledger over the backlog.
  const { service: audit, env } = await startTestAudit({ platform, env: { CHECKPOINT_INTERVAL_MS: '500', LEDGER_SETTLE_MS: '300' } });
  try {
    const first = await waitFor('first append', async () => (audit.ledger.size > 0 ? performance.now() : undefined), 60000, 5);
    const done = await waitFor('backlog ledgered', async () => (audit.ledger.size >= events ? performance.now() : undefined), 600000, 5);
    const appendCatchUpEventsPerSec = Math.round(events / ((done - first) / 1000));

    // Live: a stream produced as fast as the producer goes while the ledger runs.
    const startSize = audit.ledger.size;
    const live = Array.from({ length: liveEvents }, (_, i) => catalogEventRecord(registry, platform.id, `l-${i % aggregates}`, Math.floor(i / aggregates) + 1));
    const liveStart = performance.now();
    await sendAll(producer, topic, live);
    const liveDone = await waitFor('live stream ledgered', async () => (audit.ledger.size >= startSize + liveEvents ? performance.now() : undefined), 600000, 5);
    const appendLiveEventsPerSec = Math.round(liveEvents / ((liveDone - liveStart) / 1000));

    // Checkpoint latency: probes timed from their produce acknowledgement to a checkpoint covering
    // them, once on an idle ledger and once under a steady background load.
    const probe = async (n: number, tag: string): Promise<number[]> => {
      const out: number[] = [];
      for (let k = 0; k < n; k++) {
        const record = catalogEventRecord(registry, platform.id, `probe-${tag}-${k}`, 1);
        const ceId = headersToStrings(record.headers as Record<string, string>)['ce_id']!;
        await producer.send({ topic, acks: -1, messages: [record] });
        const acked = performance.now();
        const idx = await waitFor('probe ledgered', () => audit.ledger.store.entryByCeId(ceId), 60000, 2);
        await waitFor('probe checkpointed', async () => audit.checkpointer.latestSize > idx, 60000, 2);
        out.push(performance.now() - acked);
        await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    };
    const idleProbes = await probe(20, 'idle');
    let loading = true;
    let loaded = 0;
    const loadProducer = await testProducer([topic]);
    const load = (async () => {
      while (loading) {
        // Aggregate load-i gets its versions in order: batch b carries version b + 1 of each.
        const version = loaded / loadBatch + 1;
        const batch = Array.from({ length: loadBatch }, (_, i) => catalogEventRecord(registry, platform.id, `load-${i}`, version));
        await loadProducer.send({ topic, acks: -1, messages: batch });
        loaded += loadBatch;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const loadStart = performance.now();
    const loadedProbes = await probe(30, 'load');
    loading = false;
    await load;
    const loadRate = Math.round(loaded / ((performance.now() - loadStart) / 1000));
    await loadProducer.disconnect();
    await waitFor('final checkpoint', async () => audit.checkpointer.latestSize === audit.ledger.size && audit.ingest.pending === 0, 60000, 10);
    const size = audit.checkpointer.latestSize;

    // Proofs.
    const auditor = restAs(audit.httpUrl, platform.token('dept-audit-office'));
    const inclusion: number[] = [];
    const inclusionRest: number[] = [];
    const consistency: number[] = [];
    for (let k = 0; k < proofSamples; k++) {
      const index = Math.floor(Math.random() * size);
      let t = performance.now();
      await audit.ledger.inclusionProof(index, size);
      inclusion.push(performance.now() - t);
      t = performance.now();
      await auditor.get(`/v1/ledger/proofs/inclusion?index=${index}&size=${size}`);
      inclusionRest.push(performance.now() - t);
      t = performance.now();
      await audit.ledger.consistencyProof(1 + Math.floor(Math.random() * (size - 1)), size);
      consistency.push(performance.now() - t);
    }

    // Lifecycle: one share with `lifecycleEvents` events among everything else.
    const share = `share-bench-${platform.id}`;
    await sendAll(producer, topic, Array.from({ length: lifecycleEvents }, (_, v) => catalogEventRecord(registry, platform.id, share, v + 1)));
    await waitFor('share ledgered and checkpointed', async () => {
      const l = await audit.queries.lifecycle(share, false).catch(() => undefined);
      return l !== undefined && l.events === lifecycleEvents && audit.checkpointer.latestSize > Math.max(...l.timeline.map((t) => t.index));
    }, 60000, 10);
    const rebuild: number[] = [];
    const rebuildRest: number[] = [];
    for (let k = 0; k < 30; k++) {
      let t = performance.now();
      const l = await audit.queries.lifecycle(share, true);
      rebuild.push(performance.now() - t);
      if (l.events !== lifecycleEvents) throw new Error(`lifecycle has ${l.events} events`);
      t = performance.now();
      await auditor.get(`/v1/lifecycles/${share}`);
      rebuildRest.push(performance.now() - t);
    }

    // Export and offline verification.
    const out = join(tmp, 'export');
    let t = performance.now();
    if ((await exportMain(['--out', out], env, () => undefined)) !== 0) throw new Error('export failed');
    const exportMs = performance.now() - t;
    t = performance.now();
    const report = await verifyExport({ dir: out, inclusion: 'sample' });
    const verifyMs = performance.now() - t;
    if (!report.ok) throw new Error(`verification failed:\n${report.lines.join('\n')}`);

    return {
      conditions: {
        backlogEvents: events,
        liveEvents,
        backgroundLoadEventsPerSec: loadRate,
        ledgerSize: report.entries,
        partitions: 3,
        avroValueBytes: leafBytes,
        batchMax: 5000,
        checkpointIntervalMs: 500,
        settleMs: 300,
        proofSamples,
        lifecycleEvents,
        node: process.version,
        stack: 'Kafka (1 broker, KRaft) + PostgreSQL on this host, fsync on',
      },
      appendCatchUpEventsPerSec,
      appendLiveEventsPerSec,
      checkpointLatencyIdleMs: pct(idleProbes),
      checkpointLatencyLoadedMs: pct(loadedProbes),
      inclusionProofMs: pct(inclusion),
      inclusionProofRestMs: pct(inclusionRest),
      consistencyProofMs: pct(consistency),
      exportEntriesPerSec: Math.round(report.entries / (exportMs / 1000)),
      verifyEntriesPerSec: Math.round(report.entries / (verifyMs / 1000)),
      lifecycleRebuildMs: pct(rebuild),
      lifecycleRebuildRestMs: pct(rebuildRest),
    };
  } finally {
    await audit.stop();
    await producer.disconnect();
    rmSync(tmp, { recursive: true, force: true });
  }
};


/** One printed figure, the shape of bench/figures.ts. */
export interface AuditFigure {
  name: string;
  value: number;
  unit: string;
  conditions: string;
}

/** The figures as the root bench prints them. */
export const auditFigures = (r: AuditBenchResult): AuditFigure[] => {
  const c = r.conditions;
  const p = (name: string, x: Percentiles, conditions: string): AuditFigure[] => [
    { name: `${name} p50`, value: x.p50, unit: 'ms', conditions },
    { name: `${name} p99`, value: x.p99, unit: 'ms', conditions: `${x.samples} samples` },
  ];
  return [
    { name: 'append, catch-up (Kafka -> committed leaf)', value: r.appendCatchUpEventsPerSec, unit: 'events/s', conditions: `backlog of ${c['backlogEvents']} events, 3 partitions, batches <= ${c['batchMax']}` },
    { name: 'append, live stream', value: r.appendLiveEventsPerSec, unit: 'events/s', conditions: `${c['liveEvents']} events produced while ingesting` },
    ...p('record -> signed checkpoint, idle', r.checkpointLatencyIdleMs, `settle ${c['settleMs']} ms, checkpoint interval ${c['checkpointIntervalMs']} ms`),
    ...p('record -> signed checkpoint, loaded', r.checkpointLatencyLoadedMs, `background load ${c['backgroundLoadEventsPerSec']} events/s`),
    ...p('inclusion proof (in-process)', r.inclusionProofMs, `tree of ${c['ledgerSize']} entries`),
    ...p('inclusion proof (REST)', r.inclusionProofRestMs, 'GET /v1/ledger/proofs/inclusion'),
    ...p('consistency proof (in-process)', r.consistencyProofMs, 'random old size'),
    { name: 'export', value: r.exportEntriesPerSec, unit: 'entries/s', conditions: `${c['ledgerSize']} entries to a folder` },
    { name: 'offline verification', value: r.verifyEntriesPerSec, unit: 'entries/s', conditions: 'signatures, consistency, chain, roots, completeness, every event Avro-decoded, 1 core' },
    ...p('lifecycle rebuild with proofs', r.lifecycleRebuildMs, `${c['lifecycleEvents']} events of one share`),
    ...p('lifecycle rebuild (REST)', r.lifecycleRebuildRestMs, 'GET /v1/lifecycles/{id}'),
  ];
};

/** What the root bench command calls: figures for a backlog of `events` records. */
export const benchAudit = async (events = 20000): Promise<AuditFigure[]> => auditFigures(await runAuditBench({ events, liveEvents: events }));

if (import.meta.main) {
  const n = Number(process.argv[2] ?? 20000);
  const result = await runAuditBench({ events: n, liveEvents: n });
  console.log(JSON.stringify(result, null, 2));
  for (const f of auditFigures(result)) console.log(`  ${f.name.padEnd(44)} ${String(f.value).padStart(9)} ${f.unit.padEnd(9)} ${f.conditions}`);
  process.exit(0);
}
