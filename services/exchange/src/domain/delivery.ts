import type { ExchangeEvent, ShareMethod } from '@govmesh/contracts/avro';
import type { CommandContext, Decider } from '@govmesh/backbone';
import type { ShareGrant } from './share.ts';

/**
 * ShareDelivery: what the exchange has delivered on one share (aggregate id = the share id). The
 * first delivery of an approved share raises ShareDeliveryStarted (DLV-01, DLV-02), on which the
 * request service activates the share; it is raised once, whatever the method and however many
 * deliveries follow. A share the provider reported active by hand (the fallback for data
 * delivered outside the platform) raises nothing: it is active already.
 */
export interface DeliveryState {
  shareId: string;
  startedAt: string | null;
  method: ShareMethod | null;
}

export type DeliveryCommand = {
  kind: 'RecordDelivery';
  /** Access was checked on this share snapshot (domain/share.ts deliveryAccess). */
  share: ShareGrant;
  method: ShareMethod;
  datasetVersion: number;
};

export const initialDelivery = (): DeliveryState => ({ shareId: '', startedAt: null, method: null });

export const decideDelivery = (cmd: DeliveryCommand, s: DeliveryState, ctx: CommandContext): ExchangeEvent[] => {
  if (s.startedAt !== null || cmd.share.state !== 'APPROVED') return [];
  const sh = cmd.share;
  return [{ type: 'ShareDeliveryStarted', data: { shareId: sh.shareId, requester: sh.requester, provider: sh.provider, entryId: sh.entryId, shareMethod: cmd.method, datasetVersion: cmd.datasetVersion, startedAt: ctx.at.toISOString() } }];
};

export const evolveDelivery = (s: DeliveryState, e: ExchangeEvent): DeliveryState => {
  switch (e.type) {
    case 'ShareDeliveryStarted':
      return { shareId: e.data.shareId, startedAt: e.data.startedAt, method: e.data.shareMethod };
    default:
      return s;
  }
};

export const deliveryDecider: Decider<DeliveryCommand, ExchangeEvent, DeliveryState> = { initialState: initialDelivery, decide: decideDelivery, evolve: evolveDelivery };
