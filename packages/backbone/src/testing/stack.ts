import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { generateTokenKeys, issueToken } from '../identity/token.ts';
import type { Department, PlatformFile } from '../identity/platform.ts';

/**
 * What integration and end-to-end tests share: where the real stack is (started by
 * scripts/infra), a throw-away platform (its own id, so its own topics) with its own token key,
 * and a raw reader of a topic that uses kafkajs only.
 */
export const stackEnv = () => ({
  KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092',
  DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://govmesh:govmesh@127.0.0.1:55432/govmesh',
});

export interface TestPlatform {
  id: string;
  file: string;
  token(departmentId: string, ttlSeconds?: number, now?: Date): string;
  departments: Department[];
}

export const testPlatform = (prefix = 'it'): TestPlatform => {
  const id = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const keys = generateTokenKeys();
  const d = (deptId: string, name: string, roles: Department['roles']): Department => ({ id: deptId, name, platform: id, level: 'ministry', regionCode: '100000', roles });
  const departments = [
    d('dept-data-bureau', 'Data bureau (competent)', ['competent', 'auditor', 'operator']),
    d('dept-public-security', 'Public security', ['provider', 'requester']),
    d('dept-civil-affairs', 'Civil affairs', ['provider', 'requester']),
    // A third department, party to none of the tests' shares.
    d('dept-human-resources', 'Human resources', ['provider', 'requester']),
    d('dept-audit-office', 'Audit office', ['auditor']),
  ];
  const platform: PlatformFile = { platform: { id, name: `test platform ${id}`, kind: 'national', regionCode: '100000' }, departments, calendar: {}, auth: { tokenPublicKeyPem: keys.publicKeyPem } };
  const file = join(mkdtempSync(join(tmpdir(), 'govmesh-')), 'platform.json');
  writeFileSync(file, JSON.stringify(platform));
  return {
    id,
    file,
    departments,
    token: (departmentId, ttlSeconds = 3600, now = new Date()) => issueToken(keys.privateKeyPem, { sub: departmentId, plt: id, ttlSeconds, now }),
  };
};

export const waitFor = async <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20000, everyMs = 100): Promise<T> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

/** Every record of a topic from the beginning, read with plain kafkajs (no govmesh code). */
export const readTopic = async (brokers: string, topic: string): Promise<kafkajs.KafkaMessage[]> => {
  const kafka = new kafkajs.Kafka({ clientId: 'test-reader', brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const out: kafkajs.KafkaMessage[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read only ${out.length}/${total} records of ${topic}`)), 30000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push(message);
        if (out.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
};
