import { CatalogEventNamespace, GradeValues, ShareAttributeValues, ShareMethodValues, UpdateFrequencyValues } from '@govmesh/contracts/avro';
import type { CatalogEntryContent } from '@govmesh/contracts/avro';
import { avroToJsonSchema, fromProtoEnum, inputInvalid, toProtoEnum, type JsonSchema, type SchemaRegistry } from '@govmesh/backbone';
import type avro from 'avsc';
import * as pb from '@govmesh/contracts/catalog/v1';

/** The REST body schema of an entry's content: the Avro record itself (provider may be left out). */
const contentType = (registry: SchemaRegistry): avro.Type => (registry.latest(`${CatalogEventNamespace}.CatalogEntryDrafted`).type as avro.types.RecordType).field('content')!.type;

export const contentJsonSchema = (registry: SchemaRegistry): JsonSchema => avroToJsonSchema(contentType(registry), ['provider', 'sourceDepartment']);

/** The content as answers carry it: the same Avro record, every field present. */
export const storedContentJsonSchema = (registry: SchemaRegistry): JsonSchema => avroToJsonSchema(contentType(registry));

/**
 * CAT-03 (Art. 13), CAT-01: the mandatory enumerations (update frequency, share attribute, grade)
 * are the department's statement, never a default the platform makes up for it.
 */
const MANDATORY = ['updateFrequency', 'shareAttribute', 'grade'] as const;

/** Fills the optional fields a REST caller may leave out; a missing mandatory field is named, not defaulted. */
export const normalizeContent = (c: Partial<CatalogEntryContent>): CatalogEntryContent => {
  const missing = MANDATORY.filter((f) => c[f] === undefined || c[f] === null);
  if (missing.length > 0) throw inputInvalid(missing.map((f) => ({ field: `content.${f}`, description: 'required (Art. 13): the department states it, no default is assumed' })), 'CAT-03');
  return normalized(c as Partial<CatalogEntryContent> & Pick<CatalogEntryContent, (typeof MANDATORY)[number]>);
};

const normalized = (c: Partial<CatalogEntryContent> & Pick<CatalogEntryContent, (typeof MANDATORY)[number]>): CatalogEntryContent => ({
  name: c.name ?? '',
  code: c.code ?? '',
  abstract: c.abstract ?? '',
  provider: c.provider ?? '',
  sourceDepartment: c.sourceDepartment ?? '',
  classification: c.classification ?? '',
  grade: c.grade,
  dataItems: c.dataItems ?? [],
  format: c.format ?? '',
  updateFrequency: c.updateFrequency,
  shareAttribute: c.shareAttribute,
  shareMethods: c.shareMethods ?? [],
  conditions: c.conditions === null || c.conditions === undefined ? null : { scope: c.conditions.scope, purpose: c.conditions.purpose, other: c.conditions.other ?? '' },
  notSharedReason: c.notSharedReason ?? null,
  notSharedLegalBasis: c.notSharedLegalBasis ?? null,
  personalInformation: c.personalInformation ?? false,
});


const GRADES = GradeValues;

export const contentFromProto = (c: pb.EntryContent | undefined): CatalogEntryContent => {
  if (c === undefined) throw inputInvalid([{ field: 'content', description: 'required' }]);
  return {
    name: c.name,
    code: c.code,
    abstract: c.abstract,
    provider: c.provider,
    sourceDepartment: c.sourceDepartment,
    classification: c.classification,
    grade: fromProtoEnum('content.grade', pb.gradeToJSON(c.grade), 'GRADE_', GRADES),
    dataItems: c.dataItems.map((i, n) => ({ name: i.name, type: i.type, description: i.description, grade: fromProtoEnum(`content.dataItems[${n}].grade`, pb.gradeToJSON(i.grade), 'GRADE_', GRADES) })),
    format: c.format,
    updateFrequency: fromProtoEnum('content.updateFrequency', pb.updateFrequencyToJSON(c.updateFrequency), 'UPDATE_FREQUENCY_', UpdateFrequencyValues),
    shareAttribute: fromProtoEnum('content.shareAttribute', pb.shareAttributeToJSON(c.shareAttribute), 'SHARE_ATTRIBUTE_', ShareAttributeValues),
    shareMethods: c.shareMethods.map((m, n) => fromProtoEnum(`content.shareMethods[${n}]`, pb.shareMethodToJSON(m), 'SHARE_METHOD_', ShareMethodValues)),
    conditions: c.conditions === undefined ? null : { scope: c.conditions.scope, purpose: c.conditions.purpose, other: c.conditions.other },
    notSharedReason: c.notSharedReason === '' ? null : c.notSharedReason,
    notSharedLegalBasis: c.notSharedLegalBasis === '' ? null : c.notSharedLegalBasis,
    personalInformation: c.personalInformation,
  };
};

export const contentToProto = (c: CatalogEntryContent): pb.EntryContent => ({
  name: c.name,
  code: c.code,
  abstract: c.abstract,
  provider: c.provider,
  sourceDepartment: c.sourceDepartment,
  classification: c.classification,
  grade: toProtoEnum(c.grade, 'GRADE_', pb.gradeFromJSON),
  dataItems: c.dataItems.map((i) => ({ name: i.name, type: i.type, description: i.description, grade: toProtoEnum(i.grade, 'GRADE_', pb.gradeFromJSON) })),
  format: c.format,
  updateFrequency: toProtoEnum(c.updateFrequency, 'UPDATE_FREQUENCY_', pb.updateFrequencyFromJSON),
  shareAttribute: toProtoEnum(c.shareAttribute, 'SHARE_ATTRIBUTE_', pb.shareAttributeFromJSON),
  shareMethods: c.shareMethods.map((m) => toProtoEnum(m, 'SHARE_METHOD_', pb.shareMethodFromJSON)),
  conditions: c.conditions === null ? undefined : { ...c.conditions },
  notSharedReason: c.notSharedReason ?? '',
  notSharedLegalBasis: c.notSharedLegalBasis ?? '',
  personalInformation: c.personalInformation,
});
