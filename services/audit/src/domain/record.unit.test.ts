import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, envelopeToHeaders, type Envelope } from '@govmesh/backbone';
import { contentDigest, kafkaHeadersToLeaf, leafTime, ledgerRecord, readEvent, recordLeaf } from './record.ts';

const registry = SchemaRegistry.fromDirectory(fileURLToPath(new URL('../../../../schemas', import.meta.url)));
const TYPE = 'govmesh.catalog.v1.CatalogEntryHeadApproved';
const envelope: Envelope = {
  id: '01a1fe77-0000-7000-8000-000000000001', type: TYPE, source: '/platforms/p/services/catalog', subject: 'e-1', time: '2026-09-21T01:00:00.000Z',
  specversion: '1.0', datacontenttype: 'application/avro', dataschema: '', correlationid: 'e-1', causationid: 'c', partitionkey: 'e-1', sequence: '4',
};
const value = registry.encode(TYPE, { entryId: 'e-1', approver: 'Director Wang', recordedBy: 'dept-a' });
const record = (over: { headers?: Record<string, string>; value?: Buffer | null } = {}) =>
  ledgerRecord(recordLeaf('p', 'p.catalog.events', 1, { key: Buffer.from('e-1'), value: over.value === undefined ? value : over.value, timestamp: '1790000000123', offset: '9', headers: over.headers ?? envelopeToHeaders(envelope) }));

test('a record becomes a leaf from which every indexed field reads back, the Kafka timestamp included', () => {
  const r = record();
  assert.deepEqual([r.topic, r.partition, r.offset, r.ceId, r.ceSubject, r.correlationId, r.sequence], ['p.catalog.events', 1, '9', envelope.id, 'e-1', 'e-1', '4']);
  assert.equal(r.timestampMs, 1790000000123);
  assert.equal(r.leaf.ingestTime, leafTime(1790000000123));
  const read = readEvent(r, registry);
  assert.equal(read.problem, undefined);
  assert.equal(read.decoded?.value['approver'], 'Director Wang');
  assert.equal(read.envelope?.partitionkey, 'e-1');
});

test('EDGE: the ledger reads the aggregate version from ce_aggregateversion, and from ce_sequence in a leaf written before it (defect 14, ADR 0009)', () => {
  const headers = envelopeToHeaders(envelope);
  assert.equal(headers['ce_aggregateversion'], '4');
  assert.equal(record({ headers }).sequence, '4');
  const { ce_aggregateversion: _v, ...rest } = headers;
  assert.equal(record({ headers: { ...rest, ce_sequence: '12' } }).sequence, '12');
  // Both present (a leaf can only say one thing): the govmesh attribute wins.
  assert.equal(record({ headers: { ...headers, ce_sequence: '0000000004' } }).sequence, '4');
});

test('what is not a CloudEvent with a known Avro body is read with the reason', () => {
  const { ce_subject: _s, ...noSubject } = envelopeToHeaders(envelope);
  assert.match(readEvent(record({ headers: noSubject }), registry).problem!, /missing CloudEvents headers: ce_subject/);
  assert.match(readEvent(record({ value: Buffer.from('{"x":1}') }), registry).problem!, /not Avro single-object encoded/);
  assert.match(readEvent(record({ value: null }), registry).problem!, /tombstones are not events/);
  const other = registry.encode('govmesh.catalog.v1.CatalogEntrySubmitted', { entryId: 'e-1', submittedBy: 'd', isUpdate: false, reviewDueAt: null });
  assert.match(readEvent(record({ value: other }), registry).problem!, /does not match the value's schema govmesh\.catalog\.v1\.CatalogEntrySubmitted/);
  assert.match(readEvent(record({ headers: { ...envelopeToHeaders(envelope), ce_specversion: '0.3' } }), registry).problem!, /unsupported ce_specversion 0\.3/);
});

test('a re-send has the same content digest; another value does not', () => {
  const again = ledgerRecord(recordLeaf('p', 'p.catalog.events', 1, { key: Buffer.from('e-1'), value, timestamp: '1790000009999', offset: '12', headers: envelopeToHeaders(envelope) }));
  assert.equal(contentDigest(again), contentDigest(record()));
  assert.notEqual(contentDigest(record({ value: registry.encode(TYPE, { entryId: 'e-1', approver: 'someone else', recordedBy: 'dept-a' }) })), contentDigest(record()));
});

test('kafkajs header shapes (Buffer, string, repeated) all become leaf headers', () => {
  const h = kafkaHeadersToLeaf({ a: Buffer.from('1'), b: 'two', c: [Buffer.from('x'), 'y'], d: undefined });
  assert.deepEqual(h.map((x) => `${x.name}=${Buffer.from(x.value).toString()}`), ['a=1', 'b=two', 'c=x', 'c=y']);
  assert.equal(leafTime(Number.NaN), '1970-01-01T00:00:00.000Z');
});
