import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldLifecycle, lifecycleLines, linkedIds, serviceOf, type LifecycleInput } from './lifecycle.ts';

const ev = (index: number, topic: string, type: string, data: Record<string, unknown> | null, extra: Partial<LifecycleInput> = {}): LifecycleInput => ({
  index,
  topic,
  partition: 0,
  offset: String(index),
  ceId: `id-${index}`,
  type,
  source: `/platforms/p/services/${topic.split('.')[1]}`,
  subject: String(data?.['shareId'] ?? data?.['entryId'] ?? ''),
  time: `2026-09-2${index}T09:00:00.000Z`,
  correlationId: 'share-1',
  sequence: String(index + 1),
  data,
  problem: undefined,
  ...extra,
});

const entry = [
  ev(0, 'p.catalog.events', 'govmesh.catalog.v1.CatalogEntryDrafted', { entryId: 'e-1', platform: 'p', draftedBy: 'dept-a', content: { name: 'Population' } }, { correlationId: 'e-1' }),
  ev(1, 'p.catalog.events', 'govmesh.catalog.v1.CatalogEntryPublished', { entryId: 'e-1', version: 1, reviewedBy: 'dept-c' }, { correlationId: 'e-1' }),
];
const share = [
  ev(3, 'p.request.events', 'govmesh.request.v1.ShareRequestDrafted', { shareId: 'share-1', requester: 'dept-b', content: { entryId: 'e-1', dataItems: ['id', 'name'] } }),
  ev(2, 'p.request.events', 'govmesh.request.v1.ShareRequestSubmitted', { shareId: 'share-1', submittedBy: 'dept-b', replyWorkingDays: 10 }),
  ev(4, 'p.request.events', 'govmesh.request.v1.ReplyOverdue', { shareId: 'share-1', provider: 'dept-a' }),
  ev(5, 'p.request.events', 'govmesh.request.v1.ShareRequestApproved', { shareId: 'share-1', approvedBy: 'dept-a', automatic: false, note: 'x'.repeat(400) }),
];

test('a share request links the catalog entry it names', () => {
  assert.deepEqual(linkedIds(share, 'share-1'), ['e-1']);
  assert.deepEqual(linkedIds(entry, 'e-1'), [], 'its own id is not a link');
});

test('the timeline is in ledger order and the final state is the last status per service, with flags', () => {
  const l = foldLifecycle('share-1', ['e-1'], [...share, ...entry, share[0]!]);
  assert.deepEqual(l.timeline.map((t) => t.index), [0, 1, 2, 3, 4, 5], 'ledger order, each event once');
  assert.equal(l.events, 6);
  const request = l.finalState.find((s) => s.service === 'request')!;
  assert.equal(request.status, 'APPROVED');
  assert.deepEqual(request.flags, ['REPLY_OVERDUE']);
  assert.equal(l.finalState.find((s) => s.service === 'catalog')!.status, 'PUBLISHED');
  const approved = l.timeline.at(-1)!;
  assert.equal(approved.keyFields['approvedBy'], 'dept-a');
  assert.equal(approved.keyFields['automatic'], false);
  assert.ok(String(approved.keyFields['note']).length <= 160, 'long text is shortened');
  assert.equal(l.timeline[3]!.keyFields['dataItems'], undefined, 'nested records are not key fields');
});

test('an undecodable event stays in the timeline without changing the status', () => {
  const bad = ev(6, 'p.request.events', 'govmesh.request.v1.ShareTerminated', null, { problem: 'unknown schema fingerprint 00' });
  const l = foldLifecycle('share-1', [], [...share, bad]);
  assert.equal(l.finalState.find((s) => s.service === 'request')!.status, 'APPROVED');
  assert.match(lifecycleLines(l).join('\n'), /#6 .* ShareTerminated .* PROBLEM: unknown schema fingerprint/);
});

test('the text form is deterministic and marks unproven entries', () => {
  const l = foldLifecycle('e-1', [], entry);
  const lines = lifecycleLines(l, (i) => i === 0);
  assert.deepEqual(lines, lifecycleLines(foldLifecycle('e-1', [], [...entry].reverse()), (i) => i === 0));
  assert.match(lines[1]!, /#0 .* catalog CatalogEntryDrafted v1 subject=e-1 -> DRAFT \[included\]/);
  assert.match(lines[2]!, /\[NOT PROVEN\]/);
});

test('the service comes from the topic, or from the CloudEvents source', () => {
  assert.equal(serviceOf('region-130000.request.events', ''), 'request');
  assert.equal(serviceOf('odd', '/platforms/p/services/exchange'), 'exchange');
});
