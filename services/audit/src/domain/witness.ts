import { openCheckpoint, parseCheckpoint, parseNote, verifyConsistency, MerkleProofError, type Checkpoint, type NoteError, type NoteVerifier } from '@govmesh/ledger';

/**
 * A parent platform witnesses its children's ledgers with C2SP tlog-witness
 * (https://c2sp.org/tlog-witness): the child POSTs `add-checkpoint` with the size the witness
 * last cosigned, a consistency proof from there, and its new signed checkpoint; the witness
 * checks the child's signature and the proof, persists the new size, and answers with a
 * timestamped cosignature. A child that rewrote its history cannot get that checkpoint cosigned:
 * "no platform can rewrite its history unnoticed". Pure: the decision, not the storage.
 */
export interface AddCheckpointRequest {
  old: number;
  proof: Buffer[];
  /** The signed checkpoint note as sent. */
  note: string;
}

export type WitnessDecision =
  | { status: 200; checkpoint: Checkpoint; unchanged: boolean }
  | { status: 409; size: number; message: string }
  | { status: 400 | 403 | 404 | 422; message: string };

const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;
export const MAX_PROOF_LINES = 63;

/** Parses an add-checkpoint body: `old N`, proof lines, a blank line, the checkpoint note. */
export const parseAddCheckpoint = (body: string): AddCheckpointRequest | { error: string } => {
  const blank = body.indexOf('\n\n');
  if (blank < 0) return { error: 'missing the blank line before the checkpoint' };
  const head = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(head[0] ?? '');
  if (m === null) return { error: 'first line must be "old <size>"' };
  const old = Number(m[1]);
  if (!Number.isSafeInteger(old)) return { error: 'old size too large' };
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_LINES) return { error: `more than ${MAX_PROOF_LINES} consistency proof lines` };
  const proof: Buffer[] = [];
  for (const [i, line] of lines.entries()) {
    if (!BASE64_HASH.test(line)) return { error: `proof line ${i + 1} is not a base64 SHA-256 hash` };
    proof.push(Buffer.from(line, 'base64'));
  }
  return { old, proof, note };
};

/** Formats an add-checkpoint body (what a child sends). */
export const formatAddCheckpoint = (old: number, proof: readonly Uint8Array[], note: string): string =>
  [`old ${old}`, ...proof.map((h) => Buffer.from(h).toString('base64'))].join('\n') + '\n\n' + note;

/**
 * Decides an add-checkpoint request against the witness's latest cosigned checkpoint of that
 * log. `logs` maps checkpoint origins to the child logs' verifiers.
 */
export const decideAddCheckpoint = (
  req: AddCheckpointRequest,
  logs: ReadonlyMap<string, NoteVerifier>,
  latest: { size: number; rootHash: Buffer } | undefined,
): WitnessDecision => {
  let origin: string;
  try {
    origin = parseCheckpoint(parseNote(req.note).body).origin;
  } catch (err) {
    return { status: 400, message: `malformed checkpoint: ${(err as Error).message}` };
  }
  const verifier = logs.get(origin);
  if (verifier === undefined) return { status: 404, message: `unknown log ${origin}` };
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(req.note, [verifier], origin).checkpoint;
  } catch (err) {
    return { status: 403, message: `checkpoint is not signed by the log key of ${origin}: ${(err as NoteError).message}` };
  }
  const current = latest ?? { size: 0, rootHash: Buffer.alloc(0) };
  if (req.old > checkpoint.size) return { status: 400, message: `old size ${req.old} is larger than the checkpoint size ${checkpoint.size}` };
  if (req.old !== current.size) return { status: 409, size: current.size, message: `the witness's latest size for ${origin} is ${current.size}, not ${req.old}` };
  if (checkpoint.size === current.size && latest !== undefined) {
    if (!checkpoint.rootHash.equals(current.rootHash)) return { status: 422, message: `a different root for size ${checkpoint.size}: the log forked` };
    return { status: 200, checkpoint, unchanged: true };
  }
  if (latest === undefined) {
    if (req.proof.length > 0) return { status: 422, message: 'no proof is needed from size 0' };
    return { status: 200, checkpoint, unchanged: false };
  }
  try {
    verifyConsistency(current.size, checkpoint.size, req.proof, current.rootHash, checkpoint.rootHash);
  } catch (err) {
    if (err instanceof MerkleProofError) return { status: 422, message: `consistency proof from ${current.size} to ${checkpoint.size} fails: ${err.message}` };
    throw err;
  }
  return { status: 200, checkpoint, unchanged: false };
};
