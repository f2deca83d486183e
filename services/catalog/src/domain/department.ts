import type { DirectoryEvent } from '@govmesh/contracts/avro';
import { assertNever, type Decider, type Department } from '@govmesh/backbone';

/**
 * A department of the platform directory, loaded from the platform file and published as events
 * so every service (and the auditor) learns who exists and which roles each holds.
 */
export interface DepartmentState {
  known: boolean;
  record: Omit<Department, 'id'> & { departmentId: string } | null;
}

export type DepartmentCommand = { kind: 'SyncDepartment'; department: Department };

const asRecord = (d: Department) => ({ departmentId: d.id, name: d.name, platform: d.platform, level: d.level, regionCode: d.regionCode, roles: [...d.roles].sort() });

export const departmentDecider: Decider<DepartmentCommand, DirectoryEvent, DepartmentState> = {
  initialState: () => ({ known: false, record: null }),
  decide: (cmd, s) => {
    switch (cmd.kind) {
      case 'SyncDepartment': {
        const next = asRecord(cmd.department);
        if (!s.known) return [{ type: 'DepartmentRegistered', data: next }];
        if (JSON.stringify(s.record) === JSON.stringify(next)) return [];
        return [{ type: 'DepartmentUpdated', data: next }];
      }
      default:
        return assertNever(cmd.kind, 'department command');
    }
  },
  evolve: (s, e) => {
    switch (e.type) {
      case 'DepartmentRegistered':
      case 'DepartmentUpdated':
        return { known: true, record: { ...e.data, level: e.data.level as Department['level'], roles: e.data.roles as Department['roles'] } };
      default:
        return assertNever(e, 'directory event');
    }
  },
};
