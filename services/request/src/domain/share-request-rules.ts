import type { RequestEvent, ShareRequestContent } from '@govmesh/contracts/avro';
import { GovError, forbidden, inputInvalid, notFound, ruleViolated, type CommandContext, type Deadline, type DecisionDeps } from '@govmesh/backbone';
import type { Actor, DeliveryClock, RectificationClock, ReplyClock, ShareCommand, ShareRequestState, ShareStatus, UseTerms } from './share-request.ts';

/** The deadlines and guards the share-request decide functions (share-request-*.ts) share. */

/** APR-02: reply within 1 working day (unconditional) or 10 (conditional). */
export const REPLY_WORKING_DAYS: Record<'UNCONDITIONAL' | 'CONDITIONAL', number> = { UNCONDITIONAL: 1, CONDITIONAL: 10 };
/** APR-03: one extension of at most 10 working days. */
export const MAX_EXTENSION_WORKING_DAYS = 10;
/** DLV-01: delivery within 20 working days of the agreeing reply. */
export const DELIVERY_WORKING_DAYS = 20;
export const MAX_RECTIFICATION_WORKING_DAYS = 60;

/** One command's decision: the decide function of ShareCommand `K`. */
export type Decide<K extends ShareCommand['kind']> = (cmd: Extract<ShareCommand, { kind: K }>, s: ShareRequestState, ctx: CommandContext, deps: DecisionDeps) => RequestEvent[];

export const blank = (s: string): boolean => s.trim() === '';

export const text = (field: string, value: string, rule: string, description = 'required'): void => {
  if (blank(value)) throw inputInvalid([{ field, description }], rule);
};

export const exists = (s: ShareRequestState, ctx: CommandContext): void => {
  if (s.status === 'NONE') throw notFound('share request', ctx.aggregateId ?? '');
};

export const requireRequester = (s: ShareRequestState, by: Actor, ctx: CommandContext, rule: string): void => {
  exists(s, ctx);
  if (by.departmentId !== s.requester) throw forbidden(`only the requesting department ${s.requester} may do this on ${s.shareId}`, rule);
};

export const requireProvider = (s: ShareRequestState, by: Actor, ctx: CommandContext, rule: string): void => {
  exists(s, ctx);
  if (by.departmentId !== s.provider) throw forbidden(`only the providing department ${s.provider} may do this on ${s.shareId}`, rule);
};

export const isCompetent = (s: ShareRequestState, by: Actor): boolean => by.roles.includes('competent') && by.platform === s.platform;

export const requireCompetent = (s: ShareRequestState, by: Actor, ctx: CommandContext, rule: string): void => {
  exists(s, ctx);
  if (!isCompetent(s, by)) throw forbidden(`only the competent department of platform ${s.platform} may do this`, rule);
};

export const requireStatus = (s: ShareRequestState, allowed: ShareStatus[], rule: string | null, what: string): void => {
  if (allowed.includes(s.status)) return;
  const message = `${what} is not possible while the request is ${s.status}`;
  throw rule === null ? new GovError('GOV_ERR_RULE_VIOLATED', message) : ruleViolated(rule, message);
};

export const termsOf = (c: ShareRequestContent): UseTerms => ({ dataItems: [...c.dataItems], useScenario: c.useScenario, useScope: c.useScope, periodUntil: c.periodUntil, thirdParties: [] });

// Deadlines as the state keeps them (with what they are counted from) and as events carry them (ADR 0008).
export const deliveryClock = (d: Deadline): DeliveryClock => ({ deliveryDueAt: d.dueAt, deliveryProvisional: d.provisional, deliveryCountedFrom: d.from, deliveryWorkingDays: d.workingDays });
export const rectificationClock = (d: Deadline): RectificationClock => ({ rectificationDueAt: d.dueAt, rectificationProvisional: d.provisional, rectificationCountedFrom: d.from, rectificationWorkingDays: d.workingDays });
export const replyDeadline = (r: ReplyClock): Deadline => ({ dueAt: r.dueAt, provisional: r.provisional, from: r.countedFrom, workingDays: r.workingDays });
export const deliveryDeadline = (a: DeliveryClock): Deadline => ({ dueAt: a.deliveryDueAt, provisional: a.deliveryProvisional, from: a.deliveryCountedFrom, workingDays: a.deliveryWorkingDays });
export const rectificationDeadline = (r: RectificationClock): Deadline => ({ dueAt: r.rectificationDueAt, provisional: r.rectificationProvisional, from: r.rectificationCountedFrom, workingDays: r.rectificationWorkingDays });

export const deliveryDueOf = (d: Deadline) => ({ deliveryDueAt: d.dueAt, deliveryDueAtProvisional: d.provisional });
export const rectificationDueOf = (d: Deadline) => ({ rectificationDueAt: d.dueAt, rectificationDueAtProvisional: d.provisional });
