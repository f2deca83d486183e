import { performance } from 'node:perf_hooks';
import type { Figure } from './figures.ts';
import { recordFingerprinter, traceLeak } from '../services/exchange/src/domain/fingerprint.ts';
import { effectiveRule, recordMasker } from '../services/exchange/src/domain/masking.ts';
import { leakedExtract, personDataset, personItems } from '../services/exchange/src/domain/fixtures.ts';

/**
 * The exchange's per-record work before a byte leaves, in-process on one core: masking by grade,
 * then the recipient's fingerprint, then NDJSON serialisation; beside the raw baseline of the same
 * run (serialising the same records unmasked). And leak tracing: over `trials` leaks per extract
 * size, the share in which the leaker was named (and, separately, any innocent recipient named).
 */
export const benchExchangeDomain = (records: number, trials: number): Figure[] => {
  const data = personDataset(records);
  const secret = new TextEncoder().encode('bench fingerprint secret');
  const key = new TextEncoder().encode('bench masking key, 32 bytes or more');
  const rules = personItems.map((i) => ({ name: i.name, rule: effectiveRule(i, []) }));
  const mask = recordMasker(personItems, { lifted: [], key });
  const fingerprint = recordFingerprinter(rules, secret, 'share-1/dept-1');
  const rate = (run: () => void): number => {
    const t0 = performance.now();
    run();
    return Math.round(records / ((performance.now() - t0) / 1000));
  };
  let bytes = 0;
  const raw = rate(() => {
    for (const r of data) bytes += JSON.stringify(r).length + 1;
  });
  const masked = rate(() => {
    for (const r of data) bytes += JSON.stringify(mask(r)).length + 1;
  });
  const marked = rate(() => {
    for (const r of data) bytes += JSON.stringify(fingerprint(mask(r))).length + 1;
  });
  const conditions = `${records} person records, ${personItems.length} items (5 masked, 4 carry marks), 1 core, NDJSON (${(bytes / 3 / records).toFixed(0)} bytes a record)`;
  const figures: Figure[] = [
    { name: 'serialise only (raw baseline)', value: raw, unit: 'records/s', conditions },
    { name: 'mask + serialise', value: masked, unit: 'records/s', conditions: `ratio to raw ${(masked / raw).toFixed(2)}` },
    { name: 'mask + fingerprint + serialise', value: marked, unit: 'records/s', conditions: `ratio to raw ${(marked / raw).toFixed(2)}` },
  ];

  // Leak tracing: 20 recipients' copies of the same records; a leaker keeps a share of its rows,
  // drops two columns, alters 10% of the values.
  const recipients = Array.from({ length: 20 }, (_, i) => ({ recipient: `share-${i + 1}/dept-${i + 1}` }));
  const copies = new Map<string, Record<string, unknown>[]>();
  const copyOf = (recipient: string) => {
    let c = copies.get(recipient);
    if (c === undefined) {
      const fp = recordFingerprinter(rules, secret, recipient);
      c = data.map((r) => fp(mask(r)));
      copies.set(recipient, c);
    }
    return c;
  };
  for (const share of [0.01, 0.05, 0.1]) {
    let named = 0;
    let framed = 0;
    for (let t = 0; t < trials; t += 1) {
      const guilty = recipients[t % recipients.length]!.recipient;
      const scores = traceLeak(leakedExtract(copyOf(guilty), share, 1000 + t), rules, secret, recipients);
      if (scores[0]!.named && scores[0]!.recipient === guilty) named += 1;
      if (scores.some((s) => s.named && s.recipient !== guilty)) framed += 1;
    }
    figures.push({
      name: `leaker named, ${share * 100}% extract`,
      value: Math.round((named / trials) * 100),
      unit: '%',
      conditions: `${trials} leaks of ${records} records among 20 recipients, 2 columns dropped, 10% of values altered; innocent named in ${framed}`,
    });
  }
  return figures;
};
