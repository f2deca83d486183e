import { domainEventOf, type DomainEvent } from '../domain/decider.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';
import type { Database, Tx } from '../store/database.ts';
import { claimInbox } from '../store/inbox.ts';

/**
 * A read model fed by a Kafka topic, the same skeleton in every service: the consumer has decoded
 * the record (CloudEvents headers, Avro value); the projection turns it into the stream's domain
 * event, claims its ce_id in the inbox and applies it in one transaction, so a redelivered record
 * changes nothing. A record that is not an event of the stream (another namespace, a type this build
 * does not know) is undecodable here: it goes to the dead-letter topic rather than be guessed at.
 */
export interface Projection<E extends DomainEvent> {
  /** The inbox consumer id: which records this projection has applied. Renaming it applies everything again. */
  inbox: string;
  /** The stream it reads: the generated `<Stream>EventNamespace`. */
  namespace: string;
  /** The generated `<Stream>EventTypes`. */
  types: readonly E['type'][];
  /** Applies one event, inside the transaction that claims its inbox row. */
  apply: (tx: Tx, event: E, record: ConsumedEvent) => Promise<void>;
}

/** Applies one record exactly once; false when this projection had applied it already. */
export const applyProjection = <E extends DomainEvent>(db: Database, schema: string, projection: Projection<E>, record: ConsumedEvent): Promise<boolean> => {
  const event = domainEventOf<E>(record.decoded, projection.namespace, projection.types);
  return db.transaction(async (tx) => {
    if (!(await claimInbox(tx, schema, projection.inbox, record))) return false;
    await projection.apply(tx, event, record);
    return true;
  });
};

/**
 * Dispatch by event type, exhaustive: every type of the stream names its handler, or `null` for
 * "not needed by this read model". A new event type does not compile until it is given one.
 */
export type EventHandlers<E extends DomainEvent> = {
  [K in E['type']]: ((tx: Tx, event: Extract<E, { type: K }>, record: ConsumedEvent) => Promise<void>) | null;
};

export const byType =
  <E extends DomainEvent>(handlers: EventHandlers<E>) =>
  async (tx: Tx, event: E, record: ConsumedEvent): Promise<void> => {
    const handle = handlers[event.type as E['type']] as ((tx: Tx, event: E, record: ConsumedEvent) => Promise<void>) | null;
    if (handle !== null) await handle(tx, event, record);
  };
