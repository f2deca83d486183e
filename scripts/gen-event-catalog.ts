/**
 * Writes docs/events.md, the event catalog, from the .avsc contracts (their `doc` strings and
 * fields), so it cannot drift from what is on the topics. `--check` fails when it is stale.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '../packages/backbone/src/avro/registry.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/events.md');
const registry = SchemaRegistry.fromDirectory(join(root, 'schemas'));

// Where each namespace's events travel; <P> is the platform id (national, region-130000, ...).
const TOPICS: Record<string, string> = {
  'govmesh.catalog.v1': '<P>.catalog.events',
  'govmesh.catalog_ingest.v1': '<P>.catalog.ingest (published by departmental systems)',
  'govmesh.directory.v1': '<P>.directory.events',
  'govmesh.request.v1': '<P>.request.events',
  'govmesh.request_ingest.v1': '<P>.request.ingest (published by departmental systems)',
  'govmesh.exchange.v1': '<P>.exchange.events',
  'govmesh.audit.v1': '<P>.audit.events',
  'govmesh.audit_checkpoints.v1': '<P>.audit.checkpoints',
};

type Field = { name: string; type: unknown; doc?: string };
const typeName = (t: unknown): string => {
  if (typeof t === 'string') return t.split('.').pop()!;
  if (Array.isArray(t)) return t.map(typeName).join(' | ');
  const o = t as { type: string; name?: string; items?: unknown; symbols?: string[] };
  if (o.type === 'array') return `${typeName(o.items)}[]`;
  if (o.type === 'enum') return `${o.name} (${o.symbols!.join(', ')})`;
  return o.name ?? o.type;
};

const byNs = new Map<string, string[]>();
for (const name of [...new Set(registry.entries().map((e) => e.name))].sort()) {
  const latest = registry.latest(name);
  const json = JSON.parse(readFileSync(latest.file, 'utf8')) as { doc?: string; fields: Field[] };
  const ns = name.slice(0, name.lastIndexOf('.'));
  const fields = json.fields.map((f) => `\`${f.name}\`: ${typeName(f.type)}`).join('; ');
  const row = `| \`${name.slice(ns.length + 1)}\` v${latest.version} | ${json.doc ?? ''} | ${fields} | \`${relative(root, latest.file)}\` \`${latest.fingerprintHex}\` |`;
  byNs.set(ns, [...(byNs.get(ns) ?? []), row]);
}

const text = [
  '# Event catalog',
  '',
  'Generated from `schemas/**/*.avsc` by `scripts/gen-event-catalog.ts` (`npm run gen`). Do not edit.',
  '',
  'Every record: key = aggregate id; value = Avro single-object encoding (`C3 01`, 8-byte CRC-64-AVRO',
  'fingerprint, Avro body); headers = CloudEvents binary mode: `ce_id` (UUIDv7), `ce_type` (the Avro',
  'full name), `ce_source`, `ce_subject` (aggregate id), `ce_time`, `ce_specversion` (1.0),',
  '`content-type: application/avro`, `ce_dataschema`, `ce_correlationid` (share or entry id),',
  '`ce_causationid` (command or event id), `ce_partitionkey`, `ce_aggregateversion` (aggregate version, ADR 0009) and W3C',
  '`traceparent`. Ingest records also carry `authorization: Bearer <department token>`.',
  'Records that fail go to `<topic>.dlq` with `x-original-topic`, `x-original-partition`,',
  '`x-original-offset`, `x-error-code`, `x-error-message`, `x-error-fields`, `x-consumer-group`.',
  '',
  ...[...byNs].flatMap(([ns, rows]) => [`## ${ns}`, '', `Topic: \`${TOPICS[ns] ?? '(see the service)'}\``, '', '| Event | Meaning | Fields | Schema, fingerprint |', '|---|---|---|---|', ...rows, '']),
].join('\n');

if (process.argv.includes('--check')) {
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) {
    console.error('docs/events.md is stale: run npm run gen');
    process.exit(1);
  }
  console.log('event catalog up to date');
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
