import { GradeValues, type CatalogEntryContent, type Grade } from '@govmesh/contracts/avro';
import { inputInvalid, type FieldViolation } from '@govmesh/backbone';

/**
 * The legal fields of a catalog entry and the rules on them (docs/requirements.md#catalog and
 * #security). Each violation names the field, so the API can say exactly what to fix.
 */
const GRADE_RANK: Record<Grade, number> = { GENERAL: 0, IMPORTANT: 1, CORE: 2 };

const blank = (s: string | null | undefined): boolean => s === null || s === undefined || s.trim() === '';

export const contentViolations = (c: CatalogEntryContent): { rule: string; violation: FieldViolation }[] => {
  const out: { rule: string; violation: FieldViolation }[] = [];
  const need = (field: string, ok: boolean, description: string, rule = 'CAT-03') => {
    if (!ok) out.push({ rule, violation: { field, description } });
  };
  // CAT-03: the mandatory content of Art. 13.
  need('content.name', !blank(c.name), 'catalog name is required');
  need('content.code', !blank(c.code), 'resource code is required');
  need('content.provider', !blank(c.provider), 'providing department is required');
  // CAT-09: the source department (数源部门) that provides the single sharing service for the data.
  need('content.sourceDepartment', !blank(c.sourceDepartment), 'the source department (数源部门) is required: the provider, unless the competent authority named another', 'CAT-09');
  need('content.format', !blank(c.format), 'data format is required');
  need('content.classification', !blank(c.classification), 'classification is required');
  need('content.dataItems', c.dataItems.length > 0, 'at least one data item is required');
  c.dataItems.forEach((item, i) => {
    need(`content.dataItems[${i}].name`, !blank(item.name), 'data item name is required');
    need(`content.dataItems[${i}].type`, !blank(item.type), 'data item type is required');
  });
  const names = c.dataItems.map((i) => i.name.trim());
  const dup = names.find((n, i) => n !== '' && names.indexOf(n) !== i);
  need('content.dataItems', dup === undefined, `data item ${dup} appears twice`);
  // SEC-10: the entry and each of its data items carry one of the three grades of GB/T 43697-2024.
  const graded = (g: unknown): g is Grade => typeof g === 'string' && Object.hasOwn(GRADE_RANK, g);
  const grades = `one of ${GradeValues.join(', ')} (核心数据 / 重要数据 / 一般数据)`;
  need('content.grade', graded(c.grade), `the entry's grade is required: ${grades}`, 'SEC-10');
  c.dataItems.forEach((item, i) => need(`content.dataItems[${i}].grade`, graded(item.grade), `each data item is graded: ${grades}`, 'SEC-10'));
  // SEC-11: grade "when in doubt, higher": the entry is graded at least as high as its most sensitive item.
  const worst = c.dataItems.reduce((m, i) => Math.max(m, graded(i.grade) ? GRADE_RANK[i.grade] : 0), 0);
  if (graded(c.grade)) need('content.grade', GRADE_RANK[c.grade] >= worst, 'the entry grade must be at least the highest data item grade', 'SEC-11');

  switch (c.shareAttribute) {
    case 'UNCONDITIONAL':
      need('content.shareMethods', c.shareMethods.length > 0, 'at least one share method (API, BATCH, FILE) is required');
      // CAT-05: no conditions added on the provider's own authority to unconditional data.
      need('content.conditions', c.conditions === null, 'unconditional data carries no conditions of use', 'CAT-05');
      break;
    case 'CONDITIONAL':
      need('content.shareMethods', c.shareMethods.length > 0, 'at least one share method (API, BATCH, FILE) is required');
      // CAT-06: conditional data states the sharing scope and the purpose of use.
      need('content.conditions.scope', c.conditions !== null && !blank(c.conditions.scope), 'conditional data must state the sharing scope', 'CAT-06');
      need('content.conditions.purpose', c.conditions !== null && !blank(c.conditions.purpose), 'conditional data must state the purpose of use', 'CAT-06');
      break;
    case 'NOT_SHARED':
      // CAT-04/CAT-06: not shared only where law forbids it: the reason and the legal basis are required.
      need('content.notSharedReason', !blank(c.notSharedReason), 'not-shared data must give the reason', 'CAT-06');
      need('content.notSharedLegalBasis', !blank(c.notSharedLegalBasis), 'not-shared data must cite the law, regulation or State Council decision', 'CAT-06');
      need('content.shareMethods', c.shareMethods.length === 0, 'not-shared data has no share method', 'CAT-04');
      break;
  }
  return out;
};

/** Throws one GOV_ERR_INPUT_INVALID naming every bad field. */
export const assertValidContent = (c: CatalogEntryContent): void => {
  const v = contentViolations(c);
  if (v.length > 0) throw inputInvalid(v.map((x) => x.violation), [...new Set(v.map((x) => x.rule))].join(','));
};

/** Fills defaults a caller may leave out: the provider is the caller, the source department the provider. */
export const withDefaults = (c: CatalogEntryContent, caller: string): CatalogEntryContent => {
  const provider = blank(c.provider) ? caller : c.provider;
  return { ...c, provider, sourceDepartment: blank(c.sourceDepartment) ? provider : c.sourceDepartment };
};
