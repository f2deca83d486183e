import { effectiveRule, recordMasker, type MaskedItem } from './masking.ts';
import { recordFingerprinter } from './fingerprint.ts';
import type { ShareGrant } from './share.ts';

/**
 * What every delivery method (pull, push, file) sends of a stored record, written once: only the
 * approved items, each masked by its rule and grade (SEC-01, SEC-16), then marked with the
 * recipient's fingerprint inside the masked values themselves (SEC-17, docs/exchange-fingerprint.md),
 * so that any copy that leaves the platform names the share and department it was delivered to.
 */
export interface CopySpec {
  /** The approved items, with their catalog definitions (grade, own masking rule). */
  items: readonly MaskedItem[];
  /** Items whose masking the approval lifted (none until approvals carry it). */
  lifted: readonly string[];
  /** The platform secret that keys pseudonyms and fingerprints. */
  key: Uint8Array;
}

/** The recipient a copy is fingerprinted for: the share and its requesting department, as a trace names them. */
export const copyRecipient = (share: Pick<ShareGrant, 'shareId' | 'requester'>): string => `${share.shareId}/${share.requester}`;

/** Splits a traced recipient back into its share and department. */
export const parseCopyRecipient = (recipient: string): { shareId: string; requester: string } => {
  const i = recipient.lastIndexOf('/');
  return { shareId: recipient.slice(0, i), requester: recipient.slice(i + 1) };
};

export const deliveredCopy = (spec: CopySpec, share: Pick<ShareGrant, 'shareId' | 'requester'>): ((record: Record<string, unknown>) => Record<string, unknown>) => {
  const mask = recordMasker(spec.items, { lifted: spec.lifted, key: spec.key });
  const mark = recordFingerprinter(fingerprintItems(spec), spec.key, copyRecipient(share));
  return (record) => mark(mask(record));
};

/** The items as the fingerprint reads them: each with the rule its values were masked by. */
export const fingerprintItems = (spec: Pick<CopySpec, 'items' | 'lifted'>): { name: string; rule: ReturnType<typeof effectiveRule> }[] =>
  spec.items.map((i) => ({ name: i.name, rule: effectiveRule(i, spec.lifted) }));
