import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { ERROR_TABLE, GovError, type Department, type Principal } from '@govmesh/backbone';
import type { RequestEvent } from '@govmesh/contracts/avro';
import { activeHistory, play, requester, T0 } from '../../../request/src/domain/fixtures.ts';
import { auditRoutes } from './rest.ts';
import { LEDGER_TABLES, ledgerMigrations } from '../ledger/migrations.ts';
import { foldLifecycle, type LifecycleInput } from '../domain/lifecycle.ts';

/**
 * REC-01 and REC-02 as the audit service serves them: the requester's records of use (use process,
 * outcomes, storage) and of destruction are ledgered with the share and read back from the ledger;
 * the ledger keeps them (append-only, no pruning); the competent authority inspects them through
 * the auditor role. The request service enforces the requester's side (RecordUsage, disposal).
 */

const asInputs = (events: RequestEvent[]): LifecycleInput[] =>
  events.map((e, index) => ({
    index, topic: 'national.request.events', partition: 0, offset: String(index), ceId: `id-${index}`, type: `govmesh.request.v1.${e.type}`,
    source: '/platforms/national/services/request', subject: 'share-1', time: T0.toISOString(), correlationId: 'share-1', sequence: String(index + 1),
    data: e.data as unknown as Record<string, unknown>, problem: undefined,
  }));

test("REC-01: the requester's records of use and of destruction are ledgered with the share and read back from its lifecycle, with what the rule asks for", () => {
  const history = play([
    [{ kind: 'RecordUsage', by: requester, process: 'matched 120 applicants', outcomes: '12 ineligible claims stopped', storage: 'case system, encrypted' }, T0],
    [{ kind: 'EndUse', by: requester, reason: 'PURPOSE_ACHIEVED', note: 'checks done' }, T0],
    [{ kind: 'ConfirmDisposal', by: requester, method: 'deleted from the case system', reference: 'DEL-2026-7' }, T0],
  ], activeHistory());
  const l = foldLifecycle('share-1', [], asInputs(history));
  const of = (type: string) => l.timeline.find((t) => t.type === type)?.keyFields;
  // Use scenario: fixed by the request the share was granted on.
  assert.equal(l.timeline[0]?.type, 'ShareRequestDrafted');
  assert.deepEqual(
    { process: of('UsageRecorded')?.['process'], outcomes: of('UsageRecorded')?.['outcomes'], storage: of('UsageRecorded')?.['storage'], recordedBy: of('UsageRecorded')?.['recordedBy'] },
    { process: 'matched 120 applicants', outcomes: '12 ineligible claims stopped', storage: 'case system, encrypted', recordedBy: requester.departmentId },
  );
  assert.deepEqual(
    { method: of('DataDisposalConfirmed')?.['method'], reference: of('DataDisposalConfirmed')?.['reference'], disposedAt: of('DataDisposalConfirmed')?.['disposedAt'] },
    { method: 'deleted from the case system', reference: 'DEL-2026-7', disposedAt: T0.toISOString() },
  );
  assert.equal(l.finalState.find((s) => s.service === 'request')?.status, 'DISPOSED');
});

test('REC-01: the ledger keeps the records for good: every ledger table refuses UPDATE, DELETE and TRUNCATE, and no migration prunes', () => {
  const sql = ledgerMigrations('audit').map((m) => m.sql).join('\n').replace(/\s+/g, ' ');
  for (const t of LEDGER_TABLES) {
    assert.ok(sql.includes(`create trigger ${t}_append_only before update or delete on audit.${t} for each row execute function audit.refuse_change()`), `${t}: no UPDATE or DELETE`);
    assert.ok(sql.includes(`create trigger ${t}_no_truncate before truncate on audit.${t} for each statement execute function audit.refuse_change()`), `${t}: no TRUNCATE`);
  }
  assert.doesNotMatch(sql, /\bdelete from\b|\bdrop table\b|\bretention\b/i);
});

const dept = (id: string, roles: Department['roles']): Principal => ({ department: { id, name: id, platform: 'national', level: 'ministry', regionCode: '100000', roles } } as Principal);

test('REC-02: the ledgered records of a share are open to the competent authority (auditor role) and to auditors, and to no other department, the parties included', async () => {
  const app = Fastify();
  let caller: Principal = dept('x', []);
  app.decorateRequest('principal', () => caller);
  // As the service's server does (http.ts): answers are sent as they are, the schema documents them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler((err, _req, reply) => {
    const e = err instanceof GovError ? err : new GovError('GOV_ERR_INTERNAL', String(err));
    void reply.status(ERROR_TABLE[e.code].httpStatus).send({ code: e.code, rule: e.rule ?? null });
  });
  const queries = {
    entries: async () => [],
    lifecycle: async (id: string) => ({ id, linked: [], events: 0, timeline: [], finalState: [], checkpoint: undefined }),
    completeness: async () => ({}),
  };
  await app.register(auditRoutes({ ledger: {} as never, checkpointer: { latestSize: 0, vkey: 'k' } as never, queries: queries as never, witness: undefined }));
  const get = async (who: Principal, url: string) => {
    caller = who;
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  };
  const competent = dept('dept-data-bureau', ['competent', 'auditor', 'operator']);
  const auditOffice = dept('dept-audit-office', ['auditor']);
  const provider = dept('dept-public-security', ['provider', 'requester']);
  const requesterDept = dept('dept-civil-affairs', ['provider', 'requester']);
  for (const url of ['/v1/lifecycles/share-1?proofs=false', '/v1/ledger/entries?start=0&end=10']) {
    assert.equal((await get(competent, url)).status, 200, `competent ${url}`);
    assert.equal((await get(auditOffice, url)).status, 200, `auditor ${url}`);
    for (const other of [provider, requesterDept]) {
      assert.deepEqual(await get(other, url), { status: 403, body: { code: 'GOV_ERR_AUTH_FORBIDDEN', rule: 'REC-02' } }, `${other.department.id} ${url}`);
    }
  }
  await app.close();
});
