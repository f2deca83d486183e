import type { DirectoryEvent } from '@govmesh/contracts/avro';
import { assertNever, type Decider, type Department } from '@govmesh/backbone';

/**
 * A department of the platform directory, loaded from the platform file and published as events
 * so every service (and the auditor) learns who exists and which roles each holds.
 */
export interface DepartmentState {
  known: boolean;
  /** null before it is registered and after it is removed. */
  record: Omit<Department, 'id'> & { departmentId: string } | null;
}

/**
 * SyncDepartment: the platform file lists it; RemoveDepartment: the platform file no longer does
 * (every service then refuses its tokens at once, issue 13 defect 9).
 */
export type DepartmentCommand = { kind: 'SyncDepartment'; department: Department } | { kind: 'RemoveDepartment'; departmentId: string; platform: string };

const asRecord = (d: Department) => ({ departmentId: d.id, name: d.name, platform: d.platform, level: d.level, regionCode: d.regionCode, roles: [...d.roles].sort() });

export const departmentDecider: Decider<DepartmentCommand, DirectoryEvent, DepartmentState> = {
  initialState: () => ({ known: false, record: null }),
  decide: (cmd, s) => {
    switch (cmd.kind) {
      case 'SyncDepartment': {
        const next = asRecord(cmd.department);
        if (s.record === null) return [{ type: 'DepartmentRegistered', data: next }];
        if (JSON.stringify(s.record) === JSON.stringify(next)) return [];
        return [{ type: 'DepartmentUpdated', data: next }];
      }
      case 'RemoveDepartment':
        return s.record === null ? [] : [{ type: 'DepartmentRemoved', data: { departmentId: cmd.departmentId, platform: cmd.platform } }];
      default:
        return assertNever(cmd, 'department command');
    }
  },
  evolve: (s, e) => {
    switch (e.type) {
      case 'DepartmentRegistered':
      case 'DepartmentUpdated':
        return { known: true, record: { ...e.data, level: e.data.level as Department['level'], roles: e.data.roles as Department['roles'] } };
      case 'DepartmentRemoved':
        return { known: true, record: null };
      default:
        return assertNever(e, 'directory event');
    }
  },
};
