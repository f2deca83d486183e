import type { RequestEvent, ShareDeadline } from '@govmesh/contracts/avro';
import type { Deadline, DecisionDeps } from '@govmesh/backbone';
import { endOfDay } from './content.ts';
import { deliveryDeadline, rectificationDeadline, replyDeadline, type Decide } from './share-request-rules.ts';
import { evolve, type ShareRequestState } from './share-request.ts';

/**
 * The deadline watcher's check (APR-02, DLV-01, USE-02): provisional deadlines are counted again
 * on the calendar as it now stands (ADR 0008), then each missed deadline is flagged once.
 */

/** The live provisional deadlines counted again; an event only for those that changed. */
export const recountDeadlines = (s: ShareRequestState, deps: DecisionDeps): RequestEvent[] => {
  const years = deps.calendar.officialYears();
  const calendar = years.length === 0 ? 'none' : `${years[0]}-${years.at(-1)}`;
  const live: [ShareDeadline, Deadline][] = [
    // A deadline already flagged as missed keeps its flag and is not moved.
    ...(s.status === 'SUBMITTED' && s.reply !== null && s.reply.overdueFlaggedFor !== s.reply.dueAt ? [['REPLY', replyDeadline(s.reply)] as [ShareDeadline, Deadline]] : []),
    ...(s.status === 'APPROVED' && s.approval !== null && !s.approval.deliveryOverdue ? [['DELIVERY', deliveryDeadline(s.approval)] as [ShareDeadline, Deadline]] : []),
    ...(s.status === 'SUSPENDED' && s.suspension !== null && !s.suspension.rectificationReported ? [['RECTIFICATION', rectificationDeadline(s.suspension)] as [ShareDeadline, Deadline]] : []),
  ];
  return live.flatMap(([deadline, d]): RequestEvent[] => {
    const again = deps.calendar.recount(d);
    return again === null ? [] : [{ type: 'ShareDeadlineRecomputed', data: { shareId: s.shareId, deadline, previousDueAt: d.dueAt, dueAt: again.dueAt, provisional: again.provisional, countedFrom: again.from, workingDays: again.workingDays, calendar } }];
  });
};

export const checkDeadlines: Decide<'CheckDeadlines'> = (_cmd, state, ctx, deps) => {
  const at = ctx.at.toISOString();
  // Issued by the deadline watcher; each missed deadline is flagged once (idempotent by state).
  const events = recountDeadlines(state, deps);
  const s = events.reduce(evolve, state);
  const now = ctx.at.getTime();
  const r = s.reply;
  if (s.status === 'SUBMITTED' && r !== null && r.overdueFlaggedFor !== r.dueAt && now > Date.parse(r.dueAt)) {
    events.push({ type: 'ReplyOverdue', data: { shareId: s.shareId, provider: s.provider, dueAt: r.dueAt, detectedAt: at } });
  }
  const a = s.approval;
  if (s.status === 'APPROVED' && a !== null && !a.deliveryOverdue && now > Date.parse(a.deliveryDueAt)) {
    events.push({ type: 'DeliveryOverdue', data: { shareId: s.shareId, provider: s.provider, dueAt: a.deliveryDueAt, detectedAt: at } });
  }
  // USE-02: the period of use lapsing ends the use; the requester must then dispose of the data.
  if (['APPROVED', 'ACTIVE', 'SUSPENDED'].includes(s.status) && s.terms !== null && now > endOfDay(s.terms.periodUntil).getTime()) {
    events.push({ type: 'ShareUseEnded', data: { shareId: s.shareId, endedBy: ctx.actor, reason: 'PERIOD_EXPIRED', note: `period of use ended on ${s.terms.periodUntil}`, disposalRequirement: a?.disposalRequirement ?? '' } });
  }
  return events;
};
