import type { RequestEvent, ShareRequestContent } from '@govmesh/contracts/avro';
import { WorkingCalendar, fold, type CommandContext } from '@govmesh/backbone';
import type { CatalogSnapshot } from './content.ts';
import { shareRequestDecider, type Actor, type ShareCommand, type ShareRequestState } from './share-request.ts';

/** Test fixtures shared by the request service's unit and integration tests. */
export const requester: Actor = { departmentId: 'dept-civil-affairs', roles: ['provider', 'requester'], platform: 'national' };
export const provider: Actor = { departmentId: 'dept-public-security', roles: ['provider', 'requester'], platform: 'national' };
export const competent: Actor = { departmentId: 'dept-data-bureau', roles: ['competent', 'auditor', 'operator'], platform: 'national' };
export const foreignCompetent: Actor = { departmentId: 'region-130000-data-bureau', roles: ['competent'], platform: 'region-130000' };
export const auditor: Actor = { departmentId: 'dept-audit-office', roles: ['auditor'], platform: 'national' };

export const ENTRY = 'entry-1';
export const SHARE = 'share-1';

/** A catalog snapshot; unless given, the current version is the one asked for. */
export const conditionalEntry = (over: Partial<CatalogSnapshot> = {}): CatalogSnapshot => {
  const e = {
    entryId: ENTRY,
    status: 'PUBLISHED' as const,
    provider: provider.departmentId,
    name: '人口基础信息',
    latestVersion: 1,
    version: { version: 1, shareAttribute: 'CONDITIONAL' as const, shareMethods: ['API' as const, 'BATCH' as const], dataItems: ['citizen_id', 'name'] },
    ...over,
  };
  return { ...e, current: over.current === undefined ? e.version : over.current };
};

export const unconditionalEntry = (): CatalogSnapshot => conditionalEntry({ version: { version: 1, shareAttribute: 'UNCONDITIONAL', shareMethods: ['API'], dataItems: ['citizen_id', 'name'] } });

export const requestContent = (over: Partial<ShareRequestContent> = {}): ShareRequestContent => ({
  entryId: ENTRY,
  entryVersion: 0,
  provider: '',
  dataItems: ['citizen_id'],
  legalBasis: '社会救助暂行办法 Art. 11',
  useScenario: 'minimum living allowance eligibility checks',
  useScope: 'civil affairs case officers of the national platform',
  shareMethod: 'API',
  periodFrom: '2026-09-01',
  periodUntil: '2027-08-31',
  commitment: { genuine: true, lawful: true, necessary: true, secure: true },
  ...over,
});

/** Friday 18 September 2026; Sunday 20 September is a make-up working day (National Day 2026). */
export const T0 = new Date('2026-09-18T10:00:00+08:00');

const deps = { calendar: new WorkingCalendar() };

/** Runs commands through the decider, each at its own time, and returns the whole history. */
export const play = (steps: [ShareCommand, Date][], history: RequestEvent[] = []): RequestEvent[] =>
  steps.reduce((h, [command, at]) => {
    const ctx: CommandContext = { actor: 'test', at, commandId: 'cmd-test', aggregateId: SHARE };
    return [...h, ...shareRequestDecider.decide(command, fold(shareRequestDecider, h), ctx, deps)];
  }, history);

export const stateOf = (history: RequestEvent[]): ShareRequestState => fold(shareRequestDecider, history);

export const draftedHistory = (entry = conditionalEntry(), content = requestContent(), at = T0): RequestEvent[] =>
  play([[{ kind: 'DraftRequest', by: requester, shareId: SHARE, content, entry }, at]]);

export const consentedHistory = (entry = conditionalEntry(), at = T0): RequestEvent[] =>
  play([[{ kind: 'ApproveInternally', by: requester, approver: 'Director Zhao' }, at]], draftedHistory(entry, requestContent(), at));

export const submittedHistory = (entry = conditionalEntry(), at = T0, autoGrant = false): RequestEvent[] =>
  play([[{ kind: 'SubmitRequest', by: requester, autoGrantUnconditional: autoGrant, entry }, at]], consentedHistory(entry, at));

export const approvedHistory = (at = T0): RequestEvent[] =>
  play(
    [[{ kind: 'ReplyToRequest', by: provider, decision: 'APPROVE', headApprover: 'Director Wang', reasons: [], conditions: 'case checks only', disposalRequirement: 'delete all copies and report' }, at]],
    submittedHistory(conditionalEntry(), at),
  );

export const activeHistory = (at = T0): RequestEvent[] => play([[{ kind: 'StartDelivery', by: provider, shareMethod: null }, at]], approvedHistory(at));

export const refusedHistory = (at = T0): RequestEvent[] =>
  play(
    [[{ kind: 'ReplyToRequest', by: provider, decision: 'REFUSE', headApprover: 'Director Wang', reasons: [{ ground: 'OUTSIDE_REQUESTER_DUTIES', detail: 'citizen ids are not needed for the allowance' }], conditions: '', disposalRequirement: '' }, at]],
    submittedHistory(conditionalEntry(), at),
  );
