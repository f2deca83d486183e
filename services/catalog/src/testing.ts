import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { REPO_ROOT } from '@govmesh/backbone';
import { restAs, startTestService, type TestPlatform, type TestServiceOptions } from '@govmesh/backbone/testing';
import { startCatalogService, type CatalogService } from './app.ts';
import { readCatalogConfig } from './config.ts';
import { conditionalContent } from './domain/fixtures.ts';

export { restAs };

/** Starts a catalog service in-process on a test platform (a fresh one unless given: its own topics), on a controlled clock. */
export const startTestCatalog = (opts: TestServiceOptions = {}) =>
  startTestService({ name: 'catalog', readConfig: readCatalogConfig, start: startCatalogService, env: { DEADLINE_SCAN_MS: '3600000' }, controlledClock: true }, opts);

/** Runs the whole publish workflow over REST; returns the entry id. */
export const publishOverRest = async (svc: CatalogService, platform: TestPlatform, entryId: string, content = conditionalContent()): Promise<string> => {
  const provider = restAs(svc.httpUrl, platform.token('dept-public-security'));
  const competent = restAs(svc.httpUrl, platform.token('dept-data-bureau'));
  const steps = [
    () => provider.post('/v1/entries', { entryId, content }),
    () => provider.post(`/v1/entries/${entryId}/assessments`, { kind: 'SECRECY_RISK', reference: 'SR-2026-001', conclusion: 'no state secrets' }),
    () => provider.post(`/v1/entries/${entryId}/assessments`, { kind: 'PERSONAL_INFORMATION', reference: 'PIA-2026-001', conclusion: 'minimised' }),
    () => provider.post(`/v1/entries/${entryId}/head-approval`, { approver: 'Director Wang' }),
    () => provider.post(`/v1/entries/${entryId}/submission`),
    () => competent.post(`/v1/entries/${entryId}/publication`),
  ];
  for (const step of steps) {
    const r = await step();
    if (r.status >= 300) throw new Error(`step failed: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return entryId;
};

/**
 * An independent decoder that knows only the .avsc files: avsc for the Avro body, its own
 * CRC-64-AVRO for the single-object fingerprint. Used to prove the topic is readable without
 * govmesh code.
 */
export const plainAvscDecoder = () => {
  const EMPTY = 0xc15d213aa4d7a795n;
  const table = Array.from({ length: 256 }, (_, i) => {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = fp & 1n ? (fp >> 1n) ^ EMPTY : fp >> 1n;
    return fp;
  });
  const fingerprint = (s: string) => {
    let fp = EMPTY;
    for (const b of Buffer.from(s)) fp = (fp >> 8n) ^ table[Number((fp ^ BigInt(b)) & 0xffn)]!;
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(fp);
    return buf.toString('hex');
  };
  const types = new Map<string, avro.Type>();
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  for (const f of walk(join(REPO_ROOT, 'schemas')).filter((f) => f.endsWith('.avsc'))) {
    const t = avro.Type.forSchema(JSON.parse(readFileSync(f, 'utf8')));
    types.set(fingerprint(JSON.stringify(t.schema())), t);
  }
  return (value: Buffer): { name: string; value: Record<string, unknown> } => {
    if (value[0] !== 0xc3 || value[1] !== 0x01) throw new Error('not single-object encoded');
    const t = types.get(value.subarray(2, 10).toString('hex'));
    if (t === undefined) throw new Error(`unknown fingerprint ${value.subarray(2, 10).toString('hex')}`);
    return { name: t.name!, value: t.fromBuffer(value.subarray(10)) as Record<string, unknown> };
  };
};
