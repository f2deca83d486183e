import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GovError } from '@govmesh/backbone';
import { GRADE_DEFAULT, MASKING_RULES, effectiveRule, maskRecord, maskValue, pseudonym, recordMasker, type Grade, type MaskingRule } from './masking.ts';

const key = new TextEncoder().encode('platform masking key for tests, 32+ bytes');
const otherKey = new TextEncoder().encode('another platform key, also 32+ bytes long');

test('SEC-16: NAME keeps the first character only', () => {
  assert.equal(maskValue('张三丰', 'NAME', key), '张**');
  assert.equal(maskValue('李四', 'NAME', key), '李*');
  assert.equal(maskValue('王', 'NAME', key), '*', 'a one-character name is starred whole');
  assert.equal(maskValue('𠀋𠀌𠀍', 'NAME', key), '𠀋**', 'characters outside the BMP count as one');
});

test('SEC-16: ID_NUMBER keeps the region code and the last four characters, hiding the birth date', () => {
  assert.equal(maskValue('110101199003071234', 'ID_NUMBER', key), '110101********1234');
  assert.equal(maskValue('11010119900307123X', 'ID_NUMBER', key), '110101********123X');
  assert.equal(maskValue('12345', 'ID_NUMBER', key), '*****', 'too short to keep anything');
});

test('SEC-16: PHONE keeps the first three and the last four digits', () => {
  assert.equal(maskValue('13812345678', 'PHONE', key), '138****5678');
  assert.equal(maskValue('138-1234-5678', 'PHONE', key), '138****5678');
  assert.equal(maskValue('call me', 'PHONE', key), '*******', 'not a phone number: starred whole');
});

test('SEC-16: ADDRESS_DISTRICT keeps the address up to its county or district', () => {
  assert.equal(maskValue('北京市东城区东华门街道正义路2号', 'ADDRESS_DISTRICT', key), '北京市东城区***');
  assert.equal(maskValue('河北省正定县常山西路1号', 'ADDRESS_DISTRICT', key), '河北省正定县***');
  assert.equal(maskValue('河北省石家庄市长安路', 'ADDRESS_DISTRICT', key), '河北省石家庄市***', 'no district: up to the city');
  assert.equal(maskValue('somewhere far away', 'ADDRESS_DISTRICT', key), '********');
});

test('SEC-16: HASH is a keyed pseudonym: equal values agree, keys differ, the value is not in it', () => {
  const a = maskValue('110101199003071234', 'HASH', key);
  assert.match(String(a), /^[0-9a-f]{32}$/);
  assert.equal(maskValue('110101199003071234', 'HASH', key), a);
  assert.notEqual(maskValue('110101199003071235', 'HASH', key), a);
  assert.notEqual(maskValue('110101199003071234', 'HASH', otherKey), a, 'another platform key gives another pseudonym');
  assert.equal(pseudonym({ b: 1, a: 2 }, key), pseudonym({ a: 2, b: 1 }, key), 'objects are canonical');
  assert.notEqual(pseudonym(1, key), pseudonym('1', key), 'no type coercion: 1 and "1" differ');
});

test('SEC-16: REDACT withholds the value; null stays null under every rule; partial rules withhold non-text', () => {
  assert.equal(maskValue('anything', 'REDACT', key), null);
  for (const rule of MASKING_RULES) assert.equal(maskValue(null, rule, key), null, rule);
  for (const rule of ['NAME', 'ID_NUMBER', 'PHONE', 'ADDRESS_DISTRICT'] as MaskingRule[]) assert.equal(maskValue(110101199003071234, rule, key), null, rule);
  assert.equal(maskValue(42, 'NONE', key), 42);
});

test('SEC-01, SEC-16: each grade has a default, and no rule goes below its grade floor', () => {
  const item = (grade: Grade, masking?: string) => ({ name: 'x', grade, ...(masking === undefined ? {} : { masking }) });
  assert.deepEqual(GRADE_DEFAULT, { GENERAL: 'NONE', IMPORTANT: 'HASH', CORE: 'REDACT' });
  for (const grade of ['GENERAL', 'IMPORTANT', 'CORE'] as Grade[]) assert.equal(effectiveRule(item(grade), []), GRADE_DEFAULT[grade]);
  // General data may go in clear or under any rule.
  for (const rule of MASKING_RULES) assert.equal(effectiveRule(item('GENERAL', rule), []), rule);
  // Important data: at least partly masked.
  assert.equal(effectiveRule(item('IMPORTANT', 'NONE'), []), 'HASH', 'NONE is below the floor: raised to the default');
  assert.equal(effectiveRule(item('IMPORTANT', 'ID_NUMBER'), []), 'ID_NUMBER');
  // Core data: at least pseudonymised.
  assert.equal(effectiveRule(item('CORE', 'NONE'), []), 'REDACT');
  assert.equal(effectiveRule(item('CORE', 'PHONE'), []), 'REDACT', 'a partial rule is below the core floor');
  assert.equal(effectiveRule(item('CORE', 'HASH'), []), 'HASH');
  assert.throws(() => effectiveRule(item('GENERAL', 'BLUR'), []), (e: unknown) => e instanceof GovError && e.code === 'GOV_ERR_INPUT_INVALID' && e.rule === 'SEC-16');
});

test('SEC-16: an approval lifts masking for the items it names only', () => {
  const items = [
    { name: 'citizen_id', grade: 'IMPORTANT' as const, masking: 'ID_NUMBER' },
    { name: 'phone', grade: 'IMPORTANT' as const, masking: 'PHONE' },
  ];
  const out = maskRecord({ citizen_id: '110101199003071234', phone: '13812345678' }, items, { lifted: ['phone'], key });
  assert.deepEqual(out, { citizen_id: '110101********1234', phone: '13812345678' });
});

test('SEC-01, USE-01: a record leaves with the approved items only, each masked; a missing item is null', () => {
  const items = [
    { name: 'name', grade: 'GENERAL' as const },
    { name: 'citizen_id', grade: 'IMPORTANT' as const, masking: 'ID_NUMBER' },
    { name: 'medical_history', grade: 'CORE' as const },
    { name: 'address', grade: 'IMPORTANT' as const, masking: 'ADDRESS_DISTRICT' },
  ];
  const mask = recordMasker(items, { lifted: [], key });
  const stored = { name: '张三', citizen_id: '110101199003071234', medical_history: 'diabetes', income: 12000, secret_note: 'not approved' };
  assert.deepEqual(mask(stored), { name: '张三', citizen_id: '110101********1234', medical_history: null, address: null });
  assert.deepEqual(Object.keys(mask(stored)), ['name', 'citizen_id', 'medical_history', 'address']);
});
