import { test } from 'node:test';
import { deciderSpec } from '@govmesh/backbone/testing';
import { deliveryDecider } from './delivery.ts';
import { ENTRY, PROVIDER, REQUESTER, SHARE, T0, approvedShare } from './delivery-fixtures.ts';

const spec = deciderSpec(deliveryDecider);
const ctx = { at: T0, aggregateId: SHARE };
const started = { type: 'ShareDeliveryStarted' as const, data: { shareId: SHARE, requester: REQUESTER, provider: PROVIDER, entryId: ENTRY, shareMethod: 'API' as const, datasetVersion: 2, startedAt: T0.toISOString() } };

test('DLV-01, DLV-02: the first delivery of an approved share raises ShareDeliveryStarted, with its method and instant', () => {
  spec.given([]).when({ kind: 'RecordDelivery', share: approvedShare(), method: 'API', datasetVersion: 2 }, ctx).then([started]);
});

test('DLV-01: it is raised once: later deliveries, and a share already active (hand-reported) or cut, raise nothing', () => {
  spec.given([started]).when({ kind: 'RecordDelivery', share: approvedShare(), method: 'API', datasetVersion: 3 }, ctx).then([]);
  spec.given([]).when({ kind: 'RecordDelivery', share: approvedShare({ state: 'ACTIVE' }), method: 'API', datasetVersion: 3 }, ctx).then([]);
  spec.given([]).when({ kind: 'RecordDelivery', share: approvedShare({ state: 'SUSPENDED' }), method: 'API', datasetVersion: 3 }, ctx).then([]);
});
