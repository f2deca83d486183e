import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64Avro } from './fingerprint.ts';
import { SchemaRegistry, compatibilityProblems } from './registry.ts';
import { GovError } from '../errors/errors.ts';

test('CRC-64-AVRO matches the Avro reference value for the schema "int"', () => {
  // Java SchemaNormalization.parsingFingerprint64 of "int" is 0x7275d51a3f395c8f.
  assert.equal(crc64Avro(Buffer.from('"int"')).toString(16), '7275d51a3f395c8f');
});

const v1 = { type: 'record', name: 'Thing', namespace: 'test.v1', fields: [{ name: 'id', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };

test('single-object encoding round-trips and starts with C3 01 + fingerprint', () => {
  const reg = new SchemaRegistry();
  const e = reg.add(v1, 1);
  const buf = reg.encode('test.v1.Thing', { id: 'a' });
  assert.deepEqual([...buf.subarray(0, 2)], [0xc3, 0x01]);
  assert.deepEqual(buf.subarray(2, 10), e.fingerprint);
  assert.deepEqual({ ...reg.decode(buf).value }, { id: 'a' });
});

test('data written with an old version is read with the latest', () => {
  const writer = new SchemaRegistry();
  writer.add(v1, 1);
  const old = writer.encode('test.v1.Thing', { id: 'a' });
  const reader = new SchemaRegistry();
  reader.add(v1, 1);
  reader.add(v2, 2);
  const d = reader.decode(old);
  assert.equal(d.schema.version, 2);
  assert.deepEqual({ ...d.value }, { id: 'a', note: null });
});

test('invalid values name the field; undecodable bytes are GOV_ERR_EVENT_UNDECODABLE', () => {
  const reg = new SchemaRegistry();
  reg.add(v1, 1);
  assert.throws(() => reg.encode('test.v1.Thing', { id: 3 }), (e: unknown) => e instanceof GovError && e.violations[0]?.field === 'id');
  assert.throws(() => reg.decode(Buffer.from('{"id":"x"}')), (e: unknown) => e instanceof GovError && e.code === 'GOV_ERR_EVENT_UNDECODABLE');
  const unknownFp = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from([2, 0x61])]);
  assert.throws(() => reg.decode(unknownFp), /unknown schema fingerprint/);
});

test('the compatibility check catches a field added without a default', () => {
  const reg = new SchemaRegistry();
  reg.add(v1, 1);
  reg.add({ ...v1, fields: [...v1.fields, { name: 'n', type: 'int' }] }, 2);
  const problems = compatibilityProblems(reg);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /v2 cannot read data written with v1/);
  const ok = new SchemaRegistry();
  ok.add(v1, 1);
  ok.add(v2, 2);
  assert.deepEqual(compatibilityProblems(ok), []);
});
