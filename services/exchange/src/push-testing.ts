import kafkajs from 'kafkajs';
import { SchemaRegistry } from '@govmesh/backbone';
import { readTopic, restAs, stackEnv, waitFor } from '@govmesh/backbone/testing';
import { PUSH_HEADERS } from './domain/push.ts';
import { gradedContent } from './testing.ts';

/**
 * What the batch push tests share: an entry that may be pushed, and a recipient's reading of its
 * delivery topic, with plain kafkajs and the schema the API serves (as a department would).
 */
export const pushableContent = () => ({ ...gradedContent(), shareMethods: ['API', 'BATCH', 'FILE'] as ('API' | 'BATCH' | 'FILE')[] });

export interface Pushed {
  shareId: string;
  seq: bigint;
  op: string;
  datasetVersion: string;
  recordKey: string | undefined;
  value: Record<string, unknown>;
}

const admin = async <T>(run: (a: kafkajs.Admin) => Promise<T>): Promise<T> => {
  const a = new kafkajs.Kafka({ clientId: 'push-test', brokers: stackEnv().KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await a.connect();
  try {
    return await run(a);
  } finally {
    await a.disconnect();
  }
};

/** How many records a topic holds (0 before it exists). */
export const topicSize = async (topic: string): Promise<number> =>
  admin(async (a) => ((await a.listTopics()).includes(topic) ? (await a.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0) : 0));

/** The share's records on its delivery topic, decoded with the schema `GET /v1/shares/{id}/push-schema` serves. */
export const pushedRecords = async (topic: string, shareId: string, schema: { schema: unknown }): Promise<Pushed[]> => {
  const reg = new SchemaRegistry();
  reg.add(schema.schema, 1);
  if ((await topicSize(topic)) === 0) return [];
  return (await readTopic(stackEnv().KAFKA_BROKERS, topic))
    .filter((m) => m.headers?.[PUSH_HEADERS.shareId]?.toString() === shareId)
    .map((m) => {
      const h = (name: string) => m.headers?.[name]?.toString();
      return { shareId, seq: BigInt(h(PUSH_HEADERS.seq)!), op: h(PUSH_HEADERS.op)!, datasetVersion: h(PUSH_HEADERS.datasetVersion)!, recordKey: h(PUSH_HEADERS.recordKey), value: { ...reg.decode(m.value!).value } };
    });
};

/** The served push schema of a share, as its requester reads it. */
export const servedPushSchema = async (url: string, token: string, shareId: string) => {
  const r = await restAs(url, token).get(`/v1/shares/${shareId}/push-schema`);
  if (r.status !== 200) throw new Error(`push-schema ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { topic: string; fingerprint: string; schema: unknown; fields: { item: string; field: string; rule: string }[] };
};

/** Waits until the share's records on the topic number at least `n`; returns them (seq order). */
export const waitForPushed = async (url: string, token: string, shareId: string, n: number, timeoutMs = 30000): Promise<Pushed[]> => {
  const served = await servedPushSchema(url, token, shareId);
  return waitFor(`${n} records of ${shareId} on ${served.topic}`, async () => {
    const got = await pushedRecords(served.topic, shareId, served);
    return got.length >= n ? got.sort((a, b) => (a.seq < b.seq ? -1 : 1)) : undefined;
  }, timeoutMs, 500);
};

/** Each record version once: no seq twice, and no (key, dataset version, op) twice. */
export const duplicates = (records: Pushed[]): string[] => {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const r of records) {
    for (const id of [`seq ${r.seq}`, `${r.recordKey}@${r.datasetVersion}/${r.op}`]) {
      if (seen.has(id)) dup.push(id);
      seen.add(id);
    }
  }
  return dup;
};
