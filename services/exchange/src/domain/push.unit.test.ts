import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry } from '@govmesh/backbone';
import { deliveredCopy, type CopySpec } from './delivered-copy.ts';
import { SHARE, approvedShare, entry } from './delivery-fixtures.ts';
import { PUSH_HEADERS, confirmBatch, pushMessage, pushedId, type PushRow } from './push.ts';
import { fieldNames, pushRecordName, pushSchema } from './push-schema.ts';

const key = new TextEncoder().encode('platform masking key for tests, 32+ bytes');
const items = entry().items;
const spec = (names: string[], lifted: string[] = []): CopySpec => ({ items: names.map((n) => items.find((i) => i.name === n) ?? { name: n, grade: 'CORE' as const }), lifted, key });
const share = approvedShare({ shareMethod: 'BATCH' });
const fieldsOf = (names: string[], lifted: string[] = []) => (pushSchema(SHARE, spec(names, lifted), items).json['fields'] as { name: string; type: unknown }[]).map((f) => [f.name, f.type]);

test('DLV-02, SEC-16: a share\'s push schema has one field per approved item, typed as delivered: in clear by declared type, masked as text, withheld as null', () => {
  assert.deepEqual(fieldsOf(['citizen_id', 'name', 'birth_date', 'household_size', 'income', 'disabled']), [
    ['citizen_id', ['null', 'string']], // IMPORTANT: pseudonymised
    ['name', ['null', 'string']],
    ['birth_date', ['null', 'string']],
    ['household_size', ['null', 'long']],
    ['income', 'null'], // CORE: withheld
    ['disabled', ['null', 'string']], // IMPORTANT boolean: its pseudonym is text
  ]);
  assert.deepEqual(fieldsOf(['household_size', 'disabled'], ['disabled']), [['household_size', ['null', 'long']], ['disabled', ['null', 'boolean']]], 'an item whose masking an approval lifted keeps its type');
  assert.deepEqual(fieldsOf(['name', 'gone']), [['name', ['null', 'string']], ['gone', 'null']], 'an item the entry no longer defines is withheld');
});

test('DLV-02: Avro names: an item that is not one becomes item_<n> (its name kept in the field), unique; the record is named after its share', () => {
  assert.deepEqual(fieldNames(['name', '姓名', 'item_2', '2nd']), ['name', '_item_2', 'item_2', 'item_4']);
  assert.equal(pushRecordName('sr-0199a0c2-7d1e'), 'Share_sr_0199a0c2_7d1e');
  const s = pushSchema(SHARE, spec(['name']), items);
  assert.equal((s.json['fields'] as Record<string, unknown>[])[0]!['govmesh.item'], 'name');
  assert.match(s.entry.fingerprintHex, /^[0-9a-f]{16}$/);
  assert.notEqual(pushSchema('share-2', spec(['name']), items).entry.fingerprintHex, s.entry.fingerprintHex, 'one schema per share');
  assert.notEqual(pushSchema(SHARE, spec(['name', 'household_size']), items).entry.fingerprintHex, s.entry.fingerprintHex, 'and per projection');
});

const row = (seq: number, data: Record<string, unknown> | null, changedVersion = 1): PushRow => ({ seq: String(seq), key: '110101199003071234', data, changedVersion });
const person = { citizen_id: '110101199003071234', name: '张三', birth_date: '1990-03-07', household_size: 3, income: 1234.5, disabled: false };

const ctx = (names: string[]) => {
  const schema = pushSchema(SHARE, spec(names), items);
  const copy = deliveredCopy(spec(names), share);
  const keyCopy = names.includes('citizen_id') ? deliveredCopy(spec(['citizen_id']), share) : null;
  return { shareId: SHARE, keyItem: 'citizen_id', schema, copy, keyCopy };
};
const reader = (c: ReturnType<typeof ctx>) => {
  const reg = new SchemaRegistry();
  reg.add(c.schema.json, 1);
  return reg;
};

