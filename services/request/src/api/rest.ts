import type { FastifyInstance } from 'fastify';
import type { DisputeOutcome, MisuseKind, RefusalReason, ScopeChange, ServiceChangeKind, ShareMethod, ShareRequestContent, UseEndReason } from '@govmesh/contracts/avro';
import { DisputeOutcomeValues, MisuseKindValues, RefusalGroundValues, ServiceChangeKindValues, ShareAttributeValues, ShareMethodValues } from '@govmesh/contracts/avro';
import { COMMAND_ERRORS, READ_ERRORS, idSchema, inputInvalid, notFound, operation, typedIdSchema, type OperationSpec, type SchemaRegistry } from '@govmesh/backbone';
import type { RequestCommands, ShareCommandInput } from '../commands/request-commands.ts';
import type { CatalogView } from '../projections/catalog-view.ts';
import type { RequestQueries } from '../projections/request-queries.ts';
import { contentJsonSchema, normalizeContent, normalizeScopeChange, scopeChangeJsonSchema, storedContentJsonSchema } from './content-mapping.ts';

/**
 * REST API of the request service (OpenAPI at /docs): the same operations as the gRPC
 * RequestService. Commands are POSTs on the request's sub-resources; each answers with the
 * acknowledgement (status, revision, event ids). Bodies are validated against schemas derived from
 * the Avro contracts where one exists; violations come back as problem+json naming the field.
 */
