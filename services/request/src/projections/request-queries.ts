import type { ShareRequestContent } from '@govmesh/contracts/avro';
import { notFound, type AggregateStore, type Database, type Principal } from '@govmesh/backbone';
import type { FilterQuery, InferEntity } from '@mikro-orm/postgresql';
import { assertCanRead, oversees } from '../domain/access.ts';
import { deliveryDueAt, deliveryOverdue, provisionalDeadlines, replyDueAt, replyOverdue, shareRequestDecider, useEndsAt, type ShareRequestState } from '../domain/share-request.ts';
import { ShareView } from './read-model.ts';

export interface ShareSummary {
  shareId: string;
  status: string;
  revision: number;
  platform: string;
  requester: string;
  provider: string;
  entryName: string;
  shareAttribute: string;
  content: ShareRequestContent | null;
  replyDueAt: string | null;
  replyOverdue: boolean;
  deliveryDueAt: string | null;
  deliveryOverdue: boolean;
  useEndsAt: string | null;
  /** The due fields whose deadline is provisional until the year's official schedule is loaded (ADR 0008). */
  provisionalDeadlines: string[];
  extension: string;
  disputeStage: string | null;
  /** The whole folded state: notice, refusal reasons, approval, terms, suspension, ... */
  state: ShareRequestState;
}

export interface ShareFilters {
  requester?: string;
  provider?: string;
  status?: string;
  overdueOnly?: boolean;
  limit?: number;
  offset?: number;
}

export const summarize = (s: ShareRequestState, revision: number): ShareSummary => ({
  shareId: s.shareId,
  status: s.status,
  revision,
  platform: s.platform,
  requester: s.requester,
  provider: s.provider,
  entryName: s.entryName,
  shareAttribute: s.shareAttribute ?? '',
  content: s.content,
  replyDueAt: replyDueAt(s),
  replyOverdue: replyOverdue(s),
  deliveryDueAt: deliveryDueAt(s),
  deliveryOverdue: deliveryOverdue(s),
  useEndsAt: useEndsAt(s),
  provisionalDeadlines: provisionalDeadlines(s),
  extension: s.extension,
  disputeStage: s.dispute?.stage ?? null,
  state: s,
});

/** Read side of the requests: search on the projection, single shares from the event store. */
export class RequestQueries {
  readonly #db: Database;
  readonly #store: AggregateStore;
  readonly #platform: string;
  constructor(db: Database, store: AggregateStore, platform: string) {
    this.#db = db;
    this.#store = store;
    this.#platform = platform;
  }

  /** By requester, provider, status, overdue. A party sees only its own shares (REC-02). */
  async search(p: Principal, f: ShareFilters): Promise<{ shares: ShareSummary[]; total: number }> {
    type Where = FilterQuery<InferEntity<typeof ShareView>>;
    const and: Where[] = [{ platform: this.#platform }];
    if (f.requester) and.push({ requester: f.requester });
    if (f.provider) and.push({ provider: f.provider });
    if (f.status) and.push({ status: f.status });
    if (f.overdueOnly) and.push({ $or: [{ replyOverdue: true }, { deliveryOverdue: true }] });
    if (!oversees(p)) and.push({ $or: [{ requester: p.department.id }, { provider: p.department.id }] });
    const em = this.#db.orm.em.fork();
    const [rows, total] = await em.findAndCount(ShareView, { $and: and }, { orderBy: { shareId: 'asc' }, limit: Math.min(f.limit || 50, 500), offset: f.offset ?? 0 });
    return { shares: rows.map((r) => summarize(r.state as unknown as ShareRequestState, r.revision)), total };
  }

  /** One share, always current: folded from the event store, with its full history. */
  async get(p: Principal, shareId: string) {
    const { state, version, events } = await this.#store.state(shareRequestDecider, shareId);
    if (version === 0) throw notFound('share request', shareId);
    assertCanRead(p, state);
    return {
      share: summarize(state, version),
      history: events.map((e) => ({ revision: e.version, type: e.event.type, time: e.envelope.time, eventId: e.envelope.id, data: e.event.data })),
    };
  }

  /** Shares with a deadline passed and not flagged yet: input of the deadline watcher. */
  async dueForChecks(now: Date): Promise<string[]> {
    const em = this.#db.orm.em.fork();
    const rows = await em.find(
      ShareView,
      { platform: this.#platform, $or: [{ replyOverdue: false, replyDueAt: { $lt: now } }, { deliveryOverdue: false, deliveryDueAt: { $lt: now } }, { useEndsAt: { $lt: now } }] },
      { fields: ['shareId'], limit: 1000 },
    );
    return rows.map((r) => r.shareId);
  }

  /** Shares with a provisional deadline: counted again at start, after a year's schedule may have been loaded (ADR 0008). */
  async withProvisionalDeadlines(): Promise<string[]> {
    const rows = await this.#db.orm.em.fork().find(ShareView, { platform: this.#platform, deadlinesProvisional: true }, { fields: ['shareId'] });
    return rows.map((r) => r.shareId);
  }
}
