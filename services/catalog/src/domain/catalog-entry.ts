import type { AssessmentKind, CatalogEntryContent, CatalogEvent, UpdateTrigger } from '@govmesh/contracts/avro';
import { assertNever, forbidden, inputInvalid, legacyDeadline, notFound, ruleViolated, type CommandContext, type Deadline, type Decider, type DecisionDeps, type Role } from '@govmesh/backbone';
import { assertValidContent } from './content.ts';

/**
 * CatalogEntry: one entry of the platform's unified catalog and its publish workflow
 * (docs/requirements.md#catalog-entry-lifecycle): draft -> both assessments -> head approval ->
 * submitted -> published or returned; after a change in law or duties, an update cycle with its
 * deadlines (Art. 17).
 *
 * A deadline that counts a day of a year without an official holiday schedule is provisional; the
 * deadline watcher's FlagOverdue counts it again (CatalogDeadlineRecomputed, once) after the
 * operator loads that year's schedule (ADR 0008).
 */
export type EntryStatus = 'NONE' | 'DRAFT' | 'ASSESSED' | 'DEPT_APPROVED' | 'SUBMITTED' | 'PUBLISHED';

export interface Actor {
  departmentId: string;
  roles: readonly Role[];
  platform: string;
}

export interface UpdateCycle {
  trigger: UpdateTrigger;
  changedAt: string;
  dueAt: string;
  /** The deadline counts a day of a year without official schedule (ADR 0008). */
  provisional: boolean;
  /** What the deadline is counted from, so that it can be counted again. */
  countedFrom: string;
  workingDays: number;
  extension: 'NONE' | 'REQUESTED' | 'GRANTED' | 'REFUSED';
  overdue: boolean;
}

export interface CatalogEntryState {
  entryId: string;
  platform: string;
  provider: string;
  status: EntryStatus;
  content: CatalogEntryContent | null;
  assessments: Partial<Record<AssessmentKind, string>>;
  headApprover: string | null;
  publishedVersion: number;
  publishedContent: CatalogEntryContent | null;
  update: UpdateCycle | null;
  reviewDueAt: string | null;
  reviewProvisional: boolean;
  reviewCountedFrom: string | null;
  reviewWorkingDays: number;
  reviewOverdue: boolean;
  returnReasons: string[];
}

export type CatalogCommand =
  | { kind: 'DraftEntry'; by: Actor; entryId: string; content: CatalogEntryContent }
  | { kind: 'ReviseEntry'; by: Actor; content: CatalogEntryContent }
  | { kind: 'RecordAssessment'; by: Actor; assessment: AssessmentKind; reference: string; conclusion: string }
  | { kind: 'ApproveByHead'; by: Actor; approver: string }
  | { kind: 'SubmitEntry'; by: Actor }
  | { kind: 'PublishEntry'; by: Actor }
  | { kind: 'ReturnEntry'; by: Actor; reasons: string[] }
  | { kind: 'StartUpdate'; by: Actor; trigger: UpdateTrigger; changedAt?: Date; description: string }
  | { kind: 'RequestUpdateExtension'; by: Actor; reason: string }
  | { kind: 'DecideUpdateExtension'; by: Actor; grant: boolean; reason: string }
  | { kind: 'FlagOverdue' };

/** CAT-08: an update is due within 10 working days of the change in law or duties. */
export const UPDATE_WORKING_DAYS = 10;
/** CAT-08: one extension of 5 working days beyond the original update deadline. */
export const UPDATE_EXTENSION_WORKING_DAYS = 5;
/** CAT-08: the competent department reviews an update within 2 working days of receiving it. */
export const UPDATE_REVIEW_WORKING_DAYS = 2;

/** What callers see: the update cycle shows as UPDATING / UPDATE_SUBMITTED. */
export const displayStatus = (s: CatalogEntryState): string => {
  if (s.update !== null && s.status !== 'PUBLISHED') return s.status === 'SUBMITTED' ? 'UPDATE_SUBMITTED' : 'UPDATING';
  return s.status;
};

