import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Department } from '@govmesh/backbone';
import { disputeAuthority } from './dispute-authority.ts';

const dept = (id: string, level: Department['level'], regionCode: string, competent = false): Department =>
  ({ id, name: id, platform: 'national', level, regionCode, roles: competent ? ['competent'] : ['provider', 'requester'] });

// A national platform's directory with provincial, city and county levels (GB/T 2260 region codes).
const nationalBureau = dept('dept-data-bureau', 'national', '100000', true);
const hebeiBureau = dept('hebei-data-bureau', 'provincial', '130000', true);
const shijiazhuangBureau = dept('sjz-data-bureau', 'city', '130100', true);
const shanxiBureau = dept('shanxi-data-bureau', 'provincial', '140000', true);
const ministryA = dept('dept-public-security', 'ministry', '100000');
const ministryB = dept('dept-civil-affairs', 'ministry', '100000');
const hebeiCivil = dept('hebei-civil-affairs', 'provincial', '130000');
const hebeiHealth = dept('hebei-health', 'provincial', '130000');
const sjzPolice = dept('sjz-police', 'city', '130100');
const sjzTax = dept('sjz-tax', 'city', '130100');
const tangshanPolice = dept('tangshan-police', 'city', '130200');
const shanxiCivil = dept('shanxi-civil-affairs', 'provincial', '140000');
const directory = [nationalBureau, hebeiBureau, shijiazhuangBureau, shanxiBureau, ministryA, ministryB, hebeiCivil, hebeiHealth, sjzPolice, sjzTax, tangshanPolice, shanxiCivil];

test('DSP-01: same level and region: the competent authority of that level and region coordinates', () => {
  assert.deepEqual(disputeAuthority(ministryA, ministryB, directory), { crossLevel: false, authority: 'dept-data-bureau' });
  assert.deepEqual(disputeAuthority(hebeiCivil, hebeiHealth, directory), { crossLevel: false, authority: 'hebei-data-bureau' });
  assert.deepEqual(disputeAuthority(sjzPolice, sjzTax, directory), { crossLevel: false, authority: 'sjz-data-bureau' });
});

test('DSP-01: cross-level or cross-region: the nearest common superior authority, never the platform bureau by default', () => {
  // Provincial and city departments of one province: the provincial authority.
  assert.deepEqual(disputeAuthority(hebeiCivil, sjzPolice, directory), { crossLevel: true, authority: 'hebei-data-bureau' });
  // Two cities of one province: the provincial authority, not either city's.
  assert.deepEqual(disputeAuthority(sjzPolice, tangshanPolice, directory), { crossLevel: true, authority: 'hebei-data-bureau' });
  // Two provinces, or a ministry and a province: the national authority.
  assert.deepEqual(disputeAuthority(hebeiCivil, shanxiCivil, directory), { crossLevel: true, authority: 'dept-data-bureau' });
  assert.deepEqual(disputeAuthority(ministryA, sjzPolice, directory), { crossLevel: true, authority: 'dept-data-bureau' });
});

test('DSP-01: with no such authority in the directory (or an unknown party) nobody is named', () => {
  const withoutTangshanSuperior = directory.filter((d) => d !== hebeiBureau && d !== nationalBureau);
  assert.deepEqual(disputeAuthority(sjzPolice, tangshanPolice, withoutTangshanSuperior), { crossLevel: true, authority: null });
  // Same level: a superior authority does not stand in for a missing same-level one.
  assert.deepEqual(disputeAuthority(sjzPolice, sjzTax, directory.filter((d) => d !== shijiazhuangBureau)), { crossLevel: false, authority: null });
  assert.deepEqual(disputeAuthority(undefined, sjzTax, directory), { crossLevel: true, authority: null });
});
