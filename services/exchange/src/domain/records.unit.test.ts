import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GovError } from '@govmesh/backbone';
import { entry } from './delivery-fixtures.ts';
import { checkRow, csvHeaderViolations, csvRow, fieldSpecs } from './records.ts';

const fields = fieldSpecs(entry().items);
const good = { citizen_id: '110101199003078515', name: '张三', birth_date: '1990-03-07', household_size: 3, income: 1234.5, disabled: false };
const fieldsOf = (r: ReturnType<typeof checkRow>) => ('violations' in r ? r.violations.map((v) => v.field) : []);

test('DLV-04: a record with every data item of its declared type is accepted, keyed by the named item', () => {
  const r = checkRow(good, fields, 'citizen_id', 'line[1]');
  assert.deepEqual(r, { row: { op: 'upsert', key: '110101199003078515', record: good } });
  assert.ok('row' in checkRow({ ...good, name: null, income: null }, fields, 'citizen_id', 'line[1]'), 'null: no value');
});

test('DLV-04: strict types, no coercion: the string 3 is not an integer, 1 is not a string, 1.5 is not an integer; each problem names the line and the field', () => {
  const r = checkRow({ ...good, household_size: '3', name: 1, birth_date: '1990-02-30', disabled: 'false', income: 'NaN' }, fields, 'citizen_id', 'line[7]');
  assert.deepEqual(fieldsOf(r).sort(), ['line[7].birth_date', 'line[7].disabled', 'line[7].household_size', 'line[7].income', 'line[7].name']);
  assert.deepEqual(fieldsOf(checkRow({ ...good, household_size: 1.5 }, fields, 'citizen_id', 'line[2]')), ['line[2].household_size']);
});

test('DLV-04: a missing data item and a field the entry does not declare are refused; the key is required', () => {
  const { name: _n, ...noName } = good;
  assert.deepEqual(fieldsOf(checkRow({ ...noName, nickname: 'x' }, fields, 'citizen_id', 'line[3]')).sort(), ['line[3].name', 'line[3].nickname']);
  assert.deepEqual(fieldsOf(checkRow({ ...good, citizen_id: null }, fields, 'citizen_id', 'line[4]')), ['line[4].citizen_id']);
  assert.deepEqual(fieldsOf(checkRow({ ...good, citizen_id: '  ' }, fields, 'citizen_id', 'line[4]')), ['line[4].citizen_id']);
  assert.deepEqual(fieldsOf(checkRow([good], fields, 'citizen_id', 'line[5]')), ['line[5]']);
});

test('DLV-04: size and text bounds: a value over its declared length, a NUL or a lone surrogate is refused, naming the field', () => {
  assert.deepEqual(fieldsOf(checkRow({ ...good, citizen_id: '1'.repeat(19) }, fields, 'citizen_id', 'line[1]')), ['line[1].citizen_id'], 'string(18)');
  assert.deepEqual(fieldsOf(checkRow({ ...good, name: 'x'.repeat(4097) }, fields, 'citizen_id', 'line[1]')), ['line[1].name']);
  assert.deepEqual(fieldsOf(checkRow({ ...good, name: 'a\u0000b' }, fields, 'citizen_id', 'line[1]')), ['line[1].name']);
  assert.deepEqual(fieldsOf(checkRow({ ...good, name: 'a\ud800' }, fields, 'citizen_id', 'line[1]')), ['line[1].name']);
});

test('DLV-04: a deletion names the record key only', () => {
  assert.deepEqual(checkRow({ _op: 'delete', citizen_id: '110101199003078515' }, fields, 'citizen_id', 'line[1]'), { row: { op: 'delete', key: '110101199003078515' } });
  assert.deepEqual(fieldsOf(checkRow({ _op: 'delete', citizen_id: '1', name: 'x' }, fields, 'citizen_id', 'line[1]')), ['line[1].name']);
  assert.deepEqual(fieldsOf(checkRow({ ...good, _op: 'replace' }, fields, 'citizen_id', 'line[1]')), ['line[1]._op']);
});

test('DLV-04: CSV cells spell their type exactly; an empty cell is null; the header names every item once', () => {
  const header = ['citizen_id', 'name', 'birth_date', 'household_size', 'income', 'disabled'];
  assert.deepEqual(csvHeaderViolations(header, fields), []);
  assert.deepEqual(csvHeaderViolations(['citizen_id', 'name', 'name', 'extra'], fields).map((v) => v.field).sort(), ['line[1].birth_date', 'line[1].disabled', 'line[1].extra', 'line[1].household_size', 'line[1].income', 'line[1].name']);
  assert.deepEqual(csvRow(header, ['110101199003078515', '张三', '1990-03-07', '3', '1234.50', 'false'], fields, 'line[2]'), { value: { ...good, income: 1234.5 } });
  assert.deepEqual(csvRow(header, ['1', '', '', '', '', ''], fields, 'line[2]'), { value: { citizen_id: '1', name: null, birth_date: null, household_size: null, income: null, disabled: null } });
  const bad = csvRow(header, ['1', 'x', '07/03/1990', '3.0', '1,234', 'yes'], fields, 'line[9]');
  assert.ok('violations' in bad);
  assert.deepEqual(bad.violations.map((v) => v.field).sort(), ['line[9].birth_date', 'line[9].disabled', 'line[9].household_size', 'line[9].income']);
});

test('DLV-04: an entry whose item type the exchange cannot check is named, not guessed at', () => {
  assert.throws(() => fieldSpecs([{ name: 'photo', type: 'blob', grade: 'GENERAL' }]), (err: unknown) => err instanceof GovError && err.violations[0]!.field === 'dataItems.photo.type');
});
