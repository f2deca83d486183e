import type { AssessmentKind, CatalogEntryContent, CatalogEvent, UpdateTrigger } from '@govmesh/contracts/avro';
import { assertNever, forbidden, inputInvalid, notFound, ruleViolated, type CommandContext, type Decider, type DecisionDeps, type Role } from '@govmesh/backbone';
import { assertValidContent } from './content.ts';

/**
 * CatalogEntry: one entry of the platform's unified catalog and its publish workflow
 * (docs/requirements.md#catalog-entry-lifecycle): draft -> both assessments -> head approval ->
 * submitted -> published or returned; after a change in law or duties, an update cycle with its
 * deadlines (Art. 17).
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
      const reviewDueAt = isUpdate ? deps.calendar.addWorkingDays(ctx.at, UPDATE_REVIEW_WORKING_DAYS).toISOString() : null;
      return [{ type: 'CatalogEntrySubmitted', data: { entryId: s.entryId, submittedBy: cmd.by.departmentId, isUpdate, reviewDueAt } }];
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
      const dueAt = deps.calendar.addWorkingDays(changedAt, UPDATE_WORKING_DAYS).toISOString();
      return [{ type: 'CatalogEntryUpdateStarted', data: { entryId: s.entryId, trigger: cmd.trigger, changedAt: changedAt.toISOString(), description: cmd.description, startedBy: cmd.by.departmentId, dueAt } }];
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
      const dueAt = deps.calendar.addWorkingDays(new Date(s.update.dueAt), UPDATE_EXTENSION_WORKING_DAYS).toISOString();
      return [{ type: 'CatalogUpdateExtensionGranted', data: { entryId: s.entryId, grantedBy: cmd.by.departmentId, dueAt } }];
    }
    case 'FlagOverdue': {
      // Issued by the deadline watcher; flags each missed deadline once (idempotent by state).
      const events: CatalogEvent[] = [];
      const u = s.update;
      if (u !== null && !u.overdue && s.status !== 'SUBMITTED' && s.status !== 'PUBLISHED' && ctx.at.getTime() > Date.parse(u.dueAt)) {
        events.push({ type: 'CatalogUpdateOverdue', data: { entryId: s.entryId, dueAt: u.dueAt, detectedAt: at } });
      }
      if (s.status === 'SUBMITTED' && s.reviewDueAt !== null && !s.reviewOverdue && ctx.at.getTime() > Date.parse(s.reviewDueAt)) {
        events.push({ type: 'CatalogReviewOverdue', data: { entryId: s.entryId, dueAt: s.reviewDueAt, detectedAt: at } });
      }
      return events;
    }
    default:
      return assertNever(cmd, 'catalog command');
  }
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
      return { ...s, status: 'SUBMITTED', reviewDueAt: e.data.reviewDueAt, reviewOverdue: false, returnReasons: [] };
    case 'CatalogEntryPublished':
      return { ...s, status: 'PUBLISHED', publishedVersion: e.data.version, publishedContent: e.data.content, update: null, reviewDueAt: null, reviewOverdue: false };
    case 'CatalogEntryReturned':
      return { ...s, status: 'DRAFT', assessments: {}, headApprover: null, reviewDueAt: null, reviewOverdue: false, returnReasons: e.data.reasons };
    case 'CatalogEntryUpdateStarted':
      return { ...s, status: 'DRAFT', assessments: {}, headApprover: null, returnReasons: [], update: { trigger: e.data.trigger, changedAt: e.data.changedAt, dueAt: e.data.dueAt, extension: 'NONE', overdue: false } };
    case 'CatalogUpdateExtensionRequested':
      return s.update === null ? s : { ...s, update: { ...s.update, extension: 'REQUESTED' } };
    case 'CatalogUpdateExtensionGranted':
      return s.update === null ? s : { ...s, update: { ...s.update, extension: 'GRANTED', dueAt: e.data.dueAt } };
    case 'CatalogUpdateExtensionRefused':
      return s.update === null ? s : { ...s, update: { ...s.update, extension: 'REFUSED' } };
    case 'CatalogUpdateOverdue':
      return s.update === null ? s : { ...s, update: { ...s.update, overdue: true } };
    case 'CatalogReviewOverdue':
      return { ...s, reviewOverdue: true };
    default:
      return assertNever(e, 'catalog event');
  }
};

export const catalogEntryDecider: Decider<CatalogCommand, CatalogEvent, CatalogEntryState> = { initialState, decide, evolve };
