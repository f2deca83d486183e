import { Readable } from 'node:stream';
import { uuidv7, type Clock } from '@govmesh/backbone';
import { restAs, startTestService, testPlatform, waitFor, type TestPlatform, type TestServiceOptions } from '@govmesh/backbone/testing';
import type { CatalogEntryContent } from '@govmesh/contracts/avro';
import type { CatalogService } from '../../catalog/src/app.ts';
import { conditionalContent } from '../../catalog/src/domain/fixtures.ts';
import { publishOverRest, startTestCatalog } from '../../catalog/src/testing.ts';
import type { RequestService } from '../../request/src/app.ts';
import { startTestRequest } from '../../request/src/testing.ts';
import { startExchangeService, type ExchangeService } from './app.ts';
import { readExchangeConfig } from './config.ts';

export { restAs };

/** Starts an exchange service in-process on a test platform (pass the catalog's platform to share it), on a controlled clock. */
export const startTestExchange = (opts: TestServiceOptions = {}) =>
  startTestService({ name: 'exchange', readConfig: readExchangeConfig, start: startExchangeService, controlledClock: true }, opts);

export const PROVIDER = 'dept-public-security';
export const REQUESTER = 'dept-civil-affairs';
export const OTHER = 'dept-human-resources';

/** An entry with items of all three grades and several types (citizen_id is the natural key). */
export const gradedContent = (): CatalogEntryContent =>
  conditionalContent({
    grade: 'CORE',
    dataItems: [
      { name: 'citizen_id', type: 'string(18)', description: '公民身份号码', grade: 'IMPORTANT' },
      { name: 'name', type: 'string', description: '姓名', grade: 'GENERAL' },
      { name: 'household_size', type: 'integer', description: '家庭人口', grade: 'GENERAL' },
      { name: 'income', type: 'decimal(12,2)', description: '月收入', grade: 'CORE' },
    ],
    shareMethods: ['API', 'FILE'],
  });

/**
 * Catalog, request and exchange services in-process on one fresh test platform (its own topics),
 * on one controlled clock; the exchange learns entries and shares from the topics only.
 */
export const startTestMesh = async (clock: Clock, exchangeEnv: Record<string, string> = {}) => {
  const platform: TestPlatform = testPlatform();
  const started = await Promise.allSettled([startTestCatalog({ clock, platform }), startTestRequest({ clock, platform }), startTestExchange({ clock, platform, env: exchangeEnv })] as const);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) {
    // Stop what did start, or its consumers and servers keep the test process alive.
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.service.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [{ service: catalog }, { service: request }, { service: exchange }] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof startTestCatalog>>,
    Awaited<ReturnType<typeof startTestRequest>>,
    Awaited<ReturnType<typeof startTestExchange>>,
  ];
  const as = (dept: string, svc: { httpUrl: string } = exchange) => restAs(svc.httpUrl, platform.token(dept));
  return { platform, catalog, request, exchange, as, stop: async () => Promise.all([exchange.stop(), request.stop(), catalog.stop()]) };
};
export type TestMesh = Awaited<ReturnType<typeof startTestMesh>>;

/** Publishes an entry (through the catalog) and waits until both the request service and the exchange know it. */
export const publishEntry = async (m: TestMesh, content = gradedContent()): Promise<string> => {
  const entryId = `ce-${uuidv7()}`;
  await publishOverRest(m.catalog as CatalogService, m.platform, entryId, content);
  await waitFor(`${entryId} published in the exchange and request views`, async () => {
    const known = await m.exchange.commands.prepareLoad(principalOf(m, PROVIDER), entryId, 'citizen_id').then(() => true, () => false);
    const r = await m.as(REQUESTER, m.request as RequestService).get(`/v1/requestable-entries/${entryId}`);
    return known && r.status === 200 && r.body!['status'] === 'PUBLISHED';
  });
  return entryId;
};

const principalOf = (m: TestMesh, dept: string) => ({ department: { id: dept, platform: m.platform.id, roles: ['provider', 'requester'] } }) as never;

/** Draft, consent, submission and the provider's approval of `items`: the share id, once the exchange knows it approved. */
export const approvedShare = async (m: TestMesh, entryId: string, opts: { items?: string[]; requester?: string; shareMethod?: string } = {}): Promise<string> => {
  const shareId = `sr-${uuidv7()}`;
  const requester = m.as(opts.requester ?? REQUESTER, m.request);
  const ok = (r: { status: number; body?: unknown }) => {
    if (r.status >= 300) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(await requester.post('/v1/requests', {
    shareId,
    content: {
      entryId, dataItems: opts.items ?? ['citizen_id', 'name', 'income'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'minimum living allowance eligibility checks', useScope: 'civil affairs case officers',
      shareMethod: opts.shareMethod ?? 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
    },
  }));
  ok(await requester.post(`/v1/requests/${shareId}/internal-approval`, { approver: 'Director Zhao' }));
  ok(await requester.post(`/v1/requests/${shareId}/submission`));
  ok(await m.as(PROVIDER, m.request).post(`/v1/requests/${shareId}/reply`, { decision: 'APPROVE', headApprover: 'Director Wang' }));
  await waitFor(`${shareId} approved in the exchange`, async () => (await m.exchange.shares.get(shareId))?.state === 'APPROVED');
  return shareId;
};

export type { ExchangeService };

/** A resident record of gradedContent's items; `over` changes some of them. */
export const person = (i: number, over: Record<string, unknown> = {}) => ({ citizen_id: `11010119900307${String(i).padStart(4, '0')}`, name: `居民${i}`, household_size: (i % 5) + 1, income: 1000 + i, ...over });

/** The provider loads these rows (NDJSON, keyed by citizen_id); anything but 201 fails the caller. */
export const loadRecords = async (m: TestMesh, entryId: string, rows: unknown[] | AsyncIterable<string>): Promise<void> => {
  const res = await fetch(`${m.exchange.httpUrl}/v1/datasets/${entryId}/records?key=citizen_id`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.platform.token(PROVIDER)}`, 'content-type': 'application/x-ndjson' },
    ...(Array.isArray(rows) ? { body: rows.map((r) => JSON.stringify(r)).join('\n') } : { body: Readable.toWeb(Readable.from(rows)) as ReadableStream, duplex: 'half' }),
  } as RequestInit);
  if (res.status !== 201) throw new Error(`load failed: ${res.status} ${await res.text()}`);
};

/** `records` residents as NDJSON chunks of 5000, for loads too large to hold (benches). */
export async function* residents(records: number): AsyncGenerator<string> {
  for (let i = 0; i < records; i += 5000) {
    let chunk = '';
    for (let j = i; j < Math.min(records, i + 5000); j += 1) chunk += `${JSON.stringify({ citizen_id: `1101011990${String(j).padStart(8, '0')}`, name: `居民${j}`, household_size: (j % 5) + 1, income: 1000 + (j % 9000) })}\n`;
    yield chunk;
  }
}
