import { createHmac, hash } from 'node:crypto';
import type { MaskingRule } from './masking.ts';

/**
 * Per-recipient fingerprints and leak tracing (SEC-17 as a design choice, SEC-03): every copy the
 * exchange delivers carries, in its values, a fingerprint of the share and recipient it was
 * delivered to, so that a leaked extract names its source.
 *
 * The scheme is Li, Swarup and Jajodia's ("Fingerprinting relational databases: schemes and
 * specialties", IEEE TDSC 2(1), 2005), itself an extension of Agrawal and Kiernan's watermark,
 * with two adaptations written down in docs/exchange-fingerprint.md:
 * - Marks are carried only where masking leaves freedom, so that no value a recipient may read
 *   changes: the mask glyph of a partly masked value (`*` U+002A for 0, `＊` U+FF0A for 1) and the
 *   letter case of a keyed pseudonym (lower for 0, upper for 1). A value in clear is never altered.
 * - The pseudo-random choices are keyed by the carrier value itself (its item and its glyph- or
 *   case-normalised text: a "virtual primary key"), not by the record key, so that an extract
 *   without the key column, with columns dropped or reordered, still yields every mark it kept.
 *
 * For each carrier value v of item a: s = SHA-256(K ‖ a ‖ norm(v) ‖ K); l = s mod L picks the fingerprint
 * bit, x = a further bit of s masks it, and the value carries x XOR F_r[l], where F_r is the
 * recipient's L-bit fingerprint HMAC(K, recipient). The same value always carries the same mark for
 * one recipient, so a recipient's own joins on masked values and pseudonyms still hold.
 *
 * Tracing reads every carrier of a suspect extract, votes each fingerprint bit by majority, and
 * scores each candidate by the bits that agree with its fingerprint. An innocent recipient's
 * fingerprint is independent of the marks, so its agreement is Binomial(k, 1/2) over the k voted
 * bits: the probability that it scores as high is that binomial's upper tail.
 */
export const FINGERPRINT_BITS = 64;
/** A candidate is named when an innocent one would score as high with at most this probability. */
export const TRACE_THRESHOLD = 1e-6;

const GLYPH0 = '*';
const GLYPH1 = '\uFF0A';

/** Which kind of carrier an item's rule makes of its values: none for values in clear or withheld. */
export type CarrierKind = 'GLYPH' | 'CASE' | null;
export const carrierOf = (rule: MaskingRule): CarrierKind => {
  switch (rule) {
    case 'NAME':
    case 'ID_NUMBER':
    case 'PHONE':
    case 'ADDRESS_DISTRICT':
      return 'GLYPH';
    case 'HASH':
      return 'CASE';
    case 'NONE':
    case 'REDACT':
      return null;
    default: {
      const never: never = rule;
      throw new Error(`unknown masking rule ${String(never)}`);
    }
  }
};

/** The recipient's fingerprint: L pseudo-random bits from the platform secret and the recipient (share and department). */
export const recipientFingerprint = (secret: Uint8Array, recipient: string): Uint8Array => {
  const bits = new Uint8Array(FINGERPRINT_BITS);
  const digest = Buffer.concat([0, 1].map((i) => createHmac('sha256', secret).update(`fingerprint\u0000${i}\u0000${recipient}`).digest()));
  for (let l = 0; l < FINGERPRINT_BITS; l += 1) bits[l] = (digest[l >> 3]! >> (l & 7)) & 1;
  return bits;
};

const normalise = (kind: 'GLYPH' | 'CASE', v: string): string => (kind === 'GLYPH' ? v.replaceAll(GLYPH1, GLYPH0) : v.toLowerCase());

/**
 * The fingerprint bit a carrier value stands for (l) and its mask (x). A keyed SHA-256 with the
 * key on both sides (one call, about twice as fast as an HMAC here): these choices need only be
 * unpredictable without the key; the recipients' fingerprints themselves are HMACs.
 */
const position = (key: string, item: string, kind: 'GLYPH' | 'CASE', v: string): { l: number; x: number } => {
  const s = hash('sha256', `${key}\u0000${item}\u0000${normalise(kind, v)}\u0000${key}`, 'buffer');
  return { l: s.readUInt32BE(0) % FINGERPRINT_BITS, x: s[4]! & 1 };
};
const positionKey = (secret: Uint8Array): string => `mark:${Buffer.from(secret).toString('base64')}`;

const write = (kind: 'GLYPH' | 'CASE', v: string, bit: number): string => {
  if (kind === 'GLYPH') return bit === 1 ? v.replaceAll(GLYPH0, GLYPH1) : v.replaceAll(GLYPH1, GLYPH0);
  return bit === 1 ? v.toUpperCase() : v.toLowerCase();
};

/** The bit a carrier value shows, or null when it shows none (no glyph, no letter, or a mix). */
const read = (kind: 'GLYPH' | 'CASE', v: string): number | null => {
  if (kind === 'GLYPH') {
    const zeros = v.split(GLYPH0).length - 1;
    const ones = v.split(GLYPH1).length - 1;
    return zeros === ones ? null : zeros > ones ? 0 : 1;
  }
  const upper = (v.match(/[A-F]/g) ?? []).length;
  const lower = (v.match(/[a-f]/g) ?? []).length;
  return upper === lower ? null : upper > lower ? 1 : 0;
};

