import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deciderSpec } from '@govmesh/backbone/testing';
import { GradeValues, type CatalogEntryContent, type CatalogEvent, type Grade } from '@govmesh/contracts/avro';
import { catalogEntryDecider } from './catalog-entry.ts';
import { contentViolations, withDefaults } from './content.ts';
import { ENTRY, T0, conditionalContent, otherProvider, provider, publishedHistory } from './fixtures.ts';

const spec = deciderSpec(catalogEntryDecider);
const at = T0;
const drafted: CatalogEvent[] = publishedHistory().slice(0, 1);
const fields = (c: CatalogEntryContent) => contentViolations(c).map((x) => `${x.rule} ${x.violation.field}`);

// ---- CAT-01: one unified catalog, every department's entries compiled to the one standard -------

test("CAT-01: one unified catalog: an entry id names one entry of the platform's catalog, and no other department drafts over it", () => {
  const [ev] = spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent() }, { at }).thenEvents();
  assert.equal(ev?.type === 'CatalogEntryDrafted' && ev.data.platform, 'national', 'the entry belongs to the platform catalog');
  // Another department with its own, valid, content under the same id: refused, the entry stays the provider's.
  const theirs = conditionalContent({ provider: otherProvider.departmentId, sourceDepartment: otherProvider.departmentId });
  spec.given(drafted).when({ kind: 'DraftEntry', by: otherProvider, entryId: ENTRY, content: theirs }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-01', /already exists/);
  spec.given(publishedHistory()).when({ kind: 'DraftEntry', by: otherProvider, entryId: ENTRY, content: theirs }, { at }).thenThrows('GOV_ERR_RULE_VIOLATED', 'CAT-01');
  // Under its own id it is an entry of the same catalog.
  assert.equal(spec.given([]).when({ kind: 'DraftEntry', by: otherProvider, entryId: 'entry-2', content: theirs }, { at }).thenEvents()[0]?.type, 'CatalogEntryDrafted');
});

test('CAT-01: every department compiles to the same standard: an off-standard draft or revision is refused, naming every field', () => {
  const off = conditionalContent({
    code: ' ',
    classification: '',
    dataItems: [
      { name: 'citizen_id', type: '', description: '', grade: 'IMPORTANT' },
      { name: 'citizen_id', type: 'string', description: '', grade: 'GENERAL' },
    ],
  });
  const expected = ['CAT-03 content.code', 'CAT-03 content.classification', 'CAT-03 content.dataItems[0].type', 'CAT-03 content.dataItems'];
  assert.deepEqual(fields(off), expected);
  assert.deepEqual(fields({ ...off, provider: otherProvider.departmentId, sourceDepartment: otherProvider.departmentId }), expected, 'the same standard for every department');
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: off }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-03', /content\.code.*content\.classification.*content\.dataItems\[0\]\.type.*citizen_id appears twice/);
  spec.given(drafted).when({ kind: 'ReviseEntry', by: provider, content: off }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-03');
  assert.deepEqual(fields(conditionalContent()), []);
});

// ---- CAT-09: the source department ---------------------------------------------------------------

test('CAT-09: every entry names its source department (数源部门): the provider unless another is named, and every published version carries it', () => {
  assert.equal(withDefaults(conditionalContent({ sourceDepartment: '' }), provider.departmentId).sourceDepartment, provider.departmentId);
  assert.equal(withDefaults(conditionalContent({ provider: '', sourceDepartment: ' ' }), provider.departmentId).sourceDepartment, provider.departmentId);
  // Several departments collect the data; the competent authority named another one as the source.
  const named = conditionalContent({ sourceDepartment: 'dept-human-resources' });
  assert.equal(withDefaults(named, provider.departmentId).sourceDepartment, 'dept-human-resources');
  const published = publishedHistory(named).at(-1)!;
  assert.equal(published.type === 'CatalogEntryPublished' && published.data.content.sourceDepartment, 'dept-human-resources');
  // The domain refuses an entry without one, whatever edge it came through.
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: conditionalContent({ sourceDepartment: '' }) }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'CAT-09', /content\.sourceDepartment/);
});

// ---- SEC-10: three grades, per entry and per data item -------------------------------------------

test('SEC-10: three grades, highest first (core, important, general); the entry and every data item carry one', () => {
  assert.deepEqual([...GradeValues], ['CORE', 'IMPORTANT', 'GENERAL']);
  for (const grade of GradeValues) {
    const c = conditionalContent({ grade, dataItems: [{ name: 'citizen_id', type: 'string', description: '', grade }, { name: 'name', type: 'string', description: '', grade: 'GENERAL' }] });
    assert.deepEqual(fields(c), [], grade);
  }
  // A data item without a grade, or with one outside the three, is named.
  const ungraded = conditionalContent({ dataItems: [{ name: 'citizen_id', type: 'string', description: '', grade: 'IMPORTANT' }, { name: 'name', type: 'string', description: '', grade: undefined as unknown as Grade }] });
  spec.given([]).when({ kind: 'DraftEntry', by: provider, entryId: ENTRY, content: ungraded }, { at }).thenThrows('GOV_ERR_INPUT_INVALID', 'SEC-10', /content\.dataItems\[1\]\.grade/);
  assert.deepEqual(fields(conditionalContent({ grade: 'SECRET' as Grade })), ['SEC-10 content.grade']);
  assert.deepEqual(fields(conditionalContent({ dataItems: [{ name: 'x', type: 'string', description: '', grade: 'TOP' as Grade }] })), ['SEC-10 content.dataItems[0].grade']);
  // Graded per item: the published version keeps each item's grade.
  const published = publishedHistory().at(-1)!;
  assert.deepEqual(published.type === 'CatalogEntryPublished' && published.data.content.dataItems.map((i) => [i.name, i.grade]), [['citizen_id', 'IMPORTANT'], ['name', 'GENERAL']]);
});
