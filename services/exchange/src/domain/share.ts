import type { RequestEvent, ShareMethod } from '@govmesh/contracts/avro';
import { GovError, chinaDate, forbidden, notFound } from '@govmesh/backbone';

/**
 * A share as the exchange knows it, folded from the request events only (`<platform>.request.events`):
 * who asked whom for which entry, the data items the provider approved (and any scope change it
 * consented to), the share method, the period of use and the state. Nothing else opens the tap.
 */
export type ShareState = 'NONE' | 'REQUESTED' | 'REFUSED' | 'WITHDRAWN' | 'APPROVED' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED' | 'ENDED';

export interface ShareGrant {
  shareId: string;
  state: ShareState;
  requester: string;
  provider: string;
  entryId: string;
  shareMethod: ShareMethod | null;
  /** What the request asked for; the approval's list is what may leave. */
  requestedItems: string[];
  approvedItems: string[];
  /** 使用时限, China dates YYYY-MM-DD, both days included. */
  periodFrom: string;
  periodUntil: string;
}

export const initialShare = (): ShareGrant => ({ shareId: '', state: 'NONE', requester: '', provider: '', entryId: '', shareMethod: null, requestedItems: [], approvedItems: [], periodFrom: '', periodUntil: '' });

export const evolveShare = (s: ShareGrant, e: RequestEvent): ShareGrant => {
  switch (e.type) {
    case 'ShareRequestDrafted':
    case 'ShareRequestRevised': {
      const c = e.data.content;
      const requester = e.type === 'ShareRequestDrafted' ? e.data.requester : s.requester;
      return { ...s, shareId: e.data.shareId, state: 'REQUESTED', requester, provider: c.provider, entryId: c.entryId, shareMethod: c.shareMethod, requestedItems: [...c.dataItems], periodFrom: c.periodFrom, periodUntil: c.periodUntil };
    }
    case 'ShareRequestApproved':
      return { ...s, state: 'APPROVED', approvedItems: [...e.data.dataItems] };
    case 'DisputeResolved':
      // A dispute that ends in an agreement grants what was asked for (the request service's own reading).
      return e.data.outcome === 'REFUSAL_UPHELD' || e.data.deliveryDueAt === null ? { ...s, state: 'REFUSED' } : { ...s, state: 'APPROVED', approvedItems: [...s.requestedItems] };
    case 'ShareRequestRefused':
      return { ...s, state: 'REFUSED' };
    case 'ShareRequestWithdrawn':
      return { ...s, state: 'WITHDRAWN' };
    case 'ShareActivated':
    case 'ShareResumed':
      return { ...s, state: 'ACTIVE' };
    case 'ShareSuspended':
      return { ...s, state: 'SUSPENDED' };
    case 'ShareTerminated':
      return { ...s, state: 'TERMINATED' };
    case 'ShareUseEnded':
    case 'DataDisposalConfirmed':
      return { ...s, state: 'ENDED' };
    case 'ScopeChangeApproved':
      // USE-01: the provider consented to new terms: the items and the period are the new ones.
      return { ...s, approvedItems: [...e.data.change.dataItems], periodUntil: e.data.change.periodUntil };
    default:
      return s;
  }
};

export const shareFold = { initialState: initialShare, evolve: evolveShare };

/** Why a state stops delivery, by the rule that stops it. */
const STOPPED: Partial<Record<ShareState, { rule: string; why: string }>> = {
  REQUESTED: { rule: 'USE-01', why: 'it is not approved' },
  REFUSED: { rule: 'USE-01', why: 'it was refused' },
  WITHDRAWN: { rule: 'USE-01', why: 'it was withdrawn' },
  SUSPENDED: { rule: 'SUS-01', why: 'it is suspended for misuse until the rectification is accepted' },
  TERMINATED: { rule: 'SUS-01', why: 'it is terminated' },
  ENDED: { rule: 'USE-02', why: 'its use has ended' },
};

/** A 403 that names the share's state (also as a violation, for machines). */
const refused = (s: ShareGrant, message: string, rule: string): GovError =>
  new GovError('GOV_ERR_AUTH_FORBIDDEN', message, { rule, violations: [{ field: 'share.state', description: s.state }] });

/**
 * May `caller` receive the share's records now, by `method`? The approved data items when it
 * may; otherwise a 404 (no such share here) or a 403 problem that names the share's state, or
 * its period of use. Only the requesting department receives (SUS-04: no third party); only an
 * approved or active share, within its period of use (USE-01), by its approved method (DLV-02);
 * a suspended, terminated or ended share is cut at once (SUS-01, SUS-03, USE-02).
 */
export const deliveryAccess = (s: ShareGrant | null, caller: string, method: ShareMethod, now: Date): { items: string[] } => {
  if (s === null || s.state === 'NONE') throw notFound('share', '(unknown to the exchange)');
  if (caller !== s.requester) throw forbidden(`share ${s.shareId} is delivered to its requesting department ${s.requester} only`, 'SUS-04');
  const stopped = STOPPED[s.state];
  if (stopped !== undefined) {
    throw refused(s, `share ${s.shareId} is ${s.state}: nothing is delivered because ${stopped.why}`, stopped.rule);
  }
  const today = chinaDate(now);
  if (today < s.periodFrom || today > s.periodUntil) {
    throw refused(s, `share ${s.shareId} is ${s.state} but outside its period of use ${s.periodFrom} to ${s.periodUntil} (today is ${today} in China)`, 'USE-01');
  }
  if (s.shareMethod !== method) throw forbidden(`share ${s.shareId} was approved for delivery by ${s.shareMethod ?? 'no method'}, not ${method}`, 'DLV-02');
  return { items: [...s.approvedItems] };
};
