import { test } from 'node:test';
import { deciderSpec } from '@govmesh/backbone/testing';
import type { Department } from '@govmesh/backbone';
import { departmentDecider } from './department.ts';

const spec = deciderSpec(departmentDecider);
const at = new Date('2026-11-02T09:00:00+08:00');
const dept: Department = { id: 'd1', name: 'Public Security', platform: 'national', level: 'national', regionCode: '100000', roles: ['provider', 'requester'] };
const registered = { type: 'DepartmentRegistered' as const, data: { departmentId: 'd1', name: 'Public Security', platform: 'national', level: 'national', regionCode: '100000', roles: ['provider', 'requester'] } };

test('a new department is registered; an unchanged one publishes nothing; a change is an update', () => {
  spec.given([]).when({ kind: 'SyncDepartment', department: dept }, { at }).then([registered]);
  spec.given([registered]).when({ kind: 'SyncDepartment', department: { ...dept, roles: ['requester', 'provider'] } }, { at }).then([]);
  spec.given([registered]).when({ kind: 'SyncDepartment', department: { ...dept, roles: ['requester'] } }, { at }).then([{ type: 'DepartmentUpdated', data: { ...registered.data, roles: ['requester'] } }]);
});

test('EDGE: SEC-14: a department dropped from the platform file is removed by an event; listed again, it is registered anew (defect 9)', () => {
  const removed = { type: 'DepartmentRemoved' as const, data: { departmentId: 'd1', platform: 'national' } };
  spec.given([registered]).when({ kind: 'RemoveDepartment', departmentId: 'd1', platform: 'national' }, { at }).then([removed]);
  spec.given([registered, removed]).when({ kind: 'RemoveDepartment', departmentId: 'd1', platform: 'national' }, { at }).then([]);
  spec.given([]).when({ kind: 'RemoveDepartment', departmentId: 'd1', platform: 'national' }, { at }).then([]);
  spec.given([registered, removed]).when({ kind: 'SyncDepartment', department: dept }, { at }).then([registered]);
});
