import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deciderSpec } from '@govmesh/backbone/testing';
import type { CatalogEvent } from '@govmesh/contracts/avro';
import { catalogEntryDecider, displayStatus, evolve, initialState } from './catalog-entry.ts';
import { ENTRY, T0, competent, conditionalContent, foreignCompetent, otherProvider, provider, publishedHistory } from './fixtures.ts';

const spec = deciderSpec(catalogEntryDecider);
const at = T0;
const drafted: CatalogEvent[] = publishedHistory().slice(0, 1);
const assessed = publishedHistory().slice(0, 3);
const approved = publishedHistory().slice(0, 4);
const submitted = publishedHistory().slice(0, 5);
const published = publishedHistory();

test('CAT-03: a draft with every legal field is accepted', () => {
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent() }, { at }).then(drafted);
});

test('CAT-03: a draft missing legal fields is refused, naming each field', () => {
  spec
    .given([])
    .when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent({ name: ' ', format: '', dataItems: [] }) }, { at })
    .thenThrows('GOV_ERR_INPUT_INVALID', undefined, /content\.name.*content\.format.*content\.dataItems/);
});

test('CAT-06: conditional data must state scope and purpose', () => {
  spec
    .given([])
    .when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent({ conditions: { scope: '', purpose: '', other: '' } }) }, { at })
    .thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-06', /content\.conditions\.scope.*content\.conditions\.purpose/);
});

test('CAT-06: not-shared data must give the reason and the legal basis', () => {
  const content = conditionalContent({ shareAttribute: 'NOT_SHARED', shareMethods: [], conditions: null, notSharedReason: null, notSharedLegalBasis: ' ' });
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-06', /notSharedReason.*notSharedLegalBasis/);
});

test('CAT-04: not-shared data with reason and basis is accepted and carries no share method', () => {
  const ok = conditionalContent({ shareAttribute: 'NOT_SHARED', shareMethods: [], conditions: null, notSharedReason: 'state secret', notSharedLegalBasis: '保守国家秘密法 Art. 2' });
  assert.equal(spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: ok }, { at }).thenEvents().length, 1);
  spec
    .given([])
    .when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: { ...ok, shareMethods: ['API'] } }, { at })
    .thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-04', /shareMethods/);
});

test('CAT-05: unconditional data may not carry conditions added by the provider', () => {
  const content = conditionalContent({ shareAttribute: 'UNCONDITIONAL' });
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-05', /content\.conditions/);
});

test('SEC-11: the entry grade is at least the highest data item grade', () => {
  const content = conditionalContent({ grade: 'GENERAL' });
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'SEC-11', /content\.grade/);
});

