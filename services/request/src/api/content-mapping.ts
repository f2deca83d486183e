import { RequestEventNamespace, ShareMethodValues } from '@govmesh/contracts/avro';
import type { ScopeChange, ShareRequestContent } from '@govmesh/contracts/avro';
import { avroToJsonSchema, idSchema, inputInvalid, type JsonSchema, type SchemaRegistry, fromProtoEnum, toProtoEnum } from '@govmesh/backbone';
import type avro from 'avsc';
import * as pb from '@govmesh/contracts/request/v1';

/** The REST body schema of a request's content: the Avro record itself (provider and version may be left out); entryId is an id. */
export const contentJsonSchema = (registry: SchemaRegistry): JsonSchema => {
  const drafted = registry.latest(`${RequestEventNamespace}.ShareRequestDrafted`).type as avro.types.RecordType;
  const schema = avroToJsonSchema(drafted.field('content')!.type, ['provider', 'entryVersion']);
  const props = schema['properties'] as Record<string, Record<string, unknown>>;
  props['entryId'] = { ...props['entryId'], ...idSchema };
  return schema;
};

/** The content as answers carry it: the same Avro record, every field present. */
export const storedContentJsonSchema = (registry: SchemaRegistry): JsonSchema =>
  avroToJsonSchema((registry.latest(`${RequestEventNamespace}.ShareRequestDrafted`).type as avro.types.RecordType).field('content')!.type);

/** The REST body schema of a scope change: the Avro record of ScopeChangeRequested.change. */
export const scopeChangeJsonSchema = (registry: SchemaRegistry): JsonSchema => {
  const requested = registry.latest(`${RequestEventNamespace}.ScopeChangeRequested`).type as avro.types.RecordType;
  return avroToJsonSchema(requested.field('change')!.type, ['thirdParties']);
};

/** Fills the optional fields a REST caller may leave out. */
export const normalizeContent = (c: Partial<ShareRequestContent>): ShareRequestContent => ({
  entryId: c.entryId ?? '',
  entryVersion: c.entryVersion ?? 0,
  provider: c.provider ?? '',
  dataItems: c.dataItems ?? [],
  legalBasis: c.legalBasis ?? '',
  useScenario: c.useScenario ?? '',
  useScope: c.useScope ?? '',
  shareMethod: c.shareMethod ?? 'API',
  periodFrom: c.periodFrom ?? '',
  periodUntil: c.periodUntil ?? '',
  commitment: { genuine: c.commitment?.genuine ?? false, lawful: c.commitment?.lawful ?? false, necessary: c.commitment?.necessary ?? false, secure: c.commitment?.secure ?? false },
});

export const normalizeScopeChange = (c: Partial<ScopeChange>): ScopeChange => ({
  dataItems: c.dataItems ?? [],
  useScenario: c.useScenario ?? '',
  useScope: c.useScope ?? '',
  periodUntil: c.periodUntil ?? '',
  thirdParties: c.thirdParties ?? [],
});


export const SHARE_METHODS = ShareMethodValues;

export const shareMethodFromProto = (field: string, m: pb.ShareMethod) => fromProtoEnum(field, pb.shareMethodToJSON(m), 'SHARE_METHOD_', SHARE_METHODS);

export const contentFromProto = (c: pb.RequestContent | undefined): ShareRequestContent => {
  if (c === undefined) throw inputInvalid([{ field: 'content', description: 'required' }]);
  return {
    entryId: c.entryId,
    entryVersion: c.entryVersion,
    provider: c.provider,
    dataItems: [...c.dataItems],
    legalBasis: c.legalBasis,
    useScenario: c.useScenario,
    useScope: c.useScope,
    shareMethod: shareMethodFromProto('content.shareMethod', c.shareMethod),
    periodFrom: c.periodFrom,
    periodUntil: c.periodUntil,
    commitment: { genuine: c.commitment?.genuine ?? false, lawful: c.commitment?.lawful ?? false, necessary: c.commitment?.necessary ?? false, secure: c.commitment?.secure ?? false },
  };
};

export const contentToProto = (c: ShareRequestContent): pb.RequestContent => ({
  ...c,
  dataItems: [...c.dataItems],
  shareMethod: toProtoEnum(c.shareMethod, 'SHARE_METHOD_', pb.shareMethodFromJSON),
  commitment: { ...c.commitment },
});

export const scopeChangeFromProto = (c: pb.ScopeChange | undefined): ScopeChange => {
  if (c === undefined) throw inputInvalid([{ field: 'change', description: 'required' }]);
  return { dataItems: [...c.dataItems], useScenario: c.useScenario, useScope: c.useScope, periodUntil: c.periodUntil, thirdParties: [...c.thirdParties] };
};
