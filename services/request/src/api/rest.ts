import type { FastifyInstance } from 'fastify';
import type { DisputeOutcome, MisuseKind, RefusalReason, ScopeChange, ServiceChangeKind, ShareMethod, ShareRequestContent, UseEndReason } from '@govmesh/contracts/avro';
import { DisputeOutcomeValues, MisuseKindValues, RefusalGroundValues, ServiceChangeKindValues, ShareMethodValues } from '@govmesh/contracts/avro';
import { idSchema, inputInvalid, notFound, typedIdSchema, type SchemaRegistry } from '@govmesh/backbone';
import type { RequestCommands, ShareCommandInput } from '../commands/request-commands.ts';
import type { CatalogView } from '../projections/catalog-view.ts';
import type { RequestQueries } from '../projections/request-queries.ts';
import { contentJsonSchema, normalizeContent, normalizeScopeChange, scopeChangeJsonSchema } from './content-mapping.ts';

/**
 * REST API of the request service (OpenAPI at /docs): the same operations as the gRPC
 * RequestService. Commands are POSTs on the request's sub-resources; each answers with the
 * acknowledgement (status, revision, event ids). Bodies are validated against schemas derived from
 * the Avro contracts where one exists; violations come back as problem+json naming the field.
 */
const ack = {
  type: 'object',
  properties: { shareId: { type: 'string' }, status: { type: 'string' }, revision: { type: 'integer' }, eventIds: { type: 'array', items: { type: 'string' } } },
} as const;
const idParam = { type: 'object', required: ['shareId'], properties: { shareId: idSchema } } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
// A caller states why use ended; PERIOD_EXPIRED is recorded only by the deadline watcher.
const USE_END_REASONS = ['PURPOSE_ACHIEVED', 'PURPOSE_IMPOSSIBLE', 'NO_LONGER_NEEDED'] as const;

type Body = Record<string, unknown>;

