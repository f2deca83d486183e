import { notFound } from '@govmesh/backbone';
import { copyRecipient, fingerprintItems, parseCopyRecipient } from '../domain/delivered-copy.ts';
import { leakVotes, TRACE_THRESHOLD } from '../domain/fingerprint.ts';
import type { EntryCatalog } from './catalog-view.ts';
import { copySpec } from './catalog-view.ts';
import type { Shares } from './share-view.ts';

/**
 * Leak tracing (SEC-17): which share and recipient a suspect extract of an entry's data came from.
 * The candidates are every share of the entry the exchange could have delivered (approved once);
 * the extract is read row by row (leakVotes: constant memory) and each candidate scored by how
 * many fingerprint bits it agrees on, with the probability that an innocent recipient would agree
 * as much (docs/exchange-fingerprint.md).
 */
export interface TraceAnswer {
  entryId: string;
  rows: number;
  /** Masked values that carried a fingerprint mark. */
  marks: number;
  skippedLines: number;
  threshold: number;
  /** The share and department named, when the evidence is below the threshold and unambiguous. */
  named: { shareId: string; requester: string; pInnocent: number } | null;
  /** The best candidates first (at most 10). */
  scores: { shareId: string; requester: string; matches: number; voted: number; pInnocent: number }[];
}

export const traceExtract = async (
  deps: { catalog: EntryCatalog; shares: Shares; key: Uint8Array },
  entryId: string,
  rows: AsyncIterable<Record<string, unknown>>,
  skipped: { lines: number },
): Promise<TraceAnswer> => {
  const entry = await deps.catalog.snapshot(entryId);
  if (entry === null) throw notFound('entry', entryId);
  const spec = await copySpec(deps.catalog, { entryId }, entry.items.map((i) => i.name), deps.key);
  const votes = leakVotes(fingerprintItems(spec), deps.key);
  for await (const row of rows) votes.add(row);
  const candidates = (await deps.shares.delivered(entryId)).map((s) => ({ recipient: copyRecipient(s) }));
  const scores = votes.scores(candidates);
  const best = scores[0];
  return {
    entryId,
    ...votes.read,
    skippedLines: skipped.lines,
    threshold: TRACE_THRESHOLD,
    named: best?.named === true ? { ...parseCopyRecipient(best.recipient), pInnocent: best.pInnocent } : null,
    scores: scores.slice(0, 10).map((s) => ({ ...parseCopyRecipient(s.recipient), matches: s.matches, voted: s.voted, pInnocent: s.pInnocent })),
  };
};
