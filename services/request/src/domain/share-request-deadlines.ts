import type { RequestEvent } from '@govmesh/contracts/avro';
import { endOfDay } from './content.ts';
import type { Decide } from './share-request-rules.ts';

/** The deadline watcher's check (APR-02, DLV-01, USE-02): each missed deadline is flagged once. */

export const checkDeadlines: Decide<'CheckDeadlines'> = (_cmd, s, ctx) => {
  const at = ctx.at.toISOString();
  // Issued by the deadline watcher; each missed deadline is flagged once (idempotent by state).
  const events: RequestEvent[] = [];
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