export const initialState = (): CatalogEntryState => ({
  entryId: '',
  platform: '',
  provider: '',
  status: 'NONE',
  content: null,
  assessments: {},
  headApprover: null,
  publishedVersion: 0,
  publishedContent: null,
  update: null,
  reviewDueAt: null,
  reviewProvisional: false,
  reviewCountedFrom: null,
  reviewWorkingDays: 0,
  reviewOverdue: false,
  returnReasons: [],
});

const notFoundIfNone = (s: CatalogEntryState, ctx: CommandContext): void => {
  if (s.status === 'NONE') throw notFound('catalog entry', ctx.aggregateId ?? '');
};

// CAT-10: the provider's sharing office compiles and maintains its own entries; nobody else edits them.
const requireProvider = (s: CatalogEntryState, by: Actor, ctx: CommandContext): void => {
  notFoundIfNone(s, ctx);
  if (by.departmentId !== s.provider) throw forbidden(`only the providing department ${s.provider} may change entry ${s.entryId}`, 'CAT-10');
};

// CAT-07: the same-level competent department reviews and publishes.
const requireCompetent = (s: CatalogEntryState, by: Actor, ctx: CommandContext): void => {
  notFoundIfNone(s, ctx);
  if (!by.roles.includes('competent')) throw forbidden(`department ${by.departmentId} is not a competent department`, 'CAT-07');
  if (by.platform !== s.platform) throw forbidden(`only the competent department of platform ${s.platform} reviews this entry`, 'CAT-07');
};

const requireStatus = (s: CatalogEntryState, allowed: EntryStatus[], rule: string, what: string): void => {
  if (!allowed.includes(s.status)) throw ruleViolated(rule, `${what} is not possible while the entry is ${displayStatus(s)}`);
};

const text = (field: string, value: string): void => {
  if (value.trim() === '') throw inputInvalid([{ field, description: 'required' }]);
};

