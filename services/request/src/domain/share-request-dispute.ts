import type { DisputeStage } from '@govmesh/contracts/avro';
import { assertNever, forbidden, ruleViolated } from '@govmesh/backbone';
import type { ShareRequestState } from './share-request.ts';
import { DELIVERY_WORKING_DAYS, exists, requireRequester, requireStatus, text, type Decide, deliveryDueOf } from './share-request-rules.ts';

/**
 * The dispute ladder after a refusal (DSP-01, S1 Art. 28): the parties negotiate; then the
 * same-level competent authority coordinates, or, for a cross-level or cross-region dispute, the
 * common superior authority; failing that the people's government at that authority's level
 * decides, and that authority records the decision. Which authority it is comes from the platform
 * directory when the dispute opens (dispute-authority.ts); nobody else takes those steps.
 */

const nextStage = (stage: DisputeStage, crossLevel: boolean): DisputeStage | null => {
  switch (stage) {
    case 'NEGOTIATION': return crossLevel ? 'SUPERIOR_COORDINATION' : 'COORDINATION';
    case 'COORDINATION': return 'GOVERNMENT_DECISION';
    case 'SUPERIOR_COORDINATION': return 'GOVERNMENT_DECISION';
    case 'GOVERNMENT_DECISION': return null;
    default: return assertNever(stage, 'dispute stage');
  }
};

const authorityName = (crossLevel: boolean): string => (crossLevel ? 'the common superior competent authority' : 'the same-level competent authority');

/** The authority of this dispute: it handles every step after negotiation. */
const authorityOf = (s: ShareRequestState): string => {
  const d = s.dispute!;
  if (d.authority === null) {
    throw ruleViolated('DSP-01', `no competent authority for this dispute (${authorityName(d.crossLevel)} of ${s.requester} and ${s.provider}) is in the platform directory: the parties negotiate, and the dispute goes further outside the platform`);
  }
  return d.authority;
};

export const openDispute: Decide<'OpenDispute'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'DSP-01');
  if (s.dispute !== null) throw ruleViolated('DSP-01', `the refusal was already disputed (ended at ${s.dispute.stage})`);
  requireStatus(s, ['REFUSED'], 'DSP-01', 'opening a dispute');
  text('grounds', cmd.grounds, 'DSP-01');
  return [{ type: 'DisputeOpened', data: { shareId: s.shareId, openedBy: cmd.by.departmentId, grounds: cmd.grounds.trim(), crossLevel: cmd.crossLevel, authority: cmd.authority ?? null } }];
};

export const escalateDispute: Decide<'EscalateDispute'> = (cmd, s, ctx) => {
  exists(s, ctx);
  requireStatus(s, ['IN_DISPUTE'], 'DSP-01', 'escalating a dispute');
  const d = s.dispute!;
  const party = cmd.by.departmentId === s.requester || cmd.by.departmentId === s.provider;
  // DSP-01: the parties apply for coordination; after that the coordinating authority may also move the dispute on.
  const authority = d.stage === 'NEGOTIATION' ? null : d.authority;
  if (!party && (authority === null || cmd.by.departmentId !== authority)) {
    throw forbidden(`only the parties${authority === null ? '' : ` or the coordinating authority ${authority}`} escalate a dispute in ${d.stage}`, 'DSP-01');
  }
  const to = nextStage(d.stage, d.crossLevel);
  if (to === null) throw ruleViolated('DSP-01', "the people's government's decision is the last step of the ladder");
  const handledBy = authorityOf(s);
  text('reason', cmd.reason, 'DSP-01');
  return [{ type: 'DisputeEscalated', data: { shareId: s.shareId, escalatedBy: cmd.by.departmentId, fromStage: d.stage, toStage: to, reason: cmd.reason.trim(), authority: handledBy } }];
};

export const resolveDispute: Decide<'ResolveDispute'> = (cmd, s, ctx, deps) => {
  exists(s, ctx);
  requireStatus(s, ['IN_DISPUTE'], 'DSP-01', 'resolving a dispute');
  const d = s.dispute!;
  const stage = d.stage;
  let decidedBy: string;
  if (stage === 'NEGOTIATION') {
    // DSP-01: negotiation ends by agreement: the provider agrees to share or the requester accepts the refusal.
    const ok = cmd.outcome === 'SHARE_GRANTED' ? cmd.by.departmentId === s.provider : cmd.by.departmentId === s.requester;
    if (!ok) throw forbidden('in negotiation the provider may agree to share and the requester may accept the refusal; otherwise escalate to the competent authority', 'DSP-01');
    decidedBy = cmd.by.departmentId;
  } else {
    // DSP-01: the coordinating authority records its coordination result, and the government's decision at its level.
    const authority = authorityOf(s);
    if (cmd.by.departmentId !== authority) {
      throw forbidden(`in ${stage} ${authorityName(d.crossLevel)}, ${authority}, records the ${stage === 'GOVERNMENT_DECISION' ? "people's government's decision" : 'coordination result'}`, 'DSP-01');
    }
    decidedBy = stage === 'GOVERNMENT_DECISION' ? `government:${authority}` : authority;
  }
  text('decision', cmd.decision, 'DSP-01');
  if (stage === 'GOVERNMENT_DECISION') text('reference', cmd.reference, 'DSP-01', "the government decision's document number");
  const granted = cmd.outcome === 'SHARE_GRANTED';
  return [{
    type: 'DisputeResolved',
    data: {
      shareId: s.shareId, stage, resolvedBy: cmd.by.departmentId, outcome: cmd.outcome, decision: cmd.decision.trim(), reference: cmd.reference.trim(),
      ...(granted ? deliveryDueOf(deps.calendar.deadline(ctx.at, DELIVERY_WORKING_DAYS)) : { deliveryDueAt: null, deliveryDueAtProvisional: null }),
      resolvedAt: ctx.at.toISOString(),
      decidedBy,
    },
  }];
};
