import type { ShareAttribute, ShareMethod, ShareRequestContent } from '@govmesh/contracts/avro';
import { chinaDate, inputInvalid, type FieldViolation } from '@govmesh/backbone';

/**
 * The legal fields of a share request (docs/requirements.md#share-request) and the rules that tie
 * a request to the published catalog. The catalog facts come from the request service's own view
 * of the catalog topic (projections/catalog-view.ts), handed in as a snapshot so the rules stay
 * pure.
 */
export interface PublishedVersion {
  version: number;
  shareAttribute: ShareAttribute;
  shareMethods: ShareMethod[];
  dataItems: string[];
}

export interface CatalogSnapshot {
  entryId: string;
  /** PUBLISHED once any version was published; UNPUBLISHED while only drafted. */
  status: 'PUBLISHED' | 'UNPUBLISHED';
  provider: string;
  name: string;
  latestVersion: number;
  /** The version asked for (0 = the latest); null when that version was never published. */
  version: PublishedVersion | null;
  /**
   * The entry's current published version (latestVersion): the one every request is judged against
   * (CAT-04, CAT-05), whatever version it names; null while none was published.
   */
  current: PublishedVersion | null;
}

const blank = (s: string | null | undefined): boolean => s === null || s === undefined || s.trim() === '';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export const isDate = (s: string): boolean => DATE_RE.test(s) && new Date(`${s}T00:00:00.000Z`).toISOString().slice(0, 10) === s;

/** The end (23:59:59.999 China Standard Time) of a YYYY-MM-DD day: when a period of use lapses. */
export const endOfDay = (date: string): Date => new Date(`${date}T23:59:59.999+08:00`);

type Found = { rule: string; violation: FieldViolation };

const periodViolations = (from: string | null, until: string, at: Date, prefix: string): Found[] => {
  const out: Found[] = [];
  if (from !== null && !isDate(from)) out.push({ rule: 'REQ-03', violation: { field: `${prefix}periodFrom`, description: 'period of use (使用时限): a YYYY-MM-DD date is required' } });
  if (!isDate(until)) out.push({ rule: 'REQ-03', violation: { field: `${prefix}periodUntil`, description: 'period of use (使用时限): a YYYY-MM-DD date is required' } });
  else if (from !== null && isDate(from) && until < from) out.push({ rule: 'REQ-03', violation: { field: `${prefix}periodUntil`, description: 'the period of use ends before it starts' } });
  else if (until < chinaDate(at)) out.push({ rule: 'REQ-03', violation: { field: `${prefix}periodUntil`, description: 'the period of use has already ended' } });
  return out;
};

/** Data items asked for must exist in the published version, once each. */
export const itemViolations = (items: readonly string[], version: PublishedVersion, entryId: string, field: string): Found[] => {
  const out: Found[] = [];
  if (items.length === 0) out.push({ rule: 'REQ-02', violation: { field, description: 'at least one data item of the entry is required' } });
  items.forEach((item, i) => {
    if (!version.dataItems.includes(item)) out.push({ rule: 'REQ-02', violation: { field: `${field}[${i}]`, description: `entry ${entryId} (version ${version.version}) has no data item '${item}'` } });
    else if (items.indexOf(item) !== i) out.push({ rule: 'REQ-02', violation: { field: `${field}[${i}]`, description: `data item '${item}' appears twice` } });
  });
  return out;
};

/**
 * Checks a request against the law and the catalog and fills what the catalog decides (the
 * provider, and the version: the current one, CAT-04/CAT-05). Throws one GOV_ERR_INPUT_INVALID that names every bad field.
 */
export const resolveRequest = (c: ShareRequestContent, entry: CatalogSnapshot | null, requester: string, at: Date): { content: ShareRequestContent; entry: CatalogSnapshot; version: PublishedVersion } => {
  const out: Found[] = [];
  const need = (field: string, ok: boolean, description: string, rule: string) => {
    if (!ok) out.push({ rule, violation: { field, description } });
  };
  // REQ-03: basis, scenario, scope, method and period of use; the requester's guarantee.
  need('content.legalBasis', !blank(c.legalBasis), 'legal basis for use (使用依据) is required', 'REQ-03');
  need('content.useScenario', !blank(c.useScenario), 'use scenario (使用场景) is required', 'REQ-03');
  need('content.useScope', !blank(c.useScope), 'scope of use (使用范围) is required', 'REQ-03');
  out.push(...periodViolations(c.periodFrom, c.periodUntil, at, 'content.'));
  need('content.commitment.genuine', c.commitment.genuine, 'the requester guarantees the request is genuine (真实性)', 'REQ-03');
  need('content.commitment.lawful', c.commitment.lawful, 'the requester guarantees the request is lawful (合法性)', 'REQ-03');
  need('content.commitment.necessary', c.commitment.necessary, 'the requester guarantees the request is necessary (必要性)', 'REQ-03');
  // REQ-07: the commitment also covers the security of the data.
  need('content.commitment.secure', c.commitment.secure, 'the requester commits to keeping the data secure (安全性)', 'REQ-07');

  // REQ-02: the request names a published entry, and only what that entry offers.
  let version: PublishedVersion | null = null;
  if (blank(c.entryId)) need('content.entryId', false, 'the catalog entry asked for is required', 'REQ-02');
  else if (entry === null) need('content.entryId', false, `entry ${c.entryId} is not in the platform catalog`, 'REQ-02');
  else if (entry.status !== 'PUBLISHED') need('content.entryId', false, `entry ${c.entryId} is not published: requests name published catalog entries only`, 'REQ-02');
  else if (entry.version === null) need('content.entryVersion', false, `version ${c.entryVersion} of entry ${c.entryId} was never published (latest: ${entry.latestVersion})`, 'REQ-02');
  else if (entry.current === null) need('content.entryId', false, `entry ${c.entryId} has no published version in the catalog view`, 'REQ-02');
  // CAT-04, CAT-05: a request is judged against the entry's current published version, whatever
  // version it names: an older version neither revives data that is no longer shared nor brings
  // back its share attribute (and with it the 1- or 10-day reply clock and the auto-grant).
  // CAT-04: not-shared data cannot be requested.
  else if (entry.current.shareAttribute === 'NOT_SHARED') need('content.entryId', false, `entry ${c.entryId} is not shared (不予共享) since version ${entry.current.version}: it cannot be requested`, 'CAT-04');
  else version = entry.current;

  if (entry !== null && !blank(c.provider) && c.provider !== entry.provider) need('content.provider', false, `the provider of entry ${c.entryId} is ${entry.provider}`, 'REQ-02');
  if (entry !== null && entry.provider === requester) need('content.provider', false, 'a department does not request its own data', 'REQ-02');
  if (version !== null) {
    out.push(...itemViolations(c.dataItems, version, c.entryId, 'content.dataItems'));
    need('content.shareMethod', version.shareMethods.includes(c.shareMethod), `entry ${c.entryId} is shared by ${version.shareMethods.join(', ')} only`, 'DLV-02');
  }
  if (out.length > 0 || entry === null || version === null) {
    throw inputInvalid(out.map((x) => x.violation), [...new Set(out.map((x) => x.rule))].join(','));
  }
  return { content: { ...c, provider: entry.provider, entryVersion: version.version, dataItems: [...c.dataItems] }, entry, version };
};

/** The period of use must still be running: at submission (REQ-03) and in a scope change (USE-01). */
export const assertPeriodUntil = (until: string, at: Date, field: string, rule: string): void => {
  const v = periodViolations(null, until, at, '').map((x) => ({ ...x.violation, field }));
  if (v.length > 0) throw inputInvalid(v, rule);
};
