import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GovError } from '../errors/errors.ts';
import { deadLetterOf, parseDeadLetterRef, redeliveredFor, redeliveryOf, REDELIVERY_HEADERS } from './dead-letters.ts';

const letter = (originalTopic: string, extra: Record<string, string> = {}) =>
  deadLetterOf(`${originalTopic}.dlq`, 0, {
    offset: '7',
    key: Buffer.from('k'),
    value: Buffer.from('original'),
    headers: {
      ce_id: 'e-1', ce_type: 'test.Thing', traceparent: '00-abc',
      'x-original-topic': originalTopic, 'x-original-partition': '2', 'x-original-offset': '41',
      'x-consumer-group': 'govmesh-catalog-queries-national', 'x-error-code': 'GOV_ERR_RULE_VIOLATED', 'x-error-message': 'boom', 'x-error-fields': 'a,b', 'x-failed-at': '2026-12-02T00:00:00Z',
      ...extra,
    },
  });

test('EDGE: VER-09: a dead letter is named <dlq topic>/<partition>/<offset>, parsed strictly', () => {
  assert.deepEqual(parseDeadLetterRef('national.catalog.events.dlq/1/42'), { topic: 'national.catalog.events.dlq', partition: 1, offset: '42' });
  for (const bad of ['national.catalog.events/1/42', 'national.catalog.events.dlq/1/-1', 'national.catalog.events.dlq/1/4e2', 'national.catalog.events.dlq/one/2', 'x.dlq/1/2/3', 'x.dlq/ 1/2', 'x.dlq/1/2\u0000']) {
    assert.throws(() => parseDeadLetterRef(bad), (e: GovError) => e.code === 'GOV_ERR_INPUT_INVALID' && e.violations[0]?.field === 'ref', bad);
  }
});

test('EDGE: VER-09: a dead letter reads its origin, group and error from its headers; one govmesh did not write is refused, naming the header', () => {
  const d = letter('national.catalog.events');
  assert.deepEqual(d.original, { topic: 'national.catalog.events', partition: 2, offset: '41' });
  assert.equal(d.ref, 'national.catalog.events.dlq/0/7');
  assert.equal(d.ledgered, true);
  assert.deepEqual(d.error.fields, ['a', 'b']);
  assert.equal(letter('national.catalog.ingest').ledgered, false);
  assert.equal(letter('national.catalog.events.redelivery').ledgered, false, 'a redelivery topic is no ledger source');
  assert.throws(() => letter('national.catalog.events', { 'x-consumer-group': '' }), (e: GovError) => e.violations[0]?.field === 'x-consumer-group');
  assert.throws(() => deadLetterOf('national.catalog.events.dlq', 0, { offset: '1', key: null, value: null, headers: { 'x-original-topic': 'national.request.events' } }), (e: GovError) => e.violations[0]?.field === 'x-original-topic');
  assert.throws(() => letter('national.catalog.events', { 'x-original-offset': '4x' }), (e: GovError) => e.code === 'GOV_ERR_EVENT_UNDECODABLE');
});

test('EDGE: VER-09: a ledgered event is redelivered unchanged to the failed group only; a correction, a repeat, another group are refused or skipped', () => {
  const d = letter('national.catalog.events');
  const r = redeliveryOf(d, { at: new Date('2026-12-02T10:00:00Z') });
  assert.equal(r.topic, 'national.catalog.events.redelivery', 'never the original topic');
  assert.ok((r.message.value as Buffer).equals(Buffer.from('original')));
  const h = r.message.headers as Record<string, string>;
  assert.equal(h['ce_id'], 'e-1', 'the event keeps its id');
  assert.equal(h['traceparent'], '00-abc');
  assert.equal(h['x-error-code'], undefined, 'the failure is not carried on');
  assert.equal(h[REDELIVERY_HEADERS.group], 'govmesh-catalog-queries-national');
  assert.equal(h[REDELIVERY_HEADERS.of], 'national.catalog.events.dlq/0/7');
  assert.equal(h[REDELIVERY_HEADERS.edited], undefined);
  assert.deepEqual(redeliveredFor('govmesh-catalog-queries-national', h), { topic: 'national.catalog.events', partition: 2, offset: '41' });
  assert.equal(redeliveredFor('govmesh-request-catalog-national', h), undefined, 'another group skips it');

  assert.throws(() => redeliveryOf(d, { at: new Date(), correctedValue: Buffer.from('changed') }), (e: GovError) => e.rule === 'VER-09' && /ledgered/.test(e.message));
  assert.doesNotThrow(() => redeliveryOf(d, { at: new Date(), correctedValue: Buffer.from('original') }), 'the same bytes are no correction');
  assert.throws(() => redeliveryOf(d, { at: new Date(), alreadyRedelivered: true }), (e: GovError) => e.rule === 'VER-09' && /already/.test(e.message));
});

test('EDGE: VER-09: a record of a topic that is not ledgered may be corrected; the redelivery says so', () => {
  const r = redeliveryOf(letter('national.request.ingest'), { at: new Date(), correctedValue: Buffer.from('fixed') });
  assert.equal(r.topic, 'national.request.ingest.redelivery');
  assert.ok((r.message.value as Buffer).equals(Buffer.from('fixed')));
  assert.equal((r.message.headers as Record<string, string>)[REDELIVERY_HEADERS.edited], 'true');
});