export const requestRoutes = (deps: { commands: RequestCommands; queries: RequestQueries; catalog: CatalogView; registry: SchemaRegistry }) =>
  async (app: FastifyInstance): Promise<void> => {
    const content = contentJsonSchema(deps.registry);
    const change = scopeChangeJsonSchema(deps.registry);
    const { commands, queries } = deps;
    const tags = ['requests'];

    /** One command route: POST /v1/requests/:shareId/<path>. */
    const command = <B extends Body>(path: string, summary: string, body: Record<string, unknown> | null, toInput: (b: B) => ShareCommandInput) =>
      app.post<{ Params: { shareId: string }; Body: B }>(
        `/v1/requests/:shareId/${path}`,
        { schema: { tags, summary, params: idParam, ...(body === null ? {} : { body: { type: 'object', additionalProperties: false, ...body } }), response: { 200: ack } } },
        async (req) => commands.execute(req.principal(), req.params.shareId, toInput((req.body ?? {}) as B)),
      );

    app.post<{ Body: { shareId?: string; content: Partial<ShareRequestContent> } }>(
      '/v1/requests',
      {
        schema: {
          tags,
          summary: 'Draft a share request against a published catalog entry (REQ-02, REQ-03, REQ-07)',
          body: { type: 'object', required: ['content'], additionalProperties: false, properties: { shareId: typedIdSchema('shareRequest'), content } },
          response: { 201: ack },
        },
      },
      async (req, reply) => reply.status(201).send(await commands.draft(req.principal(), req.body.shareId, normalizeContent(req.body.content))),
    );

    app.put<{ Params: { shareId: string }; Body: { content: Partial<ShareRequestContent> } }>(
      '/v1/requests/:shareId/content',
      { schema: { tags, summary: "Revise the draft (the office head's consent must be given again)", params: idParam, body: { type: 'object', required: ['content'], additionalProperties: false, properties: { content } }, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.shareId, { kind: 'ReviseRequest', content: normalizeContent(req.body.content) }),
    );

    command<{ approver: string }>('internal-approval', "Record the consent of the head of the requester's sharing office (REQ-02)", { required: ['approver'], properties: { approver: nonEmpty } }, (b) => ({ kind: 'ApproveInternally', approver: b.approver }));
    command('submission', 'Send the request to the provider; the reply clock starts (APR-02)', null, () => ({ kind: 'SubmitRequest' }));
    command<{ items: { name: string; description?: string }[] }>(
      'missing-materials',
      'The provider lists everything missing, in one notice (REQ-05)',
      { required: ['items'], properties: { items: { type: 'array', items: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: nonEmpty, description: { type: 'string' } } } } } },
      (b) => ({ kind: 'NotifyMissingMaterials', items: b.items.map((i) => ({ name: i.name, description: i.description ?? '' })) }),
    );
    command<{ supplied: { name: string; reference: string }[] }>(
      'resubmission',
      'Supply every missing material; the reply clock restarts (REQ-05)',
      { required: ['supplied'], properties: { supplied: { type: 'array', items: { type: 'object', required: ['name', 'reference'], additionalProperties: false, properties: { name: nonEmpty, reference: nonEmpty } } } } },
      (b) => ({ kind: 'ResubmitRequest', supplied: b.supplied }),
    );
    command<{ workingDays: number; reason: string }>(
      'reply-extension',
      'The provider asks for the one extension of at most 10 working days (APR-03)',
      { required: ['workingDays', 'reason'], properties: { workingDays: { type: 'integer' }, reason: nonEmpty } },
      (b) => ({ kind: 'RequestReplyExtension', workingDays: b.workingDays, reason: b.reason }),
    );
    command<{ grant: boolean; reason?: string }>(
      'reply-extension/decision',
      'The competent department approves (the requester is notified of the new deadline) or refuses the extension (APR-03)',
      { required: ['grant'], properties: { grant: { type: 'boolean' }, reason: { type: 'string' } } },
      (b) => ({ kind: 'DecideReplyExtension', grant: b.grant, reason: b.reason ?? '' }),
    );
    command<{ decision: 'APPROVE' | 'REFUSE'; headApprover: string; reasons?: RefusalReason[]; conditions?: string; disposalRequirement?: string }>(
      'reply',
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
    command<{ reason?: string }>('withdrawal', 'The requester withdraws its request before the reply', { properties: { reason: { type: 'string' } } }, (b) => ({ kind: 'WithdrawRequest', reason: b.reason ?? '' }));
    command<{ grounds: string }>('dispute', 'The requester contests the refusal: negotiation starts (DSP-01)', { required: ['grounds'], properties: { grounds: nonEmpty } }, (b) => ({ kind: 'OpenDispute', grounds: b.grounds }));
    command<{ reason: string }>(
      'dispute/escalation',
      'Move the dispute up: competent department coordination, the common superior authority (cross-level), the government (DSP-01)',
      { required: ['reason'], properties: { reason: nonEmpty } },
      (b) => ({ kind: 'EscalateDispute', reason: b.reason }),
    );
    command<{ outcome: DisputeOutcome; decision: string; reference?: string }>(
      'dispute/resolution',
      'Record how the dispute ended at its current step (DSP-01)',
      { required: ['outcome', 'decision'], properties: { outcome: { type: 'string', enum: [...DisputeOutcomeValues] }, decision: nonEmpty, reference: { type: 'string' } } },
      (b) => ({ kind: 'ResolveDispute', outcome: b.outcome, decision: b.decision, reference: b.reference ?? '' }),
    );
    command<{ shareMethod?: ShareMethod }>(
      'delivery',
      'Delivery started: the share is active (the provider or an operator; later the exchange service) (DLV-01)',
      { properties: { shareMethod: { type: 'string', enum: [...ShareMethodValues] } } },
      (b) => ({ kind: 'StartDelivery', shareMethod: b.shareMethod ?? null }),
    );
    command<{ change: Partial<ScopeChange>; reason: string }>(
      'scope-changes',
      "Ask to change the scope, purpose or recipients of use; needs the provider's consent (USE-01)",
      { required: ['change', 'reason'], properties: { change, reason: nonEmpty } },
      (b) => ({ kind: 'RequestScopeChange', change: normalizeScopeChange(b.change), reason: b.reason }),
    );
    command<{ approve: boolean; headApprover?: string; reason?: string }>(
      'scope-changes/decision',
      'The provider consents to or refuses the scope change (USE-01)',
      { required: ['approve'], properties: { approve: { type: 'boolean' }, headApprover: { type: 'string' }, reason: { type: 'string' } } },
      (b) => ({ kind: 'DecideScopeChange', approve: b.approve, headApprover: b.headApprover ?? '', reason: b.reason ?? '' }),
    );
    command<{ misuse: MisuseKind; findings: string; rectificationWorkingDays: number }>(
      'suspension',
      'Suspend for misuse and order rectification by a deadline (competent department or provider, SUS-01)',
      { required: ['misuse', 'findings', 'rectificationWorkingDays'], properties: { misuse: { type: 'string', enum: [...MisuseKindValues] }, findings: nonEmpty, rectificationWorkingDays: { type: 'integer' } } },
      (b) => ({ kind: 'SuspendShare', misuse: b.misuse, findings: b.findings, rectificationWorkingDays: b.rectificationWorkingDays }),
    );
    command<{ description: string }>('rectification', 'The requester reports its rectification (SUS-01)', { required: ['description'], properties: { description: nonEmpty } }, (b) => ({ kind: 'ReportRectification', description: b.description }));
    command<{ note?: string }>('resumption', 'Accept the rectification: sharing resumes (SUS-01)', { properties: { note: { type: 'string' } } }, (b) => ({ kind: 'ResumeShare', note: b.note ?? '' }));
    command<{ reason: string }>('termination', 'Terminate a suspended share whose misuse was not rectified (SUS-01)', { required: ['reason'], properties: { reason: nonEmpty } }, (b) => ({ kind: 'TerminateShare', reason: b.reason }));
    command<{ kind: ServiceChangeKind; reason: string; description?: string }>(
      'service-changes',
      'The provider proposes to end or change the service, with its reason (SUS-02)',
      { required: ['kind', 'reason'], properties: { kind: { type: 'string', enum: [...ServiceChangeKindValues] }, reason: { type: 'string' }, description: { type: 'string' } } },
      (b) => ({ kind: 'ProposeServiceChange', change: b.kind, reason: b.reason, description: b.description ?? '' }),
    );
    command<{ requesterAgrees: boolean; notes: string }>(
      'service-changes/negotiation',
      'Record the negotiation between provider and requester (SUS-02)',
      { required: ['requesterAgrees', 'notes'], properties: { requesterAgrees: { type: 'boolean' }, notes: nonEmpty } },
      (b) => ({ kind: 'RecordServiceChangeNegotiation', requesterAgrees: b.requesterAgrees, notes: b.notes }),
    );
    command<{ reference: string }>(
      'service-changes/filing',
      'The competent department records the filing (备案); the change takes effect (SUS-02, REC-05)',
      { required: ['reference'], properties: { reference: { type: 'string' } } },
      (b) => ({ kind: 'RecordServiceChangeFiling', reference: b.reference }),
    );
    command<{ process: string; outcomes: string; storage: string }>(
      'usage-records',
      'The requester records use process, outcomes and storage (REC-01)',
      { required: ['process', 'outcomes', 'storage'], properties: { process: { type: 'string' }, outcomes: { type: 'string' }, storage: { type: 'string' } } },
      (b) => ({ kind: 'RecordUsage', process: b.process, outcomes: b.outcomes, storage: b.storage }),
    );
    command<{ reason: Exclude<UseEndReason, 'PERIOD_EXPIRED'>; note?: string }>(
      'end-of-use',
      'The purpose is achieved, impossible or no longer needs the data (USE-02)',
      { required: ['reason'], properties: { reason: { type: 'string', enum: [...USE_END_REASONS] }, note: { type: 'string' } } },
      (b) => ({ kind: 'EndUse', reason: b.reason, note: b.note ?? '' }),
    );
    command<{ method: string; reference: string; disposedAt?: string }>(
      'disposal',
      'The requester confirms it disposed of the data as the provider required (USE-02)',
      { required: ['method', 'reference'], properties: { method: { type: 'string' }, reference: { type: 'string' }, disposedAt: { type: 'string', format: 'date-time' } } },
      (b) => ({ kind: 'ConfirmDisposal', method: b.method, reference: b.reference, ...(b.disposedAt === undefined ? {} : { disposedAt: new Date(b.disposedAt) }) }),
    );

    app.get<{ Params: { shareId: string } }>(
      '/v1/requests/:shareId',
      { schema: { tags, summary: 'One share: state, deadlines and full history (parties, competent department and auditors, REC-02)', params: idParam } },
      async (req) => queries.get(req.principal(), req.params.shareId),
    );

    app.get<{ Querystring: { requester?: string; provider?: string; status?: string; overdue?: boolean; limit?: number; offset?: number } }>(
      '/v1/requests',
      {
        schema: {
          tags,
          summary: 'Shares by requester, provider, status, overdue (a party sees its own shares)',
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
        },
      },
      async (req) => {
        const q = req.query;
        if (q.offset !== undefined && q.limit === undefined) throw inputInvalid([{ field: 'querystring.limit', description: 'required with offset' }]);
        return queries.search(req.principal(), { ...q, ...(q.overdue === undefined ? {} : { overdueOnly: q.overdue }) });
      },
    );

    app.get<{ Params: { entryId: string } }>(
      '/v1/requestable-entries/:entryId',
      { schema: { tags, summary: "The request service's view of a catalog entry: published or not, its versions' items and methods", params: { type: 'object', required: ['entryId'], properties: { entryId: idSchema } } } },
      async (req) => {
        const entry = await deps.catalog.snapshotFor(req.principal(), req.params.entryId);
        if (entry === null) throw notFound('catalog entry', req.params.entryId);
        return entry;
      },
    );
  };