test('CAT-10: only a provider drafts, and only for its own data', () => {
  spec.given([]).when({ kind: 'DraftEntry', by: competent, entryId: ENTRY, content: conditionalContent({ provider: competent.departmentId }) }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-10');
  spec.given([]).when({ kind: 'DraftEntry', by: otherProvider, entryId: ENTRY, content: conditionalContent() }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-10');
});

test('CAT-10: only the providing department edits its entry', () => {
  spec.given(drafted).when({ kind: 'ReviseEntry', by: otherProvider, content: conditionalContent() }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-10');
  spec.given(drafted).when({ kind: 'RecordAssessment', by: otherProvider, assessment: 'SECRECY_RISK', reference: 'x', conclusion: 'y' }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-10');
});

test('CAT-01: a retried draft with the same content is a no-op; a different one is refused', () => {
  spec.given(drafted).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent() }, { at }).then([]);
  spec.given(drafted).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent({ name: 'other' }) }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-01');
});

test('CAT-02: the head approves only after both assessments', () => {
  spec.given(drafted.concat(assessed.slice(1, 2))).when({ kind: 'ApproveByHead', by: provider, approver: 'Director Wang' }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-02', /PERSONAL_INFORMATION/);
  spec.given(assessed).when({ kind: 'ApproveByHead', by: provider, approver: 'Director Wang' }, { at }).then([approved[3]!]);
});

test('CAT-02: an entry is submitted only after assessments and head approval', () => {
  spec.given(assessed).when({ kind: 'SubmitEntry', by: provider }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-02');
  spec.given(approved).when({ kind: 'SubmitEntry', by: provider }, { at }).then([submitted[4]!]);
});

test('CAT-02: revising a draft voids its assessments and approval', () => {
  const s = [...approved, { type: 'CatalogEntryRevised', data: { entryId: ENTRY, revisedBy: provider.departmentId, content: conditionalContent({ abstract: 'changed' }) } } as CatalogEvent].reduce(evolve, initialState());
  assert.equal(s.status, 'DRAFT');
  assert.deepEqual(s.assessments, {});
  assert.equal(s.headApprover, null);
});

test('CAT-07: only the same-level competent department publishes', () => {
  spec.given(submitted).when({ kind: 'PublishEntry', by: provider }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-07');
  spec.given(submitted).when({ kind: 'PublishEntry', by: foreignCompetent }, { at }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-07');
  spec.given(submitted).when({ kind: 'PublishEntry', by: competent }, { at }).then([published[5]!]);
  spec.given(approved).when({ kind: 'PublishEntry', by: competent }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-07');
});

test('CAT-07: a returned entry states its reasons and goes back to draft', () => {
  spec.given(submitted).when({ kind: 'ReturnEntry', by: competent, reasons: [' '] }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-07');
  const [ev] = spec.given(submitted).when({ kind: 'ReturnEntry', by: competent, reasons: ['data items lack descriptions'] }, { at }).thenEvents();
  const s = [...submitted, ev!].reduce(evolve, initialState());
  assert.equal(s.status, 'DRAFT');
  assert.deepEqual(s.returnReasons, ['data items lack descriptions']);
});

// National Day 2026: 1-7 October off, Saturday 10 October a make-up working day.
const changedAt = new Date('2026-09-29T10:00:00+08:00');
const startUpdate = () => spec.given(published).when({ kind: 'StartUpdate', by: provider, trigger: 'LAW_CHANGE', changedAt, description: 'new personal information rules' }, { at: changedAt }).thenEvents();

test('CAT-08: an update is due 10 working days after the change, across the National Day holiday', () => {
  const [ev] = startUpdate();
  assert.equal(ev?.type, 'CatalogEntryUpdateStarted');
  assert.equal(ev?.type === 'CatalogEntryUpdateStarted' && ev.data.dueAt, new Date('2026-10-19T23:59:59.999+08:00').toISOString());
  assert.equal(displayStatus([...published, ev!].reduce(evolve, initialState())), 'UPDATING');
});

test('CAT-08: one extension of 5 working days, only with the competent department consent', () => {
  const history = [...published, ...startUpdate()];
  const [req] = spec.given(history).when({ kind: 'RequestUpdateExtension', by: provider, reason: 'waiting for implementing rules' }, { at: changedAt }).thenEvents();
  spec.given([...history, req!]).when({ kind: 'DecideUpdateExtension', by: provider, grant: true, reason: '' }, { at: changedAt }).thenThrows('GOV_ERR_AUTH_FORBIDDEN', 'CAT-07');
  const [granted] = spec.given([...history, req!]).when({ kind: 'DecideUpdateExtension', by: competent, grant: true, reason: '' }, { at: changedAt }).thenEvents();
  assert.equal(granted?.type === 'CatalogUpdateExtensionGranted' && granted.data.dueAt, new Date('2026-10-26T23:59:59.999+08:00').toISOString());
  spec.given([...history, req!, granted!]).when({ kind: 'RequestUpdateExtension', by: provider, reason: 'again' }, { at: changedAt }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-08', /at most once/);
});

test('CAT-08: the review of an update is due within 2 working days of submission', () => {
  const history = [...published, ...startUpdate(), ...publishedHistory().slice(1, 4)];
  const submittedAt = new Date('2026-09-30T15:00:00+08:00');
  const [ev] = spec.given(history).when({ kind: 'SubmitEntry', by: provider }, { at: submittedAt }).thenEvents();
  // 30 Sep -> 8 Oct (1), 9 Oct (2): the holiday week does not count.
  assert.equal(ev?.type === 'CatalogEntrySubmitted' && ev.data.reviewDueAt, new Date('2026-10-09T23:59:59.999+08:00').toISOString());
  assert.equal(displayStatus([...history, ev!].reduce(evolve, initialState())), 'UPDATE_SUBMITTED');
});

test('CAT-08: an overdue update is flagged once, after the deadline and not before', () => {
  const history = [...published, ...startUpdate()];
  spec.given(history).when({ kind: 'FlagOverdue' }, { at: new Date('2026-10-19T23:59:00+08:00') }).then([]);
  const late = new Date('2026-10-20T00:00:01+08:00');
  const flagged = spec.given(history).when({ kind: 'FlagOverdue' }, { at: late }).thenEvents();
  assert.deepEqual(flagged.map((e) => e.type), ['CatalogUpdateOverdue']);
  spec.given([...history, ...flagged]).when({ kind: 'FlagOverdue' }, { at: late }).then([]);
});

test('CAT-08: an overdue review is flagged once', () => {
  const submittedAt = new Date('2026-09-30T15:00:00+08:00');
  const history = [...published, ...startUpdate(), ...publishedHistory().slice(1, 4)];
  const sub = spec.given(history).when({ kind: 'SubmitEntry', by: provider }, { at: submittedAt }).thenEvents();
  const late = new Date('2026-10-10T08:00:00+08:00');
  const flagged = spec.given([...history, ...sub]).when({ kind: 'FlagOverdue' }, { at: late }).thenEvents();
  assert.deepEqual(flagged.map((e) => e.type), ['CatalogReviewOverdue']);
  spec.given([...history, ...sub, ...flagged]).when({ kind: 'FlagOverdue' }, { at: late }).then([]);
});

test('CAT-08: publishing the update bumps the version and closes the cycle', () => {
  const history = [...published, ...startUpdate(), ...publishedHistory().slice(1, 5)];
  const [ev] = spec.given(history).when({ kind: 'PublishEntry', by: competent }, { at }).thenEvents();
  assert.equal(ev?.type === 'CatalogEntryPublished' && ev.data.version, 2);
  const s = [...history, ev!].reduce(evolve, initialState());
  assert.equal(s.update, null);
  assert.equal(displayStatus(s), 'PUBLISHED');
});

test('commands on an entry that does not exist are refused as not found', () => {
  spec.given([]).when({ kind: 'SubmitEntry', by: provider }, { at, aggregateId: 'nope' }).thenThrows('GOV_ERR_NOT_FOUND', undefined, /catalog entry nope not found/);
});