const ack = {
  type: 'object',
  required: ['shareId', 'status', 'revision', 'eventIds'],
  properties: { shareId: { type: 'string' }, status: { type: 'string' }, revision: { type: 'integer' }, eventIds: { type: 'array', items: { type: 'string' } } },
  examples: [{ shareId: 'sr-0199a0c2-7d1e-7c3a-9f00-4b2d1e6a8c11', status: 'DRAFT', revision: 1, eventIds: ['0199a0c2-7d1f-7000-8000-1a2b3c4d5e6f'] }],
} as const;
const idParam = { type: 'object', required: ['shareId'], properties: { shareId: idSchema } } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
// A caller states why use ended; PERIOD_EXPIRED is recorded only by the deadline watcher.
const USE_END_REASONS = ['PURPOSE_ACHIEVED', 'PURPOSE_IMPOSSIBLE', 'NO_LONGER_NEEDED'] as const;
const DRAFT_EXAMPLE = {
  content: {
    entryId: 'ce-0199a0c2-7d1e-7c3a-9f00-4b2d1e6a8c11', dataItems: ['citizen_id'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'minimum living allowance eligibility checks',
    useScope: 'civil affairs case officers', shareMethod: 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
  },
};

type Body = Record<string, unknown>;

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const published = { anyOf: [{ type: 'null' }, { type: 'object', required: ['version', 'shareAttribute', 'shareMethods', 'dataItems'], properties: { version: { type: 'integer' }, shareAttribute: { type: 'string', enum: [...ShareAttributeValues] }, shareMethods: { type: 'array', items: { type: 'string', enum: [...ShareMethodValues] } }, dataItems: strings } }] };

/** The answers of the reads (RequestQueries, CatalogView); a request's content is the Avro record itself. */
const readSchemas = (registry: SchemaRegistry) => {
  const summary = {
    type: 'object',
    required: ['shareId', 'status', 'revision', 'platform', 'requester', 'provider', 'entryName', 'shareAttribute', 'content', 'replyDueAt', 'replyOverdue', 'deliveryDueAt', 'deliveryOverdue', 'useEndsAt', 'provisionalDeadlines', 'extension', 'disputeStage', 'state'],
    properties: {
      shareId: { type: 'string' },
      status: { type: 'string' },
      revision: { type: 'integer' },
      platform: { type: 'string' },
      requester: { type: 'string' },
      provider: { type: 'string' },
      entryName: { type: 'string' },
      shareAttribute: { type: 'string' },
      content: { anyOf: [storedContentJsonSchema(registry), { type: 'null' }] },
      replyDueAt: nullableTime,
      replyOverdue: { type: 'boolean' },
      deliveryDueAt: nullableTime,
      deliveryOverdue: { type: 'boolean' },
      useEndsAt: nullableTime,
      provisionalDeadlines: strings,
      extension: { type: 'string' },
      disputeStage: { type: ['string', 'null'] },
      state: { type: 'object', description: 'the whole folded state: notice, refusal reasons, approval, terms, suspension, ...' },
    },
  };
  return {
    share: {
      type: 'object',
      required: ['share', 'history'],
      properties: {
        share: summary,
        history: { type: 'array', items: { type: 'object', required: ['revision', 'type', 'time', 'eventId', 'data'], properties: { revision: { type: 'integer' }, type: { type: 'string' }, time: { type: 'string', format: 'date-time' }, eventId: { type: 'string' }, data: { type: 'object', description: 'the event as its Avro schema defines it (docs/events.md)' } } } },
      },
    },
    search: { type: 'object', required: ['shares', 'total'], properties: { shares: { type: 'array', items: summary }, total: { type: 'integer', minimum: 0 } } },
    requestable: {
      type: 'object',
      required: ['entryId', 'status', 'provider', 'name', 'latestVersion', 'version', 'current'],
      properties: { entryId: { type: 'string' }, status: { type: 'string', enum: ['PUBLISHED', 'UNPUBLISHED'] }, provider: { type: 'string' }, name: { type: 'string' }, latestVersion: { type: 'integer' }, version: published, current: published },
    },
  };
};

/** Who acts on a share: the directory role and which holder of it (the domain's require* rules). */
const REQUESTER = { roles: ['requester'], who: "the share's requesting department" } as const;
const PROVIDER = { roles: ['provider'], who: "the share's providing department" } as const;
const COMPETENT = { roles: ['competent'], who: 'the competent department of the platform' } as const;
type Actor = Pick<OperationSpec, 'roles' | 'who'>;

export const requestRoutes = (deps: { commands: RequestCommands; queries: RequestQueries; catalog: CatalogView; registry: SchemaRegistry }) =>
  async (app: FastifyInstance): Promise<void> => {
    const content = contentJsonSchema(deps.registry);
    const change = scopeChangeJsonSchema(deps.registry);
    const reads = readSchemas(deps.registry);
    const { commands, queries } = deps;
    const tags = ['requests'];

    /** One command route: POST /v1/requests/:shareId/<path>, its operationId the gRPC method's. */
    const command = <B extends Body>(path: string, operationId: string, actor: Actor, summary: string, body: Record<string, unknown> | null, toInput: (b: B) => ShareCommandInput) =>
      app.post<{ Params: { shareId: string }; Body: B }>(
        `/v1/requests/:shareId/${path}`,
        { schema: operation({ operationId, summary, ...actor, errors: COMMAND_ERRORS }, { tags, params: idParam, ...(body === null ? {} : { body: { type: 'object', additionalProperties: false, ...body } }), response: { 200: ack } }) },
        async (req) => commands.execute(req.principal(), req.params.shareId, toInput((req.body ?? {}) as B)),
      );

    app.post<{ Body: { shareId?: string; content: Partial<ShareRequestContent> } }>(
      '/v1/requests',
      {
        schema: operation(
          { operationId: 'draftRequest', summary: 'Draft a share request against a published catalog entry (REQ-02, REQ-03, REQ-07)', roles: ['requester'], errors: COMMAND_ERRORS },
          { tags, body: { type: 'object', required: ['content'], additionalProperties: false, properties: { shareId: typedIdSchema('shareRequest'), content }, examples: [DRAFT_EXAMPLE] }, response: { 201: ack } },
        ),
      },
      async (req, reply) => reply.status(201).send(await commands.draft(req.principal(), req.body.shareId, normalizeContent(req.body.content))),
    );

    app.put<{ Params: { shareId: string }; Body: { content: Partial<ShareRequestContent> } }>(
      '/v1/requests/:shareId/content',
      { schema: operation({ operationId: 'reviseRequest', summary: "Revise the draft (the office head's consent must be given again)", ...REQUESTER, errors: COMMAND_ERRORS }, { tags, params: idParam, body: { type: 'object', required: ['content'], additionalProperties: false, properties: { content } }, response: { 200: ack } }) },
      async (req) => commands.execute(req.principal(), req.params.shareId, { kind: 'ReviseRequest', content: normalizeContent(req.body.content) }),
    );

    command<{ approver: string }>('internal-approval', 'approveInternally', REQUESTER, "Record the consent of the head of the requester's sharing office (REQ-02)", { required: ['approver'], properties: { approver: nonEmpty } }, (b) => ({ kind: 'ApproveInternally', approver: b.approver }));
    command('submission', 'submitRequest', REQUESTER, 'Send the request to the provider; the reply clock starts (APR-02)', null, () => ({ kind: 'SubmitRequest' }));
    command<{ items: { name: string; description?: string }[] }>(
      'missing-materials', 'notifyMissingMaterials', PROVIDER,
      'The provider lists everything missing, in one notice (REQ-05)',
      { required: ['items'], properties: { items: { type: 'array', items: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: nonEmpty, description: { type: 'string' } } } } } },
      (b) => ({ kind: 'NotifyMissingMaterials', items: b.items.map((i) => ({ name: i.name, description: i.description ?? '' })) }),
    );
    command<{ supplied: { name: string; reference: string }[] }>(
      'resubmission', 'resubmitRequest', REQUESTER,
      'Supply every missing material; the reply clock restarts (REQ-05)',
      { required: ['supplied'], properties: { supplied: { type: 'array', items: { type: 'object', required: ['name', 'reference'], additionalProperties: false, properties: { name: nonEmpty, reference: nonEmpty } } } } },
      (b) => ({ kind: 'ResubmitRequest', supplied: b.supplied }),
    );
    command<{ workingDays: number; reason: string }>(
      'reply-extension', 'requestReplyExtension', PROVIDER,
      'The provider asks for the one extension of at most 10 working days (APR-03)',
      { required: ['workingDays', 'reason'], properties: { workingDays: { type: 'integer' }, reason: nonEmpty } },
      (b) => ({ kind: 'RequestReplyExtension', workingDays: b.workingDays, reason: b.reason }),
    );
    command<{ grant: boolean; reason?: string }>(
      'reply-extension/decision', 'decideReplyExtension', COMPETENT,
      'The competent department approves (the requester is notified of the new deadline) or refuses the extension (APR-03)',
      { required: ['grant'], properties: { grant: { type: 'boolean' }, reason: { type: 'string' } } },
      (b) => ({ kind: 'DecideReplyExtension', grant: b.grant, reason: b.reason ?? '' }),
    );
    command<{ decision: 'APPROVE' | 'REFUSE'; headApprover: string; reasons?: RefusalReason[]; conditions?: string; disposalRequirement?: string }>(
      'reply', 'replyToRequest', PROVIDER,
      "Agree or refuse, with the consent of the head of the provider's sharing office; a refusal states reasons (APR-01, APR-04)",
      {
        required: ['decision', 'headApprover'],
        properties: {
          decision: { type: 'string', enum: ['APPROVE', 'REFUSE'] },
          headApprover: { type: 'string' },
          reasons: { type: 'array', items: { type: 'object', required: ['ground', 'detail'], additionalProperties: false, properties: { ground: { type: 'string', enum: [...RefusalGroundValues] }, detail: { type: 'string' } } } },
          conditions: { type: 'string' },
          disposalRequirement: { type: 'string' },
        },
      },
      (b) => ({ kind: 'ReplyToRequest', decision: b.decision, headApprover: b.headApprover, reasons: b.reasons ?? [], conditions: b.conditions ?? '', disposalRequirement: b.disposalRequirement ?? '' }),
    );
    command<{ reason?: string }>('withdrawal', 'withdrawRequest', REQUESTER, 'The requester withdraws its request before the reply', { properties: { reason: { type: 'string' } } }, (b) => ({ kind: 'WithdrawRequest', reason: b.reason ?? '' }));
    command<{ grounds: string }>('dispute', 'openDispute', REQUESTER, 'The requester contests the refusal: negotiation starts (DSP-01)', { required: ['grounds'], properties: { grounds: nonEmpty } }, (b) => ({ kind: 'OpenDispute', grounds: b.grounds }));
    command<{ reason: string }>(
      'dispute/escalation', 'escalateDispute', { roles: ['requester', 'provider', 'competent'], who: 'a party to the share, or the authority coordinating the dispute' },
      'Move the dispute up: competent department coordination, the common superior authority (cross-level), the government (DSP-01)',
      { required: ['reason'], properties: { reason: nonEmpty } },
      (b) => ({ kind: 'EscalateDispute', reason: b.reason }),
    );
    command<{ outcome: DisputeOutcome; decision: string; reference?: string }>(
      'dispute/resolution', 'resolveDispute', { roles: ['provider', 'requester', 'competent'], who: 'in negotiation the provider (to share) or the requester (to accept the refusal); later the coordinating authority' },
      'Record how the dispute ended at its current step (DSP-01)',
      { required: ['outcome', 'decision'], properties: { outcome: { type: 'string', enum: [...DisputeOutcomeValues] }, decision: nonEmpty, reference: { type: 'string' } } },
      (b) => ({ kind: 'ResolveDispute', outcome: b.outcome, decision: b.decision, reference: b.reference ?? '' }),
    );
    command<{ shareMethod?: ShareMethod }>(
      'delivery', 'startDelivery', { roles: ['provider', 'operator'], who: "the share's providing department, or an operator of the platform" },
      'Delivery started: the share is active (the provider or an operator; later the exchange service) (DLV-01)',
      { properties: { shareMethod: { type: 'string', enum: [...ShareMethodValues] } } },
      (b) => ({ kind: 'StartDelivery', shareMethod: b.shareMethod ?? null }),
    );
    command<{ change: Partial<ScopeChange>; reason: string }>(
      'scope-changes', 'requestScopeChange', REQUESTER,
      "Ask to change the scope, purpose or recipients of use; needs the provider's consent (USE-01)",
      { required: ['change', 'reason'], properties: { change, reason: nonEmpty } },
      (b) => ({ kind: 'RequestScopeChange', change: normalizeScopeChange(b.change), reason: b.reason }),
    );
    command<{ approve: boolean; headApprover?: string; reason?: string }>(
      'scope-changes/decision', 'decideScopeChange', PROVIDER,
      'The provider consents to or refuses the scope change (USE-01)',
      { required: ['approve'], properties: { approve: { type: 'boolean' }, headApprover: { type: 'string' }, reason: { type: 'string' } } },
      (b) => ({ kind: 'DecideScopeChange', approve: b.approve, headApprover: b.headApprover ?? '', reason: b.reason ?? '' }),
    );
    command<{ misuse: MisuseKind; findings: string; rectificationWorkingDays: number }>(
      'suspension', 'suspendShare', { roles: ['competent', 'provider'], who: "the competent department of the platform, or the share's providing department" },
      'Suspend for misuse and order rectification by a deadline (competent department or provider, SUS-01)',
      { required: ['misuse', 'findings', 'rectificationWorkingDays'], properties: { misuse: { type: 'string', enum: [...MisuseKindValues] }, findings: nonEmpty, rectificationWorkingDays: { type: 'integer' } } },
      (b) => ({ kind: 'SuspendShare', misuse: b.misuse, findings: b.findings, rectificationWorkingDays: b.rectificationWorkingDays }),
    );
    command<{ description: string }>('rectification', 'reportRectification', REQUESTER, 'The requester reports its rectification (SUS-01)', { required: ['description'], properties: { description: nonEmpty } }, (b) => ({ kind: 'ReportRectification', description: b.description }));
    command<{ note?: string }>('resumption', 'resumeShare', { roles: ['competent', 'provider'], who: "the competent department of the platform, or the share's providing department" }, 'Accept the rectification: sharing resumes (SUS-01)', { properties: { note: { type: 'string' } } }, (b) => ({ kind: 'ResumeShare', note: b.note ?? '' }));
    command<{ reason: string }>('termination', 'terminateShare', { roles: ['competent', 'provider'], who: "the competent department of the platform, or the share's providing department" }, 'Terminate a suspended share whose misuse was not rectified (SUS-01)', { required: ['reason'], properties: { reason: nonEmpty } }, (b) => ({ kind: 'TerminateShare', reason: b.reason }));
    command<{ kind: ServiceChangeKind; reason: string; description?: string }>(
      'service-changes', 'proposeServiceChange', PROVIDER,
      'The provider proposes to end or change the service, with its reason (SUS-02)',
      { required: ['kind', 'reason'], properties: { kind: { type: 'string', enum: [...ServiceChangeKindValues] }, reason: { type: 'string' }, description: { type: 'string' } } },
      (b) => ({ kind: 'ProposeServiceChange', change: b.kind, reason: b.reason, description: b.description ?? '' }),
    );
    command<{ requesterAgrees: boolean; notes: string }>(
      'service-changes/negotiation', 'recordServiceChangeNegotiation', { roles: ['provider', 'requester'], who: 'a party to the share' },
      'Record the negotiation between provider and requester (SUS-02)',
      { required: ['requesterAgrees', 'notes'], properties: { requesterAgrees: { type: 'boolean' }, notes: nonEmpty } },
      (b) => ({ kind: 'RecordServiceChangeNegotiation', requesterAgrees: b.requesterAgrees, notes: b.notes }),
    );
    command<{ reference: string }>(
      'service-changes/filing', 'recordServiceChangeFiling', COMPETENT,
      'The competent department records the filing (备案); the change takes effect (SUS-02, REC-05)',
      { required: ['reference'], properties: { reference: { type: 'string' } } },
      (b) => ({ kind: 'RecordServiceChangeFiling', reference: b.reference }),
    );
    command<{ process: string; outcomes: string; storage: string }>(
      'usage-records', 'recordUsage', REQUESTER,
      'The requester records use process, outcomes and storage (REC-01)',
      { required: ['process', 'outcomes', 'storage'], properties: { process: { type: 'string' }, outcomes: { type: 'string' }, storage: { type: 'string' } } },
      (b) => ({ kind: 'RecordUsage', process: b.process, outcomes: b.outcomes, storage: b.storage }),
    );
    command<{ reason: Exclude<UseEndReason, 'PERIOD_EXPIRED'>; note?: string }>(
      'end-of-use', 'endUse', REQUESTER,
      'The purpose is achieved, impossible or no longer needs the data (USE-02)',
      { required: ['reason'], properties: { reason: { type: 'string', enum: [...USE_END_REASONS] }, note: { type: 'string' } } },
      (b) => ({ kind: 'EndUse', reason: b.reason, note: b.note ?? '' }),
    );
    command<{ method: string; reference: string; disposedAt?: string }>(
      'disposal', 'confirmDisposal', REQUESTER,
      'The requester confirms it disposed of the data as the provider required (USE-02)',
      { required: ['method', 'reference'], properties: { method: { type: 'string' }, reference: { type: 'string' }, disposedAt: { type: 'string', format: 'date-time' } } },
      (b) => ({ kind: 'ConfirmDisposal', method: b.method, reference: b.reference, ...(b.disposedAt === undefined ? {} : { disposedAt: new Date(b.disposedAt) }) }),
    );

    app.get<{ Params: { shareId: string } }>(
      '/v1/requests/:shareId',
      {
        schema: operation(
          { operationId: 'getShare', summary: 'One share: state, deadlines and full history (parties, competent department and auditors, REC-02)', roles: [], who: 'a party to the share, the competent department or an auditor', errors: READ_ERRORS },
          { tags, params: idParam, response: { 200: reads.share } },
        ),
      },
      async (req) => queries.get(req.principal(), req.params.shareId),
    );

    app.get<{ Querystring: { requester?: string; provider?: string; status?: string; overdue?: boolean; limit?: number; offset?: number } }>(
      '/v1/requests',
      {
        schema: operation({ operationId: 'searchShares', summary: 'Shares by requester, provider, status, overdue (a party sees its own shares)', roles: [], who: 'a party sees its own shares; the competent department and auditors see all' }, {
          tags,
          response: { 200: reads.search },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              requester: { type: 'string', maxLength: 200 },
              provider: { type: 'string', maxLength: 200 },
              status: { type: 'string' },
              overdue: { type: 'boolean' },
              limit: { type: 'integer', minimum: 1, maximum: 500 },
              offset: { type: 'integer', minimum: 0 },
            },
          },
        }),
      },
      async (req) => {
        const q = req.query;
        if (q.offset !== undefined && q.limit === undefined) throw inputInvalid([{ field: 'querystring.limit', description: 'required with offset' }]);
        return queries.search(req.principal(), { ...q, ...(q.overdue === undefined ? {} : { overdueOnly: q.overdue }) });
      },
    );

    app.get<{ Params: { entryId: string } }>(
      '/v1/requestable-entries/:entryId',
      {
        schema: operation(
          { operationId: 'getRequestableEntry', summary: "The request service's view of a catalog entry: published or not, its versions' items and methods", roles: [], who: 'a never-published entry only to its provider and the competent department', errors: ['GOV_ERR_NOT_FOUND'] },
          { tags, params: { type: 'object', required: ['entryId'], properties: { entryId: idSchema } }, response: { 200: reads.requestable } },
        ),
      },
      async (req) => {
        const entry = await deps.catalog.snapshotFor(req.principal(), req.params.entryId);
        if (entry === null) throw notFound('catalog entry', req.params.entryId);
        return entry;
      },
    );
  };
