import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogEntryContent } from '@govmesh/contracts/avro';
import { GovError } from '@govmesh/backbone';
import { conditionalContent } from '../domain/fixtures.ts';
import { normalizeContent } from './content-mapping.ts';

const without = (...fields: (keyof CatalogEntryContent)[]): Partial<CatalogEntryContent> => {
  const c: Partial<CatalogEntryContent> = { ...conditionalContent() };
  for (const f of fields) delete c[f];
  return c;
};

const violations = (fn: () => unknown): { field: string }[] => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GovError);
    assert.equal(err.code, 'GOV_ERR_INPUT_INVALID');
    assert.equal(err.rule, 'CAT-03');
    return [...err.violations];
  }
  assert.fail('expected GOV_ERR_INPUT_INVALID');
};

test('CAT-03: the update frequency (Art. 13) is mandatory over REST: missing, it is named, not defaulted to IRREGULAR', () => {
  assert.deepEqual(violations(() => normalizeContent(without('updateFrequency'))).map((v) => v.field), ['content.updateFrequency']);
  assert.deepEqual(violations(() => normalizeContent({ ...conditionalContent(), updateFrequency: null as unknown as CatalogEntryContent['updateFrequency'] })).map((v) => v.field), ['content.updateFrequency']);
  assert.equal(normalizeContent(conditionalContent({ updateFrequency: 'MONTHLY' })).updateFrequency, 'MONTHLY');
});

test('CAT-03, SEC-10: the share attribute and the grade are not defaulted either (a default grade would be the lowest, against grading up when in doubt)', () => {
  assert.deepEqual(violations(() => normalizeContent(without('shareAttribute', 'grade', 'updateFrequency'))).map((v) => v.field), ['content.updateFrequency', 'content.shareAttribute', 'content.grade']);
  // The optional fields are still filled.
  const c = normalizeContent(without('abstract', 'conditions', 'personalInformation'));
  assert.deepEqual([c.abstract, c.conditions, c.personalInformation], ['', null, false]);
});
