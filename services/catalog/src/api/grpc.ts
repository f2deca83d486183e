import { AssessmentKindValues, GradeValues, ShareAttributeValues, UpdateTriggerValues } from '@govmesh/contracts/avro';
import type grpc from '@grpc/grpc-js';
import * as pb from '@govmesh/contracts/catalog/v1';
import { inputInvalid, fromProtoEnum, grpcEdge, type GrpcEdgeDeps } from '@govmesh/backbone';
import type { CatalogCommands, CommandAck } from '../commands/catalog-commands.ts';
import type { CatalogQueries, EntrySummary } from '../projections/catalog-queries.ts';
import { contentFromProto, contentToProto } from './content-mapping.ts';

/** gRPC CatalogService: the same operations as the REST API, mapped from proto messages. */
const id = (entryId: string): string => {
  if (entryId.trim() === '') throw inputInvalid([{ field: 'entry_id', description: 'required' }]);
  return entryId;
};

const view = (e: EntrySummary): pb.EntryView => ({
  entryId: e.entryId,
  status: e.status,
  revision: e.revision,
  publishedVersion: e.publishedVersion,
  content: e.content === null ? undefined : contentToProto(e.content),
  updateDueAt: e.updateDueAt ?? '',
  reviewDueAt: e.reviewDueAt ?? '',
  updateOverdue: e.updateOverdue,
  reviewOverdue: e.reviewOverdue,
  returnReasons: e.returnReasons,
  provisionalDeadlines: e.provisionalDeadlines,
});

const ackOut = (a: CommandAck): pb.EntryResponse => a;

export const catalogGrpcService = (deps: { commands: CatalogCommands; queries: CatalogQueries; edge: GrpcEdgeDeps }): { definition: typeof pb.CatalogServiceService; implementation: grpc.UntypedServiceImplementation } => {
  const { commands, queries } = deps;
  const u = grpcEdge(deps.edge, pb.CatalogServiceService);
  const impl: pb.CatalogServiceServer = {
    draftEntry: u('DraftEntry', async (r: pb.DraftEntryRequest, p) => ackOut(await commands.draft(p, r.entryId, contentFromProto(r.content)))),
    reviseEntry: u('ReviseEntry', async (r: pb.ReviseEntryRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'ReviseEntry', content: contentFromProto(r.content) }))),
    recordAssessment: u('RecordAssessment', async (r: pb.RecordAssessmentRequest, p) =>
      ackOut(
        await commands.execute(p, id(r.entryId), {
          kind: 'RecordAssessment',
          assessment: fromProtoEnum('kind', pb.assessmentKindToJSON(r.kind), 'ASSESSMENT_KIND_', AssessmentKindValues),
          reference: r.reference,
          conclusion: r.conclusion,
        }),
      ),
    ),
    approveByHead: u('ApproveByHead', async (r: pb.ApproveByHeadRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'ApproveByHead', approver: r.approver }))),
    submitEntry: u('SubmitEntry', async (r: pb.SubmitEntryRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'SubmitEntry' }))),
    publishEntry: u('PublishEntry', async (r: pb.PublishEntryRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'PublishEntry' }))),
    returnEntry: u('ReturnEntry', async (r: pb.ReturnEntryRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'ReturnEntry', reasons: r.reasons }))),
    startUpdate: u('StartUpdate', async (r: pb.StartUpdateRequest, p) => {
      const changedAt = r.changedAt === '' ? undefined : new Date(r.changedAt);
      if (changedAt !== undefined && Number.isNaN(changedAt.getTime())) throw inputInvalid([{ field: 'changed_at', description: 'RFC 3339 timestamp expected' }]);
      const trigger = fromProtoEnum('trigger', pb.updateTriggerToJSON(r.trigger), 'UPDATE_TRIGGER_', UpdateTriggerValues);
      return ackOut(await commands.execute(p, id(r.entryId), { kind: 'StartUpdate', trigger, description: r.description, ...(changedAt === undefined ? {} : { changedAt }) }));
    }),
    requestUpdateExtension: u('RequestUpdateExtension', async (r: pb.RequestUpdateExtensionRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'RequestUpdateExtension', reason: r.reason }))),
    decideUpdateExtension: u('DecideUpdateExtension', async (r: pb.DecideUpdateExtensionRequest, p) => ackOut(await commands.execute(p, id(r.entryId), { kind: 'DecideUpdateExtension', grant: r.grant, reason: r.reason }))),
    getEntry: u('GetEntry', async (r: pb.GetEntryRequest, p) => {
      const got = await queries.get(id(r.entryId), p);
      return {
        entry: view(got.entry),
        versions: got.versions.map((v) => ({ version: v.version, publishedAt: v.publishedAt, reviewedBy: v.reviewedBy, content: contentToProto(v.content) })),
        history: got.history.map((h) => ({ revision: h.revision, type: h.type, time: h.time, eventId: h.eventId, dataJson: JSON.stringify(h.data) })),
      };
    }),
    searchEntries: u('SearchEntries', async (r: pb.SearchEntriesRequest, p) => {
      const res = await queries.search({
        provider: r.provider,
        ...(r.shareAttribute === 0 ? {} : { shareAttribute: fromProtoEnum('share_attribute', pb.shareAttributeToJSON(r.shareAttribute), 'SHARE_ATTRIBUTE_', ShareAttributeValues) }),
        ...(r.grade === 0 ? {} : { grade: fromProtoEnum('grade', pb.gradeToJSON(r.grade), 'GRADE_', GradeValues) }),
        keyword: r.keyword,
        status: r.status,
        overdueOnly: r.overdueOnly,
        limit: r.limit,
        offset: r.offset,
      }, p);
      return { entries: res.entries.map(view), total: res.total };
    }),
  };
  return { definition: pb.CatalogServiceService, implementation: impl as unknown as grpc.UntypedServiceImplementation };
};

