import { forbidden, type Principal } from '@govmesh/backbone';

/**
 * REC-02: the usage records of a share (and the share itself) are open to its parties, to the
 * competent department and to auditors and operators; not to other departments.
 */
const OVERSIGHT = ['competent', 'auditor', 'operator'] as const;

export const oversees = (p: Principal): boolean => p.department.roles.some((r) => (OVERSIGHT as readonly string[]).includes(r));

export const assertCanRead = (p: Principal, s: { shareId: string; requester: string; provider: string }): void => {
  if (p.department.id === s.requester || p.department.id === s.provider || oversees(p)) return;
  throw forbidden(`department ${p.department.id} is neither a party to ${s.shareId} nor a supervisor`, 'REC-02');
};
