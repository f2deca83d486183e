import kafkajs from 'kafkajs';
import { headersToStrings, uuidv7 } from '@govmesh/backbone';
import { stackEnv, waitFor } from '@govmesh/backbone/testing';
import { publishOverRest, restAs, startTestCatalog } from '../services/catalog/src/testing.ts';
import { startTestRequest } from '../services/request/src/testing.ts';
import { requestTopics } from '../services/request/src/events/topics.ts';
import type { Figure } from './figures.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Request service: REST commands/s, and command -> event on the topic as a plain consumer sees it. */
export const benchRequest = async (commands: number, concurrency: number): Promise<Figure[]> => {
  const { service: catalog, platform } = await startTestCatalog();
  const { service: request } = await startTestRequest({ platform });
  const kafka = new kafkajs.Kafka({ clientId: 'bench-request', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${uuidv7()}` });
  try {
    const entryId = await publishOverRest(catalog, platform, `bench-${uuidv7()}`);
    const requester = restAs(request.httpUrl, platform.token('dept-civil-affairs'));
    await waitFor('entry requestable', async () => ((await requester.get(`/v1/requestable-entries/${entryId}`)).body?.['status'] === 'PUBLISHED' ? true : undefined), 30000);
    const body = (shareId: string) => ({
      shareId,
      content: {
        entryId, dataItems: ['citizen_id'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'eligibility checks', useScope: 'case officers',
        shareMethod: 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
      },
    });
    const arrived = new Map<string, number>();
    await consumer.connect();
    await consumer.subscribe({ topic: requestTopics(platform.id).events, fromBeginning: false });
    let assigned = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
    await consumer.run({ eachMessage: async ({ message }) => void arrived.set(headersToStrings(message.headers)['ce_subject'] ?? '', performance.now()) });
    await waitFor('bench consumer joined', async () => assigned || undefined, 30000);
    // Warm-up, also makes sure the consumer sees new records.
    const warm = `bench-warm-${uuidv7()}`;
    await requester.post('/v1/requests', body(warm));
    await waitFor('warm-up event', async () => arrived.has(warm) || undefined, 30000);

    const latencies: number[] = [];
    for (let i = 0; i < commands; i++) {
      const id = `lat-${uuidv7()}`;
      const t0 = performance.now();
      const r = await requester.post('/v1/requests', body(id));
      if (r.status !== 201) throw new Error(`draft failed: ${JSON.stringify(r.body)}`);
      await waitFor('event on topic', async () => arrived.has(id) || undefined, 30000, 1);
      latencies.push(arrived.get(id)! - t0);
    }
    latencies.sort((a, b) => a - b);
    const total = commands * 4;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const r = await requester.post('/v1/requests', body(`thr-${uuidv7()}`));
        if (r.status !== 201) throw new Error(`draft failed: ${JSON.stringify(r.body)}`);
      }
    }));
    const cps = total / ((performance.now() - t0) / 1000);
    return [
      { name: 'request commands (REST)', value: Math.round(cps), unit: 'commands/s', conditions: `${total} DraftRequest over HTTP, ${concurrency} concurrent, validated against the catalog view` },
      { name: 'command -> event on topic p50', value: Number(percentile(latencies, 50).toFixed(1)), unit: 'ms', conditions: `${commands} sequential DraftRequest over HTTP, until a plain kafkajs consumer receives the event` },
      { name: 'command -> event on topic p99', value: Number(percentile(latencies, 99).toFixed(1)), unit: 'ms', conditions: 'same run' },
    ];
  } finally {
    await consumer.disconnect();
    await request.stop();
    await catalog.stop();
  }
};
