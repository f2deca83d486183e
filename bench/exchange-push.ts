import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import { ControlledClock, createProducer } from '@govmesh/backbone';
import { stackEnv, waitFor } from '@govmesh/backbone/testing';
import { pushableContent, topicSize } from '../services/exchange/src/push-testing.ts';
import { REQUESTER, approvedShare, loadRecords, publishEntry, residents, startTestMesh } from '../services/exchange/src/testing.ts';
import type { Figure } from './figures.ts';

/**
 * Batch push on the real stack: records/s from the approval of a BATCH share until all `records`
 * are on the requester's delivery topic (every record read from PostgreSQL, masked, fingerprinted,
 * Avro-encoded, sent with acks=all and checkpointed), beside the raw baseline of the same run:
 * the same number of records of the same size produced with kafkajs alone (the backbone's
 * idempotent producer, the same batch size), nothing read, nothing encoded, nothing committed.
 */
export const benchPush = async (records: number): Promise<Figure[]> => {
  const batch = 2000;
  const m = await startTestMesh(new ControlledClock('2026-09-21T09:00:00+08:00'), { PUSH_BATCH: String(batch), PUSH_POLL_MS: '50' });
  try {
    const entryId = await publishEntry(m, pushableContent());
    await loadRecords(m, entryId, residents(records));
    const topic = `${m.platform.id}.delivery.${REQUESTER}`;
    const t0 = performance.now();
    await approvedShare(m, entryId, { items: ['citizen_id', 'name', 'income'], shareMethod: 'BATCH' });
    const approvedMs = performance.now() - t0;
    await waitFor(`${records} records pushed`, async () => (await topicSize(topic)) >= records, 600_000, 100);
    const pushMs = performance.now() - t0;

    // Raw baseline: as many records of the same size, produced straight to a topic of their own.
    const kafka = new kafkajs.Kafka({ clientId: 'bench-push-raw', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const rawTopic = `${m.platform.id}.bench.raw`;
    await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 3, replicationFactor: -1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = createProducer(kafka);
    await producer.connect();
    const value = Buffer.alloc(80, 1);
    const t1 = performance.now();
    for (let i = 0; i < records; i += batch) {
      const n = Math.min(batch, records - i);
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: rawTopic, messages: Array.from({ length: n }, (_, k) => ({ key: 'share', value, headers: { 'govmesh-seq': String(i + k) } })) }] });
    }
    const rawMs = performance.now() - t1;
    await producer.disconnect();
    const conditions = `${records} records, 3 approved items of 4 (1 pseudonymised, 1 withheld, 1 in clear), batches of ${batch}, one share (one partition), acks=all, single broker`;
    return [
      { name: 'push: approval to last record on the topic', value: Math.round(records / (pushMs / 1000)), unit: 'records/s', conditions: `${conditions}; ${(pushMs / 1000).toFixed(1)} s, of which ${(approvedMs / 1000).toFixed(1)} s until the exchange knew the approval` },
      { name: 'push: from the approval seen to the last record', value: Math.round(records / ((pushMs - approvedMs) / 1000)), unit: 'records/s', conditions },
      { name: 'raw kafkajs produce baseline (same run)', value: Math.round(records / (rawMs / 1000)), unit: 'records/s', conditions: `${records} records of 80 bytes, same batch size and producer settings, nothing read, encoded or committed` },
    ];
  } finally {
    await m.stop();
  }
};
