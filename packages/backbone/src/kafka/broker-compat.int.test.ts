// Smoke test: kafkajs (the client every govmesh service uses) against the real broker that
// `bash scripts/infra start` runs (Apache Kafka, KRaft, version pinned in deploy/kafka/pom.xml).
// It exercises the protocol surface the mesh depends on: admin topic management, the
// idempotent producer, classic consumer groups with a rebalance, explicit offset commits,
// and transactions (commit, abort, sendOffsets) read back with read_committed.
//
//   bash scripts/infra start
//   node_modules/.bin/node --test packages/backbone/src/kafka/broker-compat.int.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, KafkaMessage, LogEntry, Producer } from 'kafkajs';

const { Kafka, Partitioners, logLevel } = kafkajs;

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const RUN = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
const TOPIC = `compat.events.${RUN}`;
const TX_TOPIC = `compat.tx.${RUN}`;
const GROUP = `compat-group-${RUN}`;
const TX_READER_GROUP = `compat-tx-reader-${RUN}`;
const TX_OFFSETS_GROUP = `compat-tx-offsets-${RUN}`;
const PARTITIONS = 4;
const PER_PARTITION = 10;

// kafkajs logs every retried error response (coordinator loading, rebalance in progress,
// concurrent transactions...) at ERROR level although it handles them. Keep its log in memory,
// attach the tail to timeouts, and print it live only with KAFKAJS_LOG=1.
const LEVEL_NAMES: Record<number, string> = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };
const kafkaLog: string[] = [];
function logCreator() {
  return ({ namespace, level, log }: LogEntry): void => {
    const { message, timestamp: _ts, logger: _l, ...rest } = log;
    const line = `[kafkajs ${LEVEL_NAMES[level] ?? level}] ${namespace}: ${message} ${JSON.stringify(rest)}`;
    kafkaLog.push(line);
    if (kafkaLog.length > 200) kafkaLog.shift();
    if (process.env.KAFKAJS_LOG === '1') process.stderr.write(`${line}\n`);
  };
}

const kafka = new Kafka({
  clientId: `broker-compat-${RUN}`,
  brokers: BROKERS,
  logLevel: logLevel.WARN,
  logCreator,
  connectionTimeout: 3000,
  requestTimeout: 10000,
});

const open: Array<{ disconnect(): Promise<void> }> = [];
function track<T extends { disconnect(): Promise<void> }>(client: T): T {
  open.push(client);
  return client;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      const tail = kafkaLog.slice(-10).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last kafkajs log lines:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const value = (m: KafkaMessage): string => m.value?.toString('utf8') ?? '';

function idempotentProducer(extra: { transactionalId?: string } = {}): Producer {
  return track(
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      ...extra,
    }),
  );
}

/** One member of GROUP: records what it consumed and its latest assignment. */
interface Member {
  name: string;
  consumer: Consumer;
  assignment: number[];
  joins: number;
  seen: Array<{ partition: number; offset: string; value: string }>;
  lastOffset: Map<number, number>;
}

async function startMember(name: string): Promise<Member> {
  const consumer = track(
    kafka.consumer({
      groupId: GROUP,
      sessionTimeout: 10_000,
      rebalanceTimeout: 15_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 250,
    }),
  );
  const member: Member = { name, consumer, assignment: [], joins: 0, seen: [], lastOffset: new Map() };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    member.joins += 1;
    member.assignment = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    autoCommit: false, // offsets are committed explicitly below and checked with admin.fetchOffsets
    eachMessage: async ({ partition, message }) => {
      member.seen.push({ partition, offset: message.offset, value: value(message) });
      member.lastOffset.set(partition, Math.max(member.lastOffset.get(partition) ?? -1, Number(message.offset)));
    },
  });
  return member;
}

async function produceRound(producer: Producer, round: string): Promise<void> {
  const messages = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (let i = 0; i < PER_PARTITION; i++) {
      messages.push({ key: `k-${p}-${i}`, value: `${round}:${p}:${i}`, partition: p });
    }
  }
  const result = await producer.send({ topic: TOPIC, acks: -1, messages });
  assert.equal(result.length, PARTITIONS, 'one RecordMetadata per partition');
  for (const r of result) assert.equal(r.errorCode, 0, `partition ${r.partition} errorCode`);
}

