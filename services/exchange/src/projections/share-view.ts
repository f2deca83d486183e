import { RequestEventNamespace, RequestEventTypes } from '@govmesh/contracts/avro';
import { foldedView, type Database } from '@govmesh/backbone';
import { shareFold, type ShareGrant } from '../domain/share.ts';
import { ShareView } from './read-model.ts';

/**
 * The shares the exchange may serve, folded from `<platform>.request.events` only (the backbone's
 * folded view: exactly once, the exchange's own fold in each row).
 */
export const shareViewProjection = foldedView({
  inbox: 'exchange-share-view',
  namespace: RequestEventNamespace,
  types: RequestEventTypes,
  fold: shareFold,
  view: ShareView,
  key: 'shareId',
  columns: (s) => (s.state === 'NONE' ? null : { requester: s.requester, provider: s.provider, entryId: s.entryId, shareState: s.state }),
});

export class Shares {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /** The shares of an entry that were approved at some point: every share the exchange could have delivered to. */
  async delivered(entryId: string): Promise<ShareGrant[]> {
    const rows = await this.#db.orm.em.fork().find(ShareView, { entryId, shareState: { $in: ['APPROVED', 'ACTIVE', 'SUSPENDED', 'TERMINATED', 'ENDED'] } }, { orderBy: { shareId: 'asc' } });
    return rows.map((r) => r.state as unknown as ShareGrant);
  }

  /** The share as the exchange knows it; null when no request event named it yet. */
  async get(shareId: string): Promise<ShareGrant | null> {
    const row = await this.#db.orm.em.fork().findOne(ShareView, { shareId });
    return row === null ? null : (row.state as unknown as ShareGrant);
  }
}
