import type { Tx } from './database.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';

/**
 * The idempotent-consumer half of exactly-once: the event id is claimed in the same transaction
 * as the projection change. A redelivered event finds its id and changes nothing.
 * Returns false when the event was already processed by this consumer.
 */
export const claimInbox = async (tx: Tx, schema: string, consumer: string, event: ConsumedEvent): Promise<boolean> => {
  const rows = await tx.query(
    `insert into ${schema}.inbox (consumer, event_id, topic, partition, "offset") values ($1, $2, $3, $4, $5)
     on conflict (consumer, event_id) do nothing returning event_id`,
    [consumer, event.envelope.id, event.topic, event.partition, event.offset],
  );
  return rows.length === 1;
};
