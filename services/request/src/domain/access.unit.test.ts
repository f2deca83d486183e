import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GovError, type Department } from '@govmesh/backbone';
import { assertCanRead } from './access.ts';

const dept = (id: string, roles: Department['roles']) => ({ department: { id, name: id, platform: 'national', level: 'ministry' as const, regionCode: '100000', roles } });
const share = { shareId: 'share-1', requester: 'dept-civil-affairs', provider: 'dept-public-security' };

test('REC-02: the parties, the competent department and auditors read a share and its usage records; other departments do not', () => {
  for (const p of [dept('dept-civil-affairs', ['requester']), dept('dept-public-security', ['provider']), dept('dept-data-bureau', ['competent']), dept('dept-audit-office', ['auditor'])]) {
    assert.doesNotThrow(() => assertCanRead(p, share), p.department.id);
  }
  assert.throws(() => assertCanRead(dept('dept-human-resources', ['provider', 'requester']), share), (err: unknown) => err instanceof GovError && err.code === 'GOV_ERR_AUTH_FORBIDDEN' && err.rule === 'REC-02');
});