export const decide = (cmd: CatalogCommand, s: CatalogEntryState, ctx: CommandContext, deps: DecisionDeps): CatalogEvent[] => {
  const at = ctx.at.toISOString();
  switch (cmd.kind) {
    case 'DraftEntry': {
      if (!cmd.by.roles.includes('provider')) throw forbidden(`department ${cmd.by.departmentId} lacks the provider role`, 'CAT-10');
      if (cmd.content.provider !== cmd.by.departmentId) throw forbidden('a department drafts entries only for its own data (content.provider)', 'CAT-10');
      assertValidContent(cmd.content);
      if (s.status !== 'NONE') {
        // A retried draft with the same id and content is a no-op, not an error.
        if (s.provider === cmd.by.departmentId && JSON.stringify(s.content) === JSON.stringify(cmd.content)) return [];
        throw ruleViolated('CAT-01', `entry ${cmd.entryId} already exists`);
      }
      return [{ type: 'CatalogEntryDrafted', data: { entryId: cmd.entryId, platform: cmd.by.platform, draftedBy: cmd.by.departmentId, content: cmd.content } }];
    }
    case 'ReviseEntry': {
      requireProvider(s, cmd.by, ctx);
      requireStatus(s, ['DRAFT', 'ASSESSED', 'DEPT_APPROVED'], 'CAT-07', 'revising');
      if (cmd.content.provider !== s.provider) throw forbidden('the providing department of an entry cannot be changed', 'CAT-10');
      assertValidContent(cmd.content);
      return [{ type: 'CatalogEntryRevised', data: { entryId: s.entryId, revisedBy: cmd.by.departmentId, content: cmd.content } }];
    }
    case 'RecordAssessment': {
      requireProvider(s, cmd.by, ctx);
      requireStatus(s, ['DRAFT', 'ASSESSED'], 'CAT-02', 'recording an assessment');
      text('reference', cmd.reference);
      text('conclusion', cmd.conclusion);
      return [{ type: 'CatalogAssessmentRecorded', data: { entryId: s.entryId, kind: cmd.assessment, reference: cmd.reference, conclusion: cmd.conclusion, recordedBy: cmd.by.departmentId } }];
    }
    case 'ApproveByHead': {
      requireProvider(s, cmd.by, ctx);
      // CAT-02: both assessments come before the head's approval.
      if (s.status === 'DRAFT') {
        const missing = (['SECRECY_RISK', 'PERSONAL_INFORMATION'] as const).filter((k) => s.assessments[k] === undefined);
        throw ruleViolated('CAT-02', `the head approves only after both assessments; missing: ${missing.join(', ')}`);
      }
      requireStatus(s, ['ASSESSED'], 'CAT-02', 'head approval');
      text('approver', cmd.approver);
      return [{ type: 'CatalogEntryHeadApproved', data: { entryId: s.entryId, approver: cmd.approver, recordedBy: cmd.by.departmentId } }];
    }
    case 'SubmitEntry': {
      requireProvider(s, cmd.by, ctx);
      if (s.status === 'DRAFT' || s.status === 'ASSESSED') throw ruleViolated('CAT-02', 'an entry is submitted only after both assessments and the head approval');
      requireStatus(s, ['DEPT_APPROVED'], 'CAT-07', 'submitting');
      const isUpdate = s.update !== null;
      // CAT-08: the competent department reviews an update within 2 working days of receiving it.
      const review = isUpdate ? deps.calendar.deadline(ctx.at, UPDATE_REVIEW_WORKING_DAYS) : null;
      return [{ type: 'CatalogEntrySubmitted', data: { entryId: s.entryId, submittedBy: cmd.by.departmentId, isUpdate, reviewDueAt: review?.dueAt ?? null, reviewDueAtProvisional: review?.provisional ?? false, submittedAt: ctx.at.toISOString() } }];
    }
    case 'PublishEntry': {
      requireCompetent(s, cmd.by, ctx);
      requireStatus(s, ['SUBMITTED'], 'CAT-07', 'publishing');
      return [{ type: 'CatalogEntryPublished', data: { entryId: s.entryId, version: s.publishedVersion + 1, reviewedBy: cmd.by.departmentId, content: s.content! } }];
    }
    case 'ReturnEntry': {
      requireCompetent(s, cmd.by, ctx);
      requireStatus(s, ['SUBMITTED'], 'CAT-07', 'returning');
      const reasons = cmd.reasons.map((r) => r.trim()).filter((r) => r !== '');
      if (reasons.length === 0) throw inputInvalid([{ field: 'reasons', description: 'a returned entry states its reasons' }], 'CAT-07');
      return [{ type: 'CatalogEntryReturned', data: { entryId: s.entryId, reviewedBy: cmd.by.departmentId, reasons, isUpdate: s.update !== null } }];
    }
    case 'StartUpdate': {
      requireProvider(s, cmd.by, ctx);
      if (s.update !== null) throw ruleViolated('CAT-08', 'an update is already in progress');
      requireStatus(s, ['PUBLISHED'], 'CAT-08', 'starting an update');
      const changedAt = cmd.changedAt ?? ctx.at;
      if (changedAt.getTime() > ctx.at.getTime()) throw inputInvalid([{ field: 'changedAt', description: 'the change cannot be in the future' }]);
      text('description', cmd.description);
      // CAT-08: the update is due within 10 working days of the change in law or duties.
      const due = deps.calendar.deadline(changedAt, UPDATE_WORKING_DAYS);
      return [{ type: 'CatalogEntryUpdateStarted', data: { entryId: s.entryId, trigger: cmd.trigger, changedAt: changedAt.toISOString(), description: cmd.description, startedBy: cmd.by.departmentId, dueAt: due.dueAt, dueAtProvisional: due.provisional } }];
    }
    case 'RequestUpdateExtension': {
      requireProvider(s, cmd.by, ctx);
      if (s.update === null) throw ruleViolated('CAT-08', 'there is no update in progress to extend');
      if (s.update.extension !== 'NONE') throw ruleViolated('CAT-08', 'an update deadline is extended at most once');
      requireStatus(s, ['DRAFT', 'ASSESSED', 'DEPT_APPROVED'], 'CAT-08', 'asking for an extension');
      text('reason', cmd.reason);
      return [{ type: 'CatalogUpdateExtensionRequested', data: { entryId: s.entryId, requestedBy: cmd.by.departmentId, reason: cmd.reason } }];
    }
    case 'DecideUpdateExtension': {
      requireCompetent(s, cmd.by, ctx);
      if (s.update?.extension !== 'REQUESTED') throw ruleViolated('CAT-08', 'no extension request is pending');
      if (!cmd.grant) {
        text('reason', cmd.reason);
        return [{ type: 'CatalogUpdateExtensionRefused', data: { entryId: s.entryId, refusedBy: cmd.by.departmentId, reason: cmd.reason } }];
      }
      // CAT-08: one extension of 5 working days beyond the original deadline.
      const due = deps.calendar.extend(updateDeadline(s.update), UPDATE_EXTENSION_WORKING_DAYS);
      return [{ type: 'CatalogUpdateExtensionGranted', data: { entryId: s.entryId, grantedBy: cmd.by.departmentId, dueAt: due.dueAt, dueAtProvisional: due.provisional } }];
    }
    case 'FlagOverdue': {
      // Issued by the deadline watcher: counts provisional deadlines again, then flags each missed
      // deadline once (both idempotent by state).
      const events = recountDeadlines(s, deps);
      const now = events.reduce(evolve, s);
      const u = now.update;
      if (u !== null && !u.overdue && now.status !== 'SUBMITTED' && now.status !== 'PUBLISHED' && ctx.at.getTime() > Date.parse(u.dueAt)) {
        events.push({ type: 'CatalogUpdateOverdue', data: { entryId: s.entryId, dueAt: u.dueAt, detectedAt: at } });
      }
      if (now.status === 'SUBMITTED' && now.reviewDueAt !== null && !now.reviewOverdue && ctx.at.getTime() > Date.parse(now.reviewDueAt)) {
        events.push({ type: 'CatalogReviewOverdue', data: { entryId: s.entryId, dueAt: now.reviewDueAt, detectedAt: at } });
      }
      return events;
    }
    default:
      return assertNever(cmd, 'catalog command');
  }
};

