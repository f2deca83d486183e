import type { DisputeStage } from '@govmesh/contracts/avro';
import { assertNever, forbidden, ruleViolated } from '@govmesh/backbone';
import { DELIVERY_WORKING_DAYS, exists, isCompetent, requireRequester, requireStatus, text, type Decide } from './share-request-rules.ts';

/** The dispute ladder after a refusal (DSP-01): negotiation -> coordination -> (superior coordination) -> the government's decision. */

const nextStage = (stage: DisputeStage, crossLevel: boolean): DisputeStage | null => {
  switch (stage) {
    case 'NEGOTIATION': return 'COORDINATION';
    case 'COORDINATION': return crossLevel ? 'SUPERIOR_COORDINATION' : 'GOVERNMENT_DECISION';
    case 'SUPERIOR_COORDINATION': return 'GOVERNMENT_DECISION';
    case 'GOVERNMENT_DECISION': return null;
    default: return assertNever(stage, 'dispute stage');
  }
};

export const openDispute: Decide<'OpenDispute'> = (cmd, s, ctx) => {
  requireRequester(s, cmd.by, ctx, 'DSP-01');
  if (s.dispute !== null) throw ruleViolated('DSP-01', `the refusal was already disputed (ended at ${s.dispute.stage})`);
  requireStatus(s, ['REFUSED'], 'DSP-01', 'opening a dispute');
  text('grounds', cmd.grounds, 'DSP-01');
  return [{ type: 'DisputeOpened', data: { shareId: s.shareId, openedBy: cmd.by.departmentId, grounds: cmd.grounds.trim(), crossLevel: cmd.crossLevel } }];
};

export const escalateDispute: Decide<'EscalateDispute'> = (cmd, s, ctx) => {
  exists(s, ctx);
  requireStatus(s, ['IN_DISPUTE'], 'DSP-01', 'escalating a dispute');
  const d = s.dispute!;
  const party = cmd.by.departmentId === s.requester || cmd.by.departmentId === s.provider;
  // DSP-01: the parties apply for coordination; later steps may also be moved by the competent department.
  if (!party && !(d.stage !== 'NEGOTIATION' && isCompetent(s, cmd.by))) throw forbidden(`only the parties${d.stage === 'NEGOTIATION' ? '' : ' or the competent department'} escalate a dispute in ${d.stage}`, 'DSP-01');
  const to = nextStage(d.stage, d.crossLevel);
  if (to === null) throw ruleViolated('DSP-01', "the people's government's decision is the last step of the ladder");
  text('reason', cmd.reason, 'DSP-01');
  return [{ type: 'DisputeEscalated', data: { shareId: s.shareId, escalatedBy: cmd.by.departmentId, fromStage: d.stage, toStage: to, reason: cmd.reason.trim() } }];
};

export const resolveDispute: Decide<'ResolveDispute'> = (cmd, s, ctx, deps) => {
  exists(s, ctx);
  requireStatus(s, ['IN_DISPUTE'], 'DSP-01', 'resolving a dispute');
  const stage = s.dispute!.stage;
  if (stage === 'NEGOTIATION') {
    // DSP-01: negotiation ends by agreement: the provider agrees to share or the requester accepts the refusal.
    const ok = cmd.outcome === 'SHARE_GRANTED' ? cmd.by.departmentId === s.provider : cmd.by.departmentId === s.requester;
    if (!ok) throw forbidden('in negotiation the provider may agree to share and the requester may accept the refusal; otherwise escalate to the competent department', 'DSP-01');
  } else if (!isCompetent(s, cmd.by)) {
    throw forbidden(`in ${stage} the competent department records the ${stage === 'GOVERNMENT_DECISION' ? "people's government's decision" : 'coordination result'}`, 'DSP-01');
  }
  text('decision', cmd.decision, 'DSP-01');
  if (stage === 'GOVERNMENT_DECISION') text('reference', cmd.reference, 'DSP-01', "the government decision's document number");
  const granted = cmd.outcome === 'SHARE_GRANTED';
  return [{
    type: 'DisputeResolved',
    data: {
      shareId: s.shareId, stage, resolvedBy: cmd.by.departmentId, outcome: cmd.outcome, decision: cmd.decision.trim(), reference: cmd.reference.trim(),
      deliveryDueAt: granted ? deps.calendar.addWorkingDays(ctx.at, DELIVERY_WORKING_DAYS).toISOString() : null,
    },
  }];
};