test('DLV-02, SEC-16: a pushed record is the one delivered copy, single-object encoded with the share\'s schema, decodable by the served schema alone; its headers name share, version, masked key, operation and seq', () => {
  const c = ctx(['citizen_id', 'name', 'income']);
  const m = pushMessage(row(42, person, 3), c)!;
  assert.deepEqual([...m.value.subarray(0, 2)], [0xc3, 0x01]);
  assert.equal(m.value.subarray(2, 10).toString('hex'), c.schema.entry.fingerprintHex);
  const decoded = { ...reader(c).decode(m.value).value };
  assert.deepEqual(decoded, c.copy(person), 'exactly the delivered copy');
  assert.deepEqual(Object.keys(decoded), ['citizen_id', 'name', 'income'], 'only the approved items');
  assert.match(String(decoded['citizen_id']), /^[0-9a-fA-F]{32}$/);
  assert.equal(decoded['income'], null);
  assert.equal(m.key, SHARE, 'one partition per share');
  assert.deepEqual(m.headers, {
    [PUSH_HEADERS.shareId]: SHARE,
    [PUSH_HEADERS.datasetVersion]: '3',
    [PUSH_HEADERS.op]: 'upsert',
    [PUSH_HEADERS.seq]: '42',
    [PUSH_HEADERS.recordKey]: decoded['citizen_id'],
  });
  assert.ok(!m.value.includes(Buffer.from('110101199003071234')), 'no identity number in clear, anywhere');
});

test('DLV-02: a deletion is the schema\'s record with only the masked key; without an approved key it cannot name its record and is not sent', () => {
  const c = ctx(['citizen_id', 'name']);
  const m = pushMessage(row(7, null, 2), c)!;
  assert.equal(m.headers[PUSH_HEADERS.op], 'delete');
  const decoded = { ...reader(c).decode(m.value).value };
  assert.deepEqual(decoded, { citizen_id: m.headers[PUSH_HEADERS.recordKey], name: null });
  assert.equal(decoded['citizen_id'], pushMessage(row(8, person), c)!.headers[PUSH_HEADERS.recordKey], 'the same masked key as its upserts');
  assert.equal(pushMessage(row(7, null, 2), ctx(['name'])), null);
  assert.equal(pushMessage(row(9, person), ctx(['name']))!.headers[PUSH_HEADERS.recordKey], undefined, 'no key header when the key is not approved');
});

test('DLV-02: a value the schema cannot hold is refused (named), never sent half-right', () => {
  const c = ctx(['household_size']);
  assert.throws(() => pushMessage(row(1, { ...person, household_size: 'three' }), c), (err: Error & { code?: string }) => err.code === 'GOV_ERR_INPUT_INVALID' && /household_size/.test(err.message));
});

test('DLV-02: exactly once after a stop between the send and the checkpoint: all found moves the checkpoint to the batch end, none leaves it, a prefix moves it to just before the first missing', () => {
  const sent = [11n, 12n, 15n, 16n];
  const all = new Set(['11', '12', '15', '16']);
  assert.deepEqual(confirmBatch(20n, sent, all), { pushedThrough: 20n, arrived: 4, outOfOrder: [] }, 'rows after the last record sent (deletions not named) are done too');
  assert.deepEqual(confirmBatch(20n, sent, new Set()), { pushedThrough: 10n, arrived: 0, outOfOrder: [] });
  assert.deepEqual(confirmBatch(20n, sent, new Set(['11', '12'])), { pushedThrough: 14n, arrived: 2, outOfOrder: [] });
  assert.deepEqual(confirmBatch(20n, sent, new Set(['11', '15'])), { pushedThrough: 11n, arrived: 1, outOfOrder: [15n] }, 'out of order: reported');
  assert.deepEqual(confirmBatch(20n, sent, new Set(['99', '3'])).pushedThrough, 10n, "other shares' records do not count");
});

test("DLV-02: the tail read counts only the share's own records, by seq", () => {
  const id = pushedId(SHARE);
  assert.equal(id({ [PUSH_HEADERS.shareId]: SHARE, [PUSH_HEADERS.seq]: '12' }), '12');
  assert.equal(id({ [PUSH_HEADERS.shareId]: 'share-2', [PUSH_HEADERS.seq]: '12' }), undefined);
  assert.equal(id({ ce_id: 'x' }), undefined);
});
