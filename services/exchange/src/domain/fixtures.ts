import type { MaskedItem } from './masking.ts';

/**
 * Test and bench data of the exchange's pure domain: a deterministic person dataset with the kinds
 * of values government data sharing moves (names, identity numbers, phones, addresses, keys,
 * amounts), and a leaker's extract of a delivered copy.
 */

/** A small deterministic PRNG (mulberry32), so that every run uses the same data. */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** The items of a person dataset, one per masking carrier kind, plus an amount in clear. */
export const personItems: MaskedItem[] = [
  { name: 'name', grade: 'IMPORTANT', masking: 'NAME' },
  { name: 'citizen_id', grade: 'IMPORTANT', masking: 'ID_NUMBER' },
  { name: 'phone', grade: 'IMPORTANT', masking: 'PHONE' },
  { name: 'address', grade: 'IMPORTANT', masking: 'ADDRESS_DISTRICT' },
  { name: 'person_key', grade: 'CORE', masking: 'HASH' },
  { name: 'benefit', grade: 'GENERAL' },
];

const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华'];
const DISTRICTS = ['北京市东城区', '北京市海淀区', '河北省石家庄市长安区', '河北省正定县', '上海市浦东新区', '广东省广州市天河区'];

export const personDataset = (n: number, seed = 20261202): Record<string, unknown>[] => {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const digits = (k: number) => Array.from({ length: k }, () => Math.floor(r() * 10)).join('');
  return Array.from({ length: n }, (_, i) => ({
    name: pick(SURNAMES) + pick(GIVEN) + (r() < 0.5 ? pick(GIVEN) : ''),
    citizen_id: `1${digits(5)}19${digits(2)}0${1 + Math.floor(r() * 9)}1${Math.floor(r() * 9)}${digits(3)}${r() < 0.1 ? 'X' : digits(1)}`,
    phone: `13${digits(9)}`,
    address: `${pick(DISTRICTS)}${digits(3)}号`,
    person_key: `p-${i}`,
    benefit: Math.floor(r() * 3000),
  }));
};

/** A leaker's extract: a random share of the rows, two columns dropped, 10% of the values altered, rows shuffled. */
export const leakedExtract = (copy: readonly Record<string, unknown>[], share: number, seed: number): Record<string, unknown>[] => {
  const r = prng(seed);
  const rows = copy.filter(() => r() < share).map((row) => {
    const { phone: _p, address: _a, ...kept } = row;
    for (const k of Object.keys(kept)) {
      if (r() < 0.1) kept[k] = typeof kept[k] === 'string' ? `${String(kept[k]).slice(0, -1)}${Math.floor(r() * 10)}` : Number(kept[k]) + 1;
    }
    return kept;
  });
  return rows.sort(() => r() - 0.5);
};