/** The update cycle's deadline as the calendar counts it (older states and events lack the basis: legacyDeadline). */
const updateDeadline = (u: UpdateCycle): Deadline => legacyDeadline(u.dueAt, u.provisional, u.countedFrom === undefined ? null : { from: u.countedFrom, workingDays: u.workingDays });

/** The live provisional deadlines counted again on the calendar as it now stands; none when nothing changed. */
const recountDeadlines = (s: CatalogEntryState, deps: DecisionDeps): CatalogEvent[] => {
  const events: CatalogEvent[] = [];
  const calendar = deps.calendar.officialYears();
  const span = calendar.length === 0 ? 'none' : `${calendar[0]}-${calendar.at(-1)}`;
  const recounted = (deadline: 'REVIEW' | 'UPDATE', d: Deadline): void => {
    const again = deps.calendar.recount(d);
    if (again !== null) events.push({ type: 'CatalogDeadlineRecomputed', data: { entryId: s.entryId, deadline, previousDueAt: d.dueAt, dueAt: again.dueAt, provisional: again.provisional, countedFrom: again.from, workingDays: again.workingDays, calendar: span } });
  };
  if (s.update !== null && !s.update.overdue && s.status !== 'PUBLISHED') recounted('UPDATE', updateDeadline(s.update));
  if (s.status === 'SUBMITTED' && s.reviewDueAt !== null && !s.reviewOverdue) {
    recounted('REVIEW', { dueAt: s.reviewDueAt, provisional: s.reviewProvisional, from: s.reviewCountedFrom ?? s.reviewDueAt, workingDays: s.reviewWorkingDays });
  }
  return events;
};

