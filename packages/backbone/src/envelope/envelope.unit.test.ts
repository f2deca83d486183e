import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeFromHeaders, envelopeToHeaders, type Envelope } from './envelope.ts';
import { uuidv7, isUuid } from './uuid.ts';

const env: Envelope = {
  id: uuidv7(),
  type: 'govmesh.catalog.v1.CatalogEntryDrafted',
  source: '/platforms/national/services/catalog',
  subject: 'entry-1',
  time: '2026-11-21T10:00:00.000Z',
  specversion: '1.0',
  datacontenttype: 'application/avro',
  dataschema: 'urn:govmesh:avro:govmesh.catalog.v1.CatalogEntryDrafted:00',
  correlationid: 'entry-1',
  causationid: 'cmd-1',
  partitionkey: 'entry-1',
  sequence: '1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

test('binary-mode headers round-trip, also from Buffers as kafkajs delivers them', () => {
  const headers = envelopeToHeaders(env);
  assert.equal(headers['content-type'], 'application/avro');
  const asBuffers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
  assert.deepEqual(envelopeFromHeaders(asBuffers), env);
});

test('extension attribute names follow the CloudEvents naming rule', () => {
  for (const k of Object.keys(envelopeToHeaders(env)).filter((k) => k.startsWith('ce_'))) {
    assert.match(k.slice(3), /^[a-z0-9]+$/, k);
  }
});

test('EDGE: CloudEvents: the aggregate version travels in the govmesh extension aggregateversion, not in ce_sequence, whose values must order lexicographically across the source; a record of before (ce_sequence) still reads (defect 14)', () => {
  const headers = envelopeToHeaders({ ...env, sequence: '10' });
  assert.equal(headers['ce_sequence'], undefined, 'no ce_sequence: per-aggregate versions 9, 10 from one source are no sequence in the extension\'s sense');
  assert.equal(headers['ce_aggregateversion'], '10');
  assert.equal(envelopeFromHeaders(headers).sequence, '10');
  const { ce_aggregateversion: _v, ...before } = headers;
  assert.equal(envelopeFromHeaders({ ...before, ce_sequence: Buffer.from('9') }).sequence, '9');
});

test('missing required attributes are named', () => {
  assert.throws(() => envelopeFromHeaders({ ce_id: 'x' }), /missing CloudEvents headers: ce_type, ce_source, ce_subject, ce_time, ce_specversion/);
});

test('uuidv7 ids carry version 7 and sort by time', () => {
  const a = uuidv7(1_700_000_000_000);
  const b = uuidv7(1_700_000_000_001);
  assert.ok(isUuid(a));
  assert.equal(a[14], '7');
  assert.ok(a < b);
});
