import { ExchangeEventNamespace, ExchangeEventTypes, type ExchangeEvent } from '@govmesh/contracts/avro';
import { domainEventOf, type ConsumedEvent } from '@govmesh/backbone';
import type { RequestCommands } from '../commands/request-commands.ts';

/**
 * The exchange service's deliveries (`<platform>.exchange.events`): the first delivery of an
 * approved share activates it (DLV-01), the normal path; the hand-reported StartDelivery stays
 * for data delivered outside the platform. Only the platform's exchange service writes that topic
 * (Kafka ACLs in production), so the record is trusted as the platform's own report. Other
 * exchange events are not the request service's concern.
 */
export const exchangeDeliveryHandler = (deps: { commands: RequestCommands; platform: string }) =>
  async (record: ConsumedEvent): Promise<void> => {
    const event = domainEventOf<ExchangeEvent>(record.decoded, ExchangeEventNamespace, ExchangeEventTypes);
    if (event.type !== 'ShareDeliveryStarted') return;
    await deps.commands.exchangeDelivered(event.data.shareId, { shareMethod: event.data.shareMethod, startedAt: event.data.startedAt }, deps.platform, record);
  };