export const evolve = (s: CatalogEntryState, e: CatalogEvent): CatalogEntryState => {
  switch (e.type) {
    case 'CatalogEntryDrafted':
      return { ...s, entryId: e.data.entryId, platform: e.data.platform, provider: e.data.content.provider, status: 'DRAFT', content: e.data.content };
    case 'CatalogEntryRevised':
      return { ...s, status: 'DRAFT', content: e.data.content, assessments: {}, headApprover: null };
    case 'CatalogAssessmentRecorded': {
      const assessments = { ...s.assessments, [e.data.kind]: e.data.reference };
      const both = assessments.SECRECY_RISK !== undefined && assessments.PERSONAL_INFORMATION !== undefined;
      return { ...s, assessments, status: both ? 'ASSESSED' : 'DRAFT' };
    }
    case 'CatalogEntryHeadApproved':
      return { ...s, status: 'DEPT_APPROVED', headApprover: e.data.approver };
    case 'CatalogEntrySubmitted':
      return {
        ...s, status: 'SUBMITTED', reviewOverdue: false, returnReasons: [],
        ...reviewClock(e.data.reviewDueAt === null ? null : legacyDeadline(e.data.reviewDueAt, e.data.reviewDueAtProvisional, e.data.submittedAt === null ? null : { from: e.data.submittedAt, workingDays: UPDATE_REVIEW_WORKING_DAYS })),
      };
    case 'CatalogEntryPublished':
      return { ...s, status: 'PUBLISHED', publishedVersion: e.data.version, publishedContent: e.data.content, update: null, reviewDueAt: null, reviewOverdue: false };
    case 'CatalogEntryReturned':
      return { ...s, status: 'DRAFT', assessments: {}, headApprover: null, reviewDueAt: null, reviewOverdue: false, returnReasons: e.data.reasons };
    case 'CatalogEntryUpdateStarted':
      return { ...s, status: 'DRAFT', assessments: {}, headApprover: null, returnReasons: [], update: { trigger: e.data.trigger, changedAt: e.data.changedAt, ...clock(legacyDeadline(e.data.dueAt, e.data.dueAtProvisional, { from: e.data.changedAt, workingDays: UPDATE_WORKING_DAYS })), extension: 'NONE', overdue: false } };
    case 'CatalogUpdateExtensionRequested':
      return s.update === null ? s : { ...s, update: { ...s.update, extension: 'REQUESTED' } };
    case 'CatalogUpdateExtensionGranted':
      // The extension counts on from the deadline it extends (an older state without the basis counts from the old deadline).
      return s.update === null ? s : { ...s, update: { ...s.update, extension: 'GRANTED', ...clock(legacyDeadline(e.data.dueAt, e.data.dueAtProvisional, s.update.countedFrom === undefined ? { from: s.update.dueAt, workingDays: UPDATE_EXTENSION_WORKING_DAYS } : { from: s.update.countedFrom, workingDays: s.update.workingDays + UPDATE_EXTENSION_WORKING_DAYS })) } };
    case 'CatalogUpdateExtensionRefused':
      return s.update === null ? s : { ...s, update: { ...s.update, extension: 'REFUSED' } };
    case 'CatalogUpdateOverdue':
      return s.update === null ? s : { ...s, update: { ...s.update, overdue: true } };
    case 'CatalogReviewOverdue':
      return { ...s, reviewOverdue: true };
    case 'CatalogDeadlineRecomputed':
      if (e.data.deadline === 'REVIEW') return { ...s, ...reviewClock({ dueAt: e.data.dueAt, provisional: e.data.provisional, from: e.data.countedFrom, workingDays: e.data.workingDays }) };
      return s.update === null ? s : { ...s, update: { ...s.update, dueAt: e.data.dueAt, provisional: e.data.provisional, countedFrom: e.data.countedFrom, workingDays: e.data.workingDays } };
    default:
      return assertNever(e, 'catalog event');
  }
};

const clock = (d: Deadline) => ({ dueAt: d.dueAt, provisional: d.provisional, countedFrom: d.from, workingDays: d.workingDays });
const reviewClock = (d: Deadline | null) => ({ reviewDueAt: d?.dueAt ?? null, reviewProvisional: d?.provisional ?? false, reviewCountedFrom: d?.from ?? null, reviewWorkingDays: d?.workingDays ?? 0 });

/** The live deadlines that are provisional (ADR 0008), by the view's field names. */
export const provisionalDeadlines = (s: CatalogEntryState): string[] => [
  ...(s.update !== null && s.status !== 'SUBMITTED' && s.status !== 'PUBLISHED' && s.update.provisional ? ['updateDueAt'] : []),
  ...(s.reviewDueAt !== null && s.reviewProvisional ? ['reviewDueAt'] : []),
];

export const catalogEntryDecider: Decider<CatalogCommand, CatalogEvent, CatalogEntryState> = { initialState, decide, evolve };
