import type { RequestEvent } from '@govmesh/contracts/avro';
import { claimInbox, type ConsumedEvent, type Database } from '@govmesh/backbone';
import { deliveryDueAt, deliveryOverdue, evolve, initialState, replyDueAt, replyOverdue, useEndsAt, type ShareRequestState } from '../domain/share-request.ts';
import { REQUEST_NAMESPACE, SCHEMA } from '../events/topics.ts';
import { ShareView } from './read-model.ts';

export const PROJECTION_CONSUMER = 'request-projection';

/**
 * Applies one request event to the shares read model, exactly once: the inbox row and the
 * projection change commit in one transaction. The row keeps the folded state (the write side's
 * own fold) plus the columns the queries and the deadline watcher need.
 */
export const projectRequestEvent = async (db: Database, consumed: ConsumedEvent): Promise<boolean> =>
  db.transaction(async (tx) => {
    if (!(await claimInbox(tx, SCHEMA, PROJECTION_CONSUMER, consumed))) return false;
    const event = { type: consumed.decoded.schema.name.slice(REQUEST_NAMESPACE.length + 1), data: consumed.decoded.value } as unknown as RequestEvent;
    const shareId = consumed.envelope.subject;
    const row = await tx.em.findOne(ShareView, { shareId });
    const state = evolve(row === null ? initialState() : (row.state as unknown as ShareRequestState), event);
    if (state.content === null) return true;
    const date = (s: string | null) => (s === null ? null : new Date(s));
    const values = {
      shareId,
      platform: state.platform,
      requester: state.requester,
      provider: state.provider,
      entryId: state.content.entryId,
      entryVersion: state.content.entryVersion,
      status: state.status,
      revision: (row?.revision ?? 0) + 1,
      replyDueAt: date(replyDueAt(state)),
      replyOverdue: replyOverdue(state),
      deliveryDueAt: date(deliveryDueAt(state)),
      deliveryOverdue: deliveryOverdue(state),
      useEndsAt: date(useEndsAt(state)),
      state: JSON.parse(JSON.stringify(state)) as Record<string, unknown>,
      updatedAt: new Date(consumed.envelope.time),
    };
    if (row === null) tx.em.create(ShareView, values);
    else tx.em.assign(row, values);
    return true;
  });
