import { RequestIngestEventNamespace, type DeliveryStarted } from '@govmesh/contracts/avro';
import { GovError, type Authenticator, type ConsumedEvent } from '@govmesh/backbone';
import type { RequestCommands } from '../commands/request-commands.ts';

/**
 * The ingest edge, the fallback for data delivered outside the platform (the exchange's own
 * deliveries activate shares through api/exchange-deliveries.ts): the provider's
 * system (or an operator) publishes DeliveryStarted to `<platform>.request.ingest` with its token
 * in the `authorization` header, and the approved share becomes active. Any error is permanent for
 * that record (bad token, wrong department, wrong state) and goes to the dead-letter topic with the
 * error in its headers.
 */
export const requestIngestHandler = (deps: { commands: RequestCommands; authenticator: Authenticator }) =>
  async (event: ConsumedEvent): Promise<void> => {
    const principal = deps.authenticator.authenticate(event.headers['authorization']);
    if (event.decoded.schema.name !== `${RequestIngestEventNamespace}.DeliveryStarted`) {
      throw new GovError('GOV_ERR_INPUT_INVALID', `unsupported ingest event ${event.decoded.schema.name}`, { violations: [{ field: 'ce_type', description: 'expected DeliveryStarted' }] });
    }
    const started = event.decoded.value as unknown as DeliveryStarted;
    await deps.commands.execute(principal, started.shareId, { kind: 'StartDelivery', shareMethod: started.shareMethod }, event);
  };
