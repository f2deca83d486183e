import { RequestEventNamespace, RequestEventTypes, type RequestEvent } from '@govmesh/contracts/avro';
import type { Projection } from '@govmesh/backbone';
import { deliveryDueAt, deliveryOverdue, evolve, initialState, replyDueAt, replyOverdue, useEndsAt, type ShareRequestState } from '../domain/share-request.ts';
import { ShareView } from './read-model.ts';

/**
 * The shares read model (the backbone's Projection: exactly once, inbox row and change in one
 * transaction). The row keeps the folded state (the write side's own fold) plus the columns the
 * queries and the deadline watcher need.
 */
export const requestProjection: Projection<RequestEvent> = {
  inbox: 'request-projection',
  namespace: RequestEventNamespace,
  types: RequestEventTypes,
  apply: async (tx, event, record) => {
    const shareId = record.envelope.subject;
    const row = await tx.em.findOne(ShareView, { shareId });
    const state = evolve(row === null ? initialState() : (row.state as unknown as ShareRequestState), event);
    if (state.content === null) return;
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
      updatedAt: new Date(record.envelope.time),
    };
    if (row === null) tx.em.create(ShareView, values);
    else tx.em.assign(row, values);
  },
};
