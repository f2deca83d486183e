import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GovError } from '@govmesh/backbone';
import { deciderSpec } from '@govmesh/backbone/testing';
import { shareRequestDecider } from './share-request.ts';
import { ENTRY, SHARE, T0, auditor, conditionalEntry, draftedHistory, provider, requestContent, requester } from './fixtures.ts';

const spec = deciderSpec(shareRequestDecider);
const at = T0;
const draft = (content = requestContent(), entry: ReturnType<typeof conditionalEntry> | null = conditionalEntry(), by = requester) => spec.given([]).when({ kind: 'DraftRequest', by, shareId: SHARE, content, entry }, { at, aggregateId: SHARE });

/** The field names of the input error a draft raises. */
const fieldsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof GovError, String(err));
    assert.equal(err.code, 'GOV_ERR_INPUT_INVALID', err.message);
    return err.violations.map((v) => v.field);
  }
  assert.fail('expected an input error');
};

test('REQ-03: a draft with every legal field is accepted; the catalog fills provider and version', () => {
  draft().then([{
    type: 'ShareRequestDrafted',
    data: { shareId: SHARE, platform: 'national', requester: requester.departmentId, entryName: '人口基础信息', shareAttribute: 'CONDITIONAL', content: requestContent({ provider: provider.departmentId, entryVersion: 1 }) },
  }]);
});

test('REQ-03: a draft missing legal fields is refused, naming each field', () => {
  const content = requestContent({ legalBasis: ' ', useScenario: '', useScope: '', periodUntil: '31/08/2027' });
  draft(content).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-03', /content\.legalBasis.*content\.useScenario.*content\.useScope.*content\.periodUntil/);
});

test('REQ-03: the period of use is a real range that has not ended', () => {
  assert.deepEqual(fieldsOf(() => draft(requestContent({ periodFrom: '2026-10-01', periodUntil: '2026-09-30' })).thenEvents()), ['content.periodUntil']);
  assert.deepEqual(fieldsOf(() => draft(requestContent({ periodFrom: '2025-01-01', periodUntil: '2026-09-17' })).thenEvents()), ['content.periodUntil']);
  assert.deepEqual(fieldsOf(() => draft(requestContent({ periodFrom: '2026-02-30' })).thenEvents()), ['content.periodFrom']);
});

test('REQ-03: the requester guarantees the request is genuine, lawful and necessary', () => {
  const content = requestContent({ commitment: { genuine: false, lawful: false, necessary: false, secure: true } });
  draft(content).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-03', /commitment\.genuine.*commitment\.lawful.*commitment\.necessary/);
});

test('REQ-07: the commitment covers security and the use scenario is stated', () => {
  draft(requestContent({ commitment: { genuine: true, lawful: true, necessary: true, secure: false } })).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-07', /content\.commitment\.secure/);
  assert.deepEqual(fieldsOf(() => draft(requestContent({ useScenario: ' ' })).thenEvents()), ['content.useScenario']);
});

test('REQ-02: a request names a published catalog entry only', () => {
  draft(requestContent(), null).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /content\.entryId: entry entry-1 is not in the platform catalog/);
  draft(requestContent(), conditionalEntry({ status: 'UNPUBLISHED', latestVersion: 0, version: null })).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /content\.entryId: entry entry-1 is not published/);
  draft(requestContent({ entryVersion: 7 }), conditionalEntry({ version: null })).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', /content\.entryVersion: version 7 of entry entry-1 was never published/);
});

test('CAT-04: data the catalog marks as not shared cannot be requested', () => {
  const entry = conditionalEntry({ version: { version: 1, shareAttribute: 'NOT_SHARED', shareMethods: [], dataItems: ['citizen_id'] } });
  draft(requestContent(), entry).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-04', /content\.entryId: entry entry-1 is not shared/);
});

test('REQ-02: only data items the entry has, each once, at least one', () => {
  assert.deepEqual(fieldsOf(() => draft(requestContent({ dataItems: ['citizen_id', 'bank_account'] })).thenEvents()), ['content.dataItems[1]']);
  assert.deepEqual(fieldsOf(() => draft(requestContent({ dataItems: ['name', 'name'] })).thenEvents()), ['content.dataItems[1]']);
  assert.deepEqual(fieldsOf(() => draft(requestContent({ dataItems: [] })).thenEvents()), ['content.dataItems']);
  draft(requestContent({ dataItems: ['bank_account'] })).thenThrows('GOV_ERR_INPUT_INVALID', 'REQ-02', new RegExp(`entry ${ENTRY} \\(version 1\\) has no data item 'bank_account'`));
});

test('DLV-02: the share method is one the entry offers', () => {
  draft(requestContent({ shareMethod: 'FILE' })).thenThrows('GOV_ERR_INPUT_INVALID', 'DLV-02', /content\.shareMethod: entry entry-1 is shared by API, BATCH only/);
});

test('REQ-02: the provider is the entry provider, and nobody requests its own data', () => {
  assert.deepEqual(fieldsOf(() => draft(requestContent({ provider: 'dept-civil-affairs' })).thenEvents()), ['content.provider']);
  assert.deepEqual(fieldsOf(() => draft(requestContent(), conditionalEntry(), provider).thenEvents()), ['content.provider']);
});

test('REQ-02: only a department with the requester role requests', () => {
  draft(requestContent(), conditionalEntry(), auditor).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'REQ-02');
});

test('REQ-02: a retried draft with the same content is a no-op; different content under the same id is refused', () => {
  spec.given(draftedHistory()).when({ kind: 'DraftRequest', by: requester, shareId: SHARE, content: requestContent(), entry: conditionalEntry() }, { at }).then([]);
  spec.given(draftedHistory()).when({ kind: 'DraftRequest', by: requester, shareId: SHARE, content: requestContent({ useScope: 'other' }), entry: conditionalEntry() }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', undefined, /already exists/);
});
