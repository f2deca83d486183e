import { inputInvalid, type Clock, type Principal } from '@govmesh/backbone';
import { deliveredCopy } from '../domain/delivered-copy.ts';
import type { ShareGrant } from '../domain/share.ts';
import { copySpec, type EntryCatalog } from '../projections/catalog-view.ts';
import type { DatasetQueries } from '../projections/dataset-queries.ts';
import type { DeliveryCalls } from './delivery-calls.ts';
import type { ExchangeCommands } from './exchange-commands.ts';

/**
 * The API pull (DLV-02), written once for the REST stream and the gRPC stream: the share's
 * access checked (the first delivery recorded), the call admitted under the delivery limits
 * (DLV-07), then the current dataset read page by page from the cursor, every record the one
 * delivered copy (approved items, masked, fingerprinted), a deletion named by its masked key
 * when the key item is approved; the share checked again between pages (SUS-03: a suspension
 * cuts the stream); what left recorded as the call's usage, also when the stream is cut.
 */
export const PULL_PAGE = 1000;
export const DEFAULT_PULL_LIMIT = 10_000;
export const MAX_PULL_LIMIT = 100_000;

export interface PulledLine {
  cursor: string;
  record?: Record<string, unknown>;
  deleted?: Record<string, unknown>;
}

export interface PullRequest {
  shareId: string;
  /** The cursor of the last line received ('' or undefined: from the start). */
  cursor?: string | undefined;
  changedSince?: number | null | undefined;
  limit?: number | undefined;
  /** Where a bad cursor is named (querystring.cursor, cursor). */
  cursorField: string;
}

export const parseCursor = (cursor: string | undefined, field: string): bigint => {
  if (cursor === undefined || cursor === '') return 0n;
  if (!/^(0|[1-9]\d{0,18})$/.test(cursor)) throw inputInvalid([{ field, description: 'a cursor from an earlier line of a pull' }]);
  return BigInt(cursor);
};

export interface RecordPullDeps {
  commands: ExchangeCommands;
  datasets: DatasetQueries;
  catalog: EntryCatalog;
  calls: DeliveryCalls;
  clock: Clock;
  maskingKey: Uint8Array;
}

export class RecordPull {
  readonly #d: RecordPullDeps;
  constructor(deps: RecordPullDeps) {
    this.#d = deps;
  }

  /**
   * Opens a pull: refused (403, 404, 429) before anything is sent; then its pages, each a list of
   * lines. The edge reports the bytes it wrote (`wrote`), for the call's usage.
   */
  async open(p: Principal, req: PullRequest): Promise<{ datasetVersion: number; pages: AsyncGenerator<PulledLine[]>; wrote: (bytes: number) => void }> {
    const d = this.#d;
    let after = parseCursor(req.cursor, req.cursorField);
    const changedSince = req.changedSince ?? null;
    const { share, items } = await d.commands.deliver(p, req.shareId, 'API', d.clock.now());
    const call = await d.calls.admit(share.shareId, 'API', p.department.id, d.clock.now());
    const limit = Math.min(req.limit ?? DEFAULT_PULL_LIMIT, call.recordsLeft);
    const copy = await this.#copyFor(share, items);
    const current = await d.datasets.current(share.entryId);
    const keyCopy = current.keyItem !== '' && items.includes(current.keyItem) ? await this.#copyFor(share, [current.keyItem]) : null;
    let sent = 0;
    let bytes = 0;
    async function* pages(): AsyncGenerator<PulledLine[]> {
      try {
        while (sent < limit) {
          const page = await d.datasets.page(share.entryId, after, Math.min(PULL_PAGE, limit - sent), changedSince);
          if (page.rows.length === 0) return;
          const lines: PulledLine[] = [];
          for (const r of page.rows) {
            after = BigInt(r.seq);
            if (r.data === null) {
              if (keyCopy !== null) lines.push({ cursor: r.seq, deleted: keyCopy({ [current.keyItem]: r.key }) });
            } else lines.push({ cursor: r.seq, record: copy(r.data) });
            sent += 1;
          }
          yield lines;
          await d.commands.recheck(p, share.shareId, 'API', d.clock.now());
        }
      } finally {
        // Also when the stream is cut (a suspension, the client gone): what left is what counts.
        await d.calls.finish(call.callId, sent, bytes, d.clock.now());
      }
    }
    return { datasetVersion: current.version, pages: pages(), wrote: (n) => void (bytes += n) };
  }

  /** The delivered copy of the named items, each by the entry's current definition. */
  async #copyFor(share: ShareGrant, names: readonly string[]) {
    return deliveredCopy(await copySpec(this.#d.catalog, share, names, this.#d.maskingKey), share);
  }
}
