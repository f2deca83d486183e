import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { GovError } from '../errors/errors.ts';
import { MAX_EVENT_BYTES, raiseEvent } from '../store/outbox.ts';
import type { Tx } from '../store/database.ts';
import { SchemaRegistry } from './registry.ts';

// Issue 13, defects 1 and 3, below the REST edge: no event is written that a strict Avro reader
// could not read back or that the broker would refuse, and no invalid UTF-8 is read as text.
const schema = {
  type: 'record',
  name: 'Drafted',
  namespace: 'test.v1',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'content', type: { type: 'record', name: 'Content', fields: [{ name: 'name', type: 'string' }, { name: 'abstract', type: 'string' }, { name: 'tags', type: { type: 'array', items: 'string' } }, { name: 'note', type: ['null', 'string'], default: null }] } },
  ],
};
const registry = () => {
  const r = new SchemaRegistry();
  r.add(schema, 1);
  return r;
};
const value = (over: Record<string, unknown> = {}) => ({ id: 'e-1', content: { name: 'XYZ', abstract: 'a', tags: ['t'], note: null, ...over } });

/** The bytes of an event whose content.name is the 3 bytes `bad` (a writer that is not govmesh's). */
const forged = (bad: number[], field: Record<string, unknown> = {}) => {
  const buf = registry().encode('test.v1.Drafted', value(field));
  const at = buf.indexOf(Buffer.from('XYZ'));
  assert.ok(at > 0);
  Buffer.from(bad).copy(buf, at);
  return buf;
};

test('EDGE: an Avro string holding invalid UTF-8 (an encoded lone surrogate ED A0 80, a stray FF) is undecodable, where avsc alone would read it leniently (issue 13, defect 3)', () => {
  for (const bad of [[0xed, 0xa0, 0x80], [0x41, 0xff, 0x42], [0xc0, 0xaf, 0x41]]) {
    const buf = forged(bad);
    const lenient = avro.Type.forSchema(schema as avro.Schema).fromBuffer(buf.subarray(10)) as { content: { name: string } };
    assert.match(lenient.content.name, /\uFFFD/, 'avsc replaces invalid UTF-8 silently');
    assert.throws(() => registry().decode(buf), (e: unknown) => e instanceof GovError && e.code === 'GOV_ERR_EVENT_UNDECODABLE' && /UTF-8/.test(e.message), `bytes ${bad.join(' ')}`);
  }
  // Also inside a union branch, an array item, and when reading an old version through a resolver.
  const inNote = registry().encode('test.v1.Drafted', value({ note: 'XYZ' }));
  const second = inNote.lastIndexOf(Buffer.from('XYZ'));
  Buffer.from([0xed, 0xb0, 0x80]).copy(inNote, second);
  assert.throws(() => registry().decode(inNote), /UTF-8/);
  const newer = registry();
  newer.add({ ...schema, fields: [...schema.fields, { name: 'extra', type: 'string', default: '' }] }, 2);
  assert.throws(() => newer.decode(forged([0xed, 0xa0, 0x80])), /UTF-8/);
  // Valid text of every plane, a BOM included, is read exactly.
  const fine = registry().encode('test.v1.Drafted', value({ name: '\uFEFF人口 😀 𠀀', tags: ['é'] }));
  assert.deepEqual({ ...(registry().decode(fine).value['content'] as object) }, { name: '\uFEFF人口 😀 𠀀', abstract: 'a', tags: ['é'], note: null });
});

test('EDGE: an event holding a NUL or a lone surrogate is never encoded; the error names the field (issue 13, defect 3)', () => {
  for (const [over, field] of [[{ name: 'a\u0000b' }, 'content.name'], [{ tags: ['ok', '\ud800'] }, 'content.tags.1'], [{ note: '\udfff' }, 'content.note']] as const) {
    assert.throws(
      () => registry().encode('test.v1.Drafted', value(over)),
      (e: unknown) => e instanceof GovError && e.code === 'GOV_ERR_INPUT_INVALID' && e.violations.some((v) => v.field === field),
      field,
    );
  }
});

test(`EDGE: a command whose event would exceed ${MAX_EVENT_BYTES} bytes (well below the broker's message.max.bytes) is refused before anything is written, naming the largest field (issue 13, defect 1)`, async () => {
  const queries: string[] = [];
  const tx: Tx = { query: async (sql: string) => (queries.push(sql), []) } as unknown as Tx;
  const raise = (over: Record<string, unknown>) =>
    raiseEvent(tx, 's', registry(), { topic: 't', type: 'test.v1.Drafted', data: value(over), source: '/platforms/p/services/s', subject: 'e-1', at: new Date(), sequence: 1 });
  await assert.rejects(raise({ abstract: 'x'.repeat(MAX_EVENT_BYTES) }), (e: unknown) => e instanceof GovError && e.code === 'GOV_ERR_EVENT_TOO_LARGE' && e.violations[0]?.field === 'content.abstract');
  await assert.rejects(raise({ tags: Array.from({ length: 5000 }, () => 't'.repeat(100)) }), (e: unknown) => e instanceof GovError && e.code === 'GOV_ERR_EVENT_TOO_LARGE' && e.violations[0]?.field === 'content.tags');
  assert.deepEqual(queries, [], 'no outbox row');
  await raise({ abstract: 'x'.repeat(MAX_EVENT_BYTES - 2000) });
  assert.equal(queries.length, 1);
});
