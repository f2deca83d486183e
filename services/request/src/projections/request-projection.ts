import { RequestEventNamespace, RequestEventTypes } from '@govmesh/contracts/avro';
import { foldedView } from '@govmesh/backbone';
import { deliveryDueAt, deliveryOverdue, provisionalDeadlines, replyDueAt, replyOverdue, shareRequestDecider, useEndsAt } from '../domain/share-request.ts';
import { ShareView } from './read-model.ts';

const date = (s: string | null) => (s === null ? null : new Date(s));

/**
 * The shares read model (the backbone's folded view: exactly once, the write side's own fold in
 * each row) with the columns the queries and the deadline watcher need.
 */
export const requestProjection = foldedView({
  inbox: 'request-projection',
  namespace: RequestEventNamespace,
  types: RequestEventTypes,
  fold: shareRequestDecider,
  view: ShareView,
  key: 'shareId',
  columns: (state) =>
    state.content === null
      ? null
      : {
          platform: state.platform,
          requester: state.requester,
          provider: state.provider,
          entryId: state.content.entryId,
          entryVersion: state.content.entryVersion,
          status: state.status,
          replyDueAt: date(replyDueAt(state)),
          replyOverdue: replyOverdue(state),
          deliveryDueAt: date(deliveryDueAt(state)),
          deliveryOverdue: deliveryOverdue(state),
          useEndsAt: date(useEndsAt(state)),
          deadlinesProvisional: provisionalDeadlines(state).length > 0,
        },
});