describe(`kafkajs against Kafka at ${BROKERS.join(',')}`, { timeout: 55_000 }, () => {
  let admin: Admin;
  let producer: Producer;
  let members: Member[] = [];

  before(async () => {
    admin = track(kafka.admin());
    await admin.connect();
  });

  after(async () => {
    for (const m of members) await m.consumer.stop().catch(() => {});
    await Promise.allSettled(open.reverse().map((c) => c.disconnect()));
    // Leave no trace on a shared broker (best effort, on a fresh admin connection).
    const cleaner = kafka.admin();
    try {
      await cleaner.connect();
      await cleaner.deleteGroups([GROUP, TX_READER_GROUP, TX_OFFSETS_GROUP]).catch(() => {});
      await cleaner.deleteTopics({ topics: [TOPIC, TX_TOPIC], timeout: 10_000 }).catch(() => {});
    } finally {
      await cleaner.disconnect();
    }
  });

  test('admin: describeCluster, createTopics and fetchTopicMetadata', async () => {
    const cluster = await admin.describeCluster();
    assert.ok(cluster.brokers.length >= 1, 'at least one broker');
    assert.ok(cluster.controller !== null && cluster.controller >= 0, 'a controller is known');

    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 },
        { topic: TX_TOPIC, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    assert.equal(created, true, 'createTopics reports the topics as newly created');

    assert.ok((await admin.listTopics()).includes(TOPIC), 'listTopics includes the new topic');
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    const partitions = meta.topics[0]?.partitions ?? [];
    assert.deepEqual(
      partitions.map((p) => p.partitionId).sort((a, b) => a - b),
      [0, 1, 2, 3],
    );
    for (const p of partitions) {
      assert.equal(p.partitionErrorCode, 0, `partition ${p.partitionId} error code`);
      assert.ok(p.leader >= 0, `partition ${p.partitionId} has a leader`);
    }
  });

  test('idempotent producer (acks=-1, maxInFlightRequests=1) writes each message exactly once', async () => {
    producer = idempotentProducer();
    await producer.connect();
    await produceRound(producer, 'r1');
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    assert.equal(offsets.length, PARTITIONS);
    for (const o of offsets) {
      assert.equal(o.low, '0', `partition ${o.partition} low watermark`);
      assert.equal(o.high, String(PER_PARTITION), `partition ${o.partition} holds exactly ${PER_PARTITION} records`);
    }
  });

  test('consumer group: 2 members rebalance, split the partitions and both consume', async () => {
    const a = await startMember('a');
    members = [a];
    await waitFor('member a to own all partitions', () => a.assignment.length === PARTITIONS);
    await waitFor('member a to read round 1', () => new Set(a.seen.map((s) => s.value)).size === PARTITIONS * PER_PARTITION);
    const aJoinsBefore = a.joins;

    const b = await startMember('b');
    members = [a, b];
    await waitFor(
      'the rebalance to split the partitions between a and b',
      () => a.joins > aJoinsBefore && b.joins > 0 && a.assignment.length > 0 && b.assignment.length > 0 &&
        a.assignment.length + b.assignment.length === PARTITIONS,
    );
    assert.deepEqual(
      [...a.assignment, ...b.assignment].sort((x, y) => x - y),
      [0, 1, 2, 3],
      'assignments are disjoint and cover every partition',
    );

    await produceRound(producer, 'r2');
    const round2 = (m: Member) => m.seen.filter((s) => s.value.startsWith('r2:'));
    await waitFor(
      'both members to read round 2',
      () => new Set([...round2(a), ...round2(b)].map((s) => s.value)).size === PARTITIONS * PER_PARTITION,
    );
    for (const m of [a, b]) {
      const got = round2(m);
      assert.ok(got.length > 0, `member ${m.name} consumed after the rebalance`);
      for (const s of got) {
        assert.ok(m.assignment.includes(s.partition), `member ${m.name} read only its own partitions (got ${s.partition})`);
        assert.equal(s.value.split(':')[1], String(s.partition), 'message landed on the partition it was sent to');
      }
    }
  });

  test('commitOffsets by each member is visible through admin.fetchOffsets', async () => {
    const [a, b] = members;
    assert.ok(a && b, 'the consumer-group test ran first');
    for (const m of [a, b]) {
      await m.consumer.commitOffsets(
        m.assignment.map((partition) => ({
          topic: TOPIC,
          partition,
          offset: String((m.lastOffset.get(partition) ?? -1) + 1),
        })),
      );
    }
    const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.equal(committed?.topic, TOPIC);
    const byPartition = Object.fromEntries((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    const expected = String(2 * PER_PARTITION); // two rounds, all consumed
    assert.deepEqual(byPartition, { 0: expected, 1: expected, 2: expected, 3: expected });
  });

  test('transactional producer: commit is visible, abort is not, sendOffsets commits group offsets', async () => {
    const tx = idempotentProducer({ transactionalId: `compat-tx-${RUN}` });
    await tx.connect();

    const t1 = await tx.transaction();
    await t1.send({ topic: TX_TOPIC, acks: -1, messages: [{ value: 'c1' }, { value: 'c2' }, { value: 'c3' }] });
    await t1.commit();

    const t2 = await tx.transaction();
    await t2.send({ topic: TX_TOPIC, acks: -1, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await t2.abort();

    const t3 = await tx.transaction();
    await t3.send({ topic: TX_TOPIC, acks: -1, messages: [{ value: 'end' }] });
    await t3.sendOffsets({
      consumerGroupId: TX_OFFSETS_GROUP,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '7' }] }],
    });
    await t3.commit();

    // 3 committed + marker, 2 aborted + marker, 1 committed + marker = 9. admin.fetchTopicOffsets
    // reads the last stable offset, which moves once the broker has written the commit markers
    // (asynchronously, after EndTxn returned).
    let high: string | undefined;
    await waitFor('the last stable offset to reach 9', async () => {
      high = (await admin.fetchTopicOffsets(TX_TOPIC))[0]?.high;
      return high === '9';
    }, 10_000).catch((err: unknown) => {
      throw new Error(`last stable offset stuck at ${high}: ${(err as Error).message}`);
    });
    assert.equal(high, '9', 'last stable offset counts the 6 records and 3 transaction markers');

    const [txOffsets] = await admin.fetchOffsets({ groupId: TX_OFFSETS_GROUP, topics: [TOPIC] });
    assert.equal(txOffsets?.partitions.find((p) => p.partition === 0)?.offset, '7', 'offset sent inside the transaction');

    const reader = track(kafka.consumer({ groupId: TX_READER_GROUP, readUncommitted: false, maxWaitTimeInMs: 250 }));
    const read: string[] = [];
    await reader.connect();
    await reader.subscribe({ topics: [TX_TOPIC], fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void read.push(value(message)) });
    await waitFor('the read_committed consumer to reach the last transaction', () => read.includes('end'));
    assert.deepEqual(read, ['c1', 'c2', 'c3', 'end'], 'read_committed sees committed records only, in order');
    await reader.stop();
  });
});