const carries = (kind: CarrierKind, v: unknown): v is string =>
  typeof v === 'string' && (kind === 'GLYPH' ? v.includes(GLYPH0) || v.includes(GLYPH1) : kind === 'CASE' && /^[0-9a-fA-F]{32}$/.test(v));

/**
 * The fingerprinting of one recipient's copy: applied to each masked record before it leaves,
 * after masking, for every delivery method.
 */
export const recordFingerprinter = (
  items: readonly { name: string; rule: MaskingRule }[],
  secret: Uint8Array,
  recipient: string,
): ((record: Record<string, unknown>) => Record<string, unknown>) => {
  const fp = recipientFingerprint(secret, recipient);
  const key = positionKey(secret);
  const carriers = items.flatMap((i) => {
    const kind = carrierOf(i.rule);
    return kind === null ? [] : [[i.name, kind] as const];
  });
  return (record) => {
    if (carriers.length === 0) return record;
    const out = { ...record };
    for (const [name, kind] of carriers) {
      const v = out[name];
      if (!carries(kind, v)) continue;
      const { l, x } = position(key, name, kind, v);
      out[name] = write(kind, v, x ^ fp[l]!);
    }
    return out;
  };
};

export interface TraceCandidate {
  recipient: string;
}

export interface TraceScore {
  recipient: string;
  /** Fingerprint bits with at least one vote, and of those the ones agreeing with this recipient. */
  voted: number;
  matches: number;
  /** The probability that an innocent recipient agrees on at least `matches` of `voted` bits. */
  pInnocent: number;
  named: boolean;
}

/** ln C(n, k), by the log-gamma-free sum (n is at most FINGERPRINT_BITS). */
const lnChoose = (n: number, k: number): number => {
  let s = 0;
  for (let i = 1; i <= k; i += 1) s += Math.log((n - k + i) / i);
  return s;
};

/** P(X >= k) for X ~ Binomial(n, 1/2). */
export const binomialTail = (n: number, k: number): number => {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let p = 0;
  for (let i = k; i <= n; i += 1) p += Math.exp(lnChoose(n, i) - n * Math.LN2);
  return Math.min(1, p);
};

/**
 * The votes of a suspect extract (rows as parsed from CSV or NDJSON, columns by item name), row by
 * row, so an extract of any size is traced in constant memory; `scores` ranks candidates: best
 * first, `named` for the best one when an innocent recipient would score as high with probability
 * below TRACE_THRESHOLD and no other candidate ties it.
 */
export const leakVotes = (items: readonly { name: string; rule: MaskingRule }[], secret: Uint8Array) => {
  const votes = Array.from({ length: FINGERPRINT_BITS }, () => [0, 0]);
  const key = positionKey(secret);
  const carriers = items.flatMap((i) => {
    const kind = carrierOf(i.rule);
    return kind === null ? [] : [[i.name, kind] as const];
  });
  let rows = 0;
  let marks = 0;
  return {
    add(row: Record<string, unknown>): void {
      rows += 1;
      for (const [name, kind] of carriers) {
        const v = row[name];
        if (!carries(kind, v)) continue;
        const bit = read(kind, v);
        if (bit === null) continue;
        const { l, x } = position(key, name, kind, v);
        votes[l]![bit ^ x]! += 1;
        marks += 1;
      }
    },
    /** Rows read and fingerprint marks found in them. */
    get read(): { rows: number; marks: number } {
      return { rows, marks };
    },
    scores(candidates: readonly TraceCandidate[]): TraceScore[] {
      const majority = votes.map(([zero, one]) => (zero === one ? null : one! > zero! ? 1 : 0));
      const voted = majority.filter((b) => b !== null).length;
      const scores = candidates.map((c) => {
        const fp = recipientFingerprint(secret, c.recipient);
        const matches = majority.reduce<number>((n, b, l) => n + (b !== null && b === fp[l] ? 1 : 0), 0);
        return { recipient: c.recipient, voted, matches, pInnocent: binomialTail(voted, matches), named: false };
      });
      scores.sort((a, b) => b.matches - a.matches || a.recipient.localeCompare(b.recipient));
      if (scores.length > 0 && scores[0]!.pInnocent < TRACE_THRESHOLD && (scores.length === 1 || scores[1]!.matches < scores[0]!.matches)) scores[0]!.named = true;
      return scores;
    },
  };
};

/** Which candidate a suspect extract came from (leakVotes over rows held in memory). */
export const traceLeak = (
  rows: Iterable<Record<string, unknown>>,
  items: readonly { name: string; rule: MaskingRule }[],
  secret: Uint8Array,
  candidates: readonly TraceCandidate[],
): TraceScore[] => {
  const votes = leakVotes(items, secret);
  for (const row of rows) votes.add(row);
  return votes.scores(candidates);
};
