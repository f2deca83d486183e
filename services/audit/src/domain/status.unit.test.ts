import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialStreamStatus, nextStatus } from './status.ts';

const run = (events: [string, Record<string, unknown>][]) => events.reduce((s, [type, data]) => nextStatus(s, type, data), initialStreamStatus());

test('SUP-01: the catalog status read off the ledger matches the catalog service (both assessments, returns, update cycle)', () => {
  assert.equal(run([['CatalogEntryDrafted', {}], ['CatalogAssessmentRecorded', { kind: 'SECRECY_RISK' }]]).status, 'DRAFT');
  assert.equal(run([['CatalogEntryDrafted', {}], ['CatalogAssessmentRecorded', { kind: 'SECRECY_RISK' }], ['CatalogAssessmentRecorded', { kind: 'PERSONAL_INFORMATION' }]]).status, 'ASSESSED');
  assert.equal(run([['CatalogEntryDrafted', {}], ['CatalogEntrySubmitted', { isUpdate: false }], ['CatalogEntryReturned', {}]]).status, 'DRAFT');
  const update = run([['CatalogEntryPublished', {}], ['CatalogEntryUpdateStarted', {}], ['CatalogAssessmentRecorded', { kind: 'SECRECY_RISK' }], ['CatalogAssessmentRecorded', { kind: 'PERSONAL_INFORMATION' }]]);
  assert.equal(update.status, 'UPDATING');
  assert.equal(nextStatus(update, 'CatalogEntrySubmitted', { isUpdate: true }).status, 'UPDATE_SUBMITTED');
  assert.equal(nextStatus(nextStatus(update, 'CatalogEntrySubmitted', { isUpdate: true }), 'CatalogEntryPublished', {}).status, 'PUBLISHED');
});

test('SUP-01: the share status read off the ledger matches the request service (disputes, refused extensions, end of use)', () => {
  const refused: [string, Record<string, unknown>][] = [['ShareRequestSubmitted', {}], ['ShareRequestRefused', {}], ['DisputeOpened', {}]];
  assert.equal(run([...refused, ['DisputeResolved', { outcome: 'GRANTED', deliveryDueAt: '2026-11-30T15:59:59.999Z' }]]).status, 'APPROVED');
  assert.equal(run([...refused, ['DisputeResolved', { outcome: 'REFUSAL_UPHELD', deliveryDueAt: null }]]).status, 'REFUSED');
  assert.equal(run([['ShareRequestSubmitted', {}], ['ReplyExtensionRequested', {}], ['ReplyExtensionRefused', {}]]).status, 'SUBMITTED');
  assert.equal(run([['ShareActivated', {}], ['ShareUseEnded', {}]]).status, 'USE_ENDED');
});

test('missed deadlines raise a flag and keep the status; unknown event types change nothing', () => {
  const s = run([['ShareRequestSubmitted', {}], ['ReplyOverdue', {}]]);
  assert.equal(s.status, 'SUBMITTED');
  assert.equal(s.flag, 'REPLY_OVERDUE');
  assert.equal(nextStatus(s, 'SomethingNewFromAnotherService', {}).status, 'SUBMITTED');
});
