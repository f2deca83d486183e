import { createHmac } from 'node:crypto';
import { assertNever, canonicalJson, inputInvalid } from '@govmesh/backbone';

/**
 * Masking by grade (SEC-01, SEC-16): what the exchange does to each data item's value before a
 * byte leaves the platform, for every delivery method.
 *
 * Rules, weakest to strongest:
 * - NONE: the value as it is;
 * - partial, for one kind of direct identifier (GB/T 37964-2019 去标识化): NAME keeps the first
 *   character (张**), ID_NUMBER keeps the six-digit region code and the last four characters,
 *   PHONE the first three and last four digits, ADDRESS_DISTRICT the address up to its county or
 *   district (…区/县/旗/市);
 * - HASH: a keyed pseudonym (HMAC-SHA-256 with a platform key, first 32 hex digits): equal values
 *   give equal pseudonyms, so a recipient can still join records, never recover the value;
 * - REDACT: null.
 *
 * Each grade has a floor that no rule of an item may go below: general data may go in clear,
 * important data at least partly masked, core data at least pseudonymised. An item without a rule
 * of its own gets its grade's default (GENERAL: NONE, IMPORTANT: HASH, CORE: REDACT), and a rule
 * weaker than its grade's floor is raised to the floor. An approval may lift masking for named
 * items (delivered in clear), on the provider's own authority and with a reason recorded in the
 * approval; nothing else weakens a rule.
 */
export const MASKING_RULES = ['NONE', 'NAME', 'ID_NUMBER', 'PHONE', 'ADDRESS_DISTRICT', 'HASH', 'REDACT'] as const;
export type MaskingRule = (typeof MASKING_RULES)[number];
export type Grade = 'CORE' | 'IMPORTANT' | 'GENERAL';

export interface MaskedItem {
  name: string;
  grade: Grade;
  /** The item's own rule, from its catalog entry; absent: its grade's default. */
  masking?: string;
}

const strength = (rule: MaskingRule): number => {
  switch (rule) {
    case 'NONE':
      return 0;
    case 'NAME':
    case 'ID_NUMBER':
    case 'PHONE':
    case 'ADDRESS_DISTRICT':
      return 1;
    case 'HASH':
      return 2;
    case 'REDACT':
      return 3;
    default:
      return assertNever(rule, 'masking rule');
  }
};

/** The weakest rule each grade allows. */
export const GRADE_FLOOR: Record<Grade, number> = { GENERAL: 0, IMPORTANT: 1, CORE: 2 };
/** The rule of an item that names none. */
export const GRADE_DEFAULT: Record<Grade, MaskingRule> = { GENERAL: 'NONE', IMPORTANT: 'HASH', CORE: 'REDACT' };

const isRule = (s: unknown): s is MaskingRule => typeof s === 'string' && (MASKING_RULES as readonly string[]).includes(s);

/** The rule applied to an item: its own (or its grade's default), never below its grade's floor, or NONE when lifted. */
export const effectiveRule = (item: MaskedItem, lifted: readonly string[]): MaskingRule => {
  if (lifted.includes(item.name)) return 'NONE';
  if (item.masking !== undefined && !isRule(item.masking)) {
    throw inputInvalid([{ field: `dataItems.${item.name}.masking`, description: `one of ${MASKING_RULES.join(', ')}` }], 'SEC-16');
  }
  const own = item.masking ?? GRADE_DEFAULT[item.grade];
  return strength(own) >= GRADE_FLOOR[item.grade] ? own : GRADE_DEFAULT[item.grade];
};

const STAR = '*';
const stars = (n: number) => STAR.repeat(Math.max(n, 0));
const chars = (s: string) => Array.from(s);

/** Partial rules apply to text only: any other value (a number, a list) is withheld, not guessed at. */
const partial = (value: unknown, mask: (s: string) => string): string | null => (typeof value === 'string' ? mask(value) : null);

const maskName = (s: string): string => {
  const c = chars(s.trim());
  // A one-character name would be the whole name: starred entirely.
  return c.length <= 1 ? stars(c.length) : c[0] + stars(c.length - 1);
};

const maskIdNumber = (s: string): string => {
  const c = chars(s.trim());
  // Too short to keep anything without revealing most of it.
  if (c.length < 12) return stars(c.length);
  return c.slice(0, 6).join('') + stars(c.length - 10) + c.slice(-4).join('');
};

const maskPhone = (s: string): string => {
  const digits = s.replace(/[\s-]/g, '');
  if (!/^\+?\d{7,15}$/.test(digits)) return stars(chars(s).length);
  return digits.slice(0, 3) + stars(digits.length - 7) + digits.slice(-4);
};

/** Up to the first county-level unit (区, 县, 旗) or, if none, the first city (市); the rest starred. */
const maskAddress = (s: string): string => {
  const c = chars(s.trim());
  const at = (marks: string[]) => c.findIndex((ch) => marks.includes(ch));
  const county = at(['区', '县', '旗']);
  const cut = county >= 0 ? county : at(['市']);
  if (cut < 0) return stars(Math.min(c.length, 8));
  return c.slice(0, cut + 1).join('') + STAR.repeat(3);
};

/** The keyed pseudonym of a value: its canonical JSON (equal values hash equal), HMAC-SHA-256, 32 hex digits. */
export const pseudonym = (value: unknown, key: Uint8Array): string => createHmac('sha256', key).update(canonicalJson(value)).digest('hex').slice(0, 32);

/** One value under one rule; null stays null (there is nothing to reveal). */
export const maskValue = (value: unknown, rule: MaskingRule, key: Uint8Array): unknown => {
  if (value === null || value === undefined) return null;
  switch (rule) {
    case 'NONE':
      return value;
    case 'NAME':
      return partial(value, maskName);
    case 'ID_NUMBER':
      return partial(value, maskIdNumber);
    case 'PHONE':
      return partial(value, maskPhone);
    case 'ADDRESS_DISTRICT':
      return partial(value, maskAddress);
    case 'HASH':
      return pseudonym(value, key);
    case 'REDACT':
      return null;
    default:
      return assertNever(rule, 'masking rule');
  }
};

/**
 * The masking of one delivery: only the given (approved) items, each masked by its effective rule
 * (decided once, not per record); every other field of a stored record is dropped.
 */
export const recordMasker = (items: readonly MaskedItem[], opts: { lifted: readonly string[]; key: Uint8Array }): ((record: Record<string, unknown>) => Record<string, unknown>) => {
  const rules = items.map((item) => [item.name, effectiveRule(item, opts.lifted)] as const);
  return (record) => {
    const out: Record<string, unknown> = {};
    for (const [name, rule] of rules) out[name] = Object.hasOwn(record, name) ? maskValue(record[name], rule, opts.key) : null;
    return out;
  };
};

/** One record as it may leave the platform (recordMasker for a single record). */
export const maskRecord = (record: Record<string, unknown>, items: readonly MaskedItem[], opts: { lifted: readonly string[]; key: Uint8Array }): Record<string, unknown> =>
  recordMasker(items, opts)(record);
