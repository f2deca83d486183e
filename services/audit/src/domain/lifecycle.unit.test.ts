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

test('SUP-01: a catalog entry and a share request that carry the same id are never mixed in one lifecycle; each is asked for by its service (issue 13, defect 2)', () => {
  // Before ids were typed, a client could draft a share request under an existing catalog entry's id.
  const entryX = [
    ev(10, 'p.catalog.events', 'govmesh.catalog.v1.CatalogEntryDrafted', { entryId: 'x', platform: 'p', draftedBy: 'dept-a', content: { name: 'Population' } }, { correlationId: 'x', subject: 'x' }),
    ev(11, 'p.catalog.events', 'govmesh.catalog.v1.CatalogEntryPublished', { entryId: 'x', version: 1, reviewedBy: 'dept-c' }, { correlationId: 'x', subject: 'x' }),
  ];
  const shareX = [
    ev(12, 'p.request.events', 'govmesh.request.v1.ShareRequestDrafted', { shareId: 'x', requester: 'dept-b', content: { entryId: 'e-1', dataItems: ['id'] } }, { correlationId: 'x', subject: 'x' }),
    ev(13, 'p.request.events', 'govmesh.request.v1.ShareRequestWithdrawn', { shareId: 'x', withdrawnBy: 'dept-b' }, { correlationId: 'x', subject: 'x' }),
  ];
  // What the ledger holds under correlation id x (the caller adds the linked ids' events).
  const own = [...entryX, ...shareX];
  // By default the id names the aggregate created first: the entry; the share's events are left out, and said so.
  const asEntry = foldLifecycle('x', linkedIds(own, 'x'), own);
  assert.equal(asEntry.root, 'catalog');
  assert.deepEqual(asEntry.timeline.map((t) => t.type), ['CatalogEntryDrafted', 'CatalogEntryPublished']);
  assert.deepEqual(asEntry.excluded, [{ service: 'request', events: 2 }]);
  assert.deepEqual(asEntry.finalState.map((s) => s.service), ['catalog']);
  assert.match(lifecycleLines(asEntry).join('\n'), /NOT MIXED IN: 2 events of a request aggregate with the same id/);
  // Asked for the share: the share's own events and the entry it names, not entry x.
  const linked = linkedIds(own, 'x', 'request');
  assert.deepEqual(linked, ['e-1']);
  const asShare = foldLifecycle('x', linked, [...own, ...entry], 'request');
  assert.deepEqual(asShare.timeline.map((t) => `${t.subject}:${t.type}`), ['e-1:CatalogEntryDrafted', 'e-1:CatalogEntryPublished', 'x:ShareRequestDrafted', 'x:ShareRequestWithdrawn']);
  assert.deepEqual(asShare.excluded, [{ service: 'catalog', events: 2 }]);
  assert.equal(asShare.finalState.find((s) => s.service === 'request')?.status, 'WITHDRAWN');
});
