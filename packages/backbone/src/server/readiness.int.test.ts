// Issue 13, honest health: readiness turns red when a projection dead-letters a record (its read
// model no longer follows the events) and when a consumer group falls behind CONSUMER_LAG_MAX;
// /metrics shows the lag and the dead letters per consumer group. A ServiceRuntime on the real
// Kafka and PostgreSQL, with the backbone's test counter events.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type kafkajs from 'kafkajs';
import { readConfig } from '../config/config.ts';
import { envelopeToHeaders } from '../envelope/envelope.ts';
import { uuidv7 } from '../envelope/uuid.ts';
import { ruleViolated } from '../errors/errors.ts';
import type { Projection } from '../projections/projection.ts';
import { newEnvelope } from '../store/outbox.ts';
import { createLogger } from '../telemetry/logging.ts';
import { COUNTER_NAMESPACE, counterRegistry, uniqueName, type CounterEvent } from '../testing/counter.ts';
import { testServiceEnv } from '../testing/service.ts';
import { stackEnv, testPlatform, waitFor } from '../testing/stack.ts';
import { openDatabase } from '../store/database.ts';
import { ServiceRuntime, serviceConfigSpec } from './runtime.ts';
import { listDeadLetters, redeliverDeadLetter } from '../kafka/dead-letter-tool.ts';

const TYPE = `${COUNTER_NAMESPACE}.CounterAdded`;
const platform = testPlatform('ready');
const schema = uniqueName('bb_ready');
let rt: ServiceRuntime;
let producer: kafkajs.Producer;
const topicA = `${platform.id}.readya.events`;
const topicB = `${platform.id}.readyb.events`;
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));
let bugFixed = false;

const record = (key: string, by: number): kafkajs.Message => {
  const envelope = newEnvelope(rt.registry, { type: TYPE, source: '/test', subject: key, at: new Date(), sequence: 1 });
  return { key, value: rt.registry.encode(TYPE, { counterId: key, by }), headers: envelopeToHeaders(envelope) };
};

before(async () => {
  const config = readConfig(serviceConfigSpec('ready'), testServiceEnv('ready', platform, { CONSUMER_LAG_MAX: '5', CONSUMER_MAX_ATTEMPTS: '1', CONSUMER_SESSION_TIMEOUT_MS: '6000' }));
  rt = await ServiceRuntime.start(config, { schema, migrations: [], entities: [], topics: [topicA, topicB].flatMap((t) => [{ topic: t, partitions: 1 }, { topic: `${t}.dlq`, partitions: 1 }]), logger: createLogger('ready', 'silent') });
  for (const s of counterRegistry().entries()) rt.registry.add(s.type.schema(), s.version);
  const projection: Projection<CounterEvent> = {
    inbox: 'counter-view',
    namespace: COUNTER_NAMESPACE,
    types: ['CounterAdded'],
    apply: async (_tx, e) => {
      if (e.data.by === 13 && !bugFixed) throw ruleViolated('TEST-13', 'the projection cannot apply this event');
    },
  };
  rt.project('counter-view', [topicA], projection);
  rt.consumer('slow', [topicB], async () => gate);
  await rt.startConsumers();
  producer = rt.producer;
});
after(async () => {
  release();
  await rt?.stop();
  const db = await openDatabase({ url: stackEnv().DATABASE_URL, poolSize: 1 });
  await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
  await db.close();
});

const metric = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const m = (await rt.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as { value: number; labels: Record<string, string> }[] | undefined)?.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
};

test('HEALTH: readiness is red when a projection dead-letters a record, naming it, and /metrics counts dead letters per consumer group; green again once it is redelivered and handled, without a restart', async () => {
  assert.deepEqual(Object.values((await rt.readiness()).checks).every(Boolean), true, 'ready at first');
  await producer.send({ topic: topicA, acks: -1, messages: [record(`k-${uuidv7()}`, 1), record(`k-${uuidv7()}`, 13)] });
  const r = await waitFor('readiness red', async () => {
    const x = await rt.readiness();
    return x.checks['projections'] === false ? x : undefined;
  }, 30000);
  assert.match(r.warnings['projections'] ?? '', /counter-view.*dead-letter|dead-letter.*counter-view/, r.warnings['projections']);
  assert.match(r.warnings['projections'] ?? '', new RegExp(topicA.replaceAll('.', '\\.')), 'the record is named by its topic');
  assert.equal(await metric('govmesh_dead_letter_total', { group: `ready-${platform.id}-counter-view-${platform.id}` }), 1);

  // The operator fixes the projection's bug and redelivers the dead letter (npm run dead-letters).
  bugFixed = true;
  const refs: string[] = [];
  await listDeadLetters(rt.kafka, [`${topicA}.dlq`], (l) => {
    if ('deadLetter' in l) refs.push(l.deadLetter.ref);
  });
  assert.equal(refs.length, 1);
  await redeliverDeadLetter(rt.kafka, producer, rt.registry, refs[0]!, { at: new Date() });
  await waitFor('readiness green again', async () => (await rt.readiness()).checks['projections'] === true, 30000);
  assert.equal((await rt.readiness()).warnings['projections'], undefined);
});

test('HEALTH: readiness is red while a consumer group lags more than CONSUMER_LAG_MAX records, and /metrics shows the lag per group', async () => {
  await producer.send({ topic: topicB, acks: -1, messages: Array.from({ length: 12 }, (_, i) => record(`k-${i}`, 1)) });
  const group = `ready-${platform.id}-slow-${platform.id}`;
  const r = await waitFor('readiness red for lag', async () => {
    const x = await rt.readiness();
    return x.checks['lag'] === false ? x : undefined;
  }, 30000);
  assert.match(r.warnings['lag'] ?? '', new RegExp(group), r.warnings['lag']);
  assert.ok(((await metric('govmesh_consumer_lag', { group })) ?? 0) > 5, 'the lag is on /metrics');
  release();
  await waitFor('lag back under the limit', async () => (await rt.readiness()).checks['lag'] === true, 30000);
  assert.equal(await metric('govmesh_consumer_lag', { group }), 0);
});
