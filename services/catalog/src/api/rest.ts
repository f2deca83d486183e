import type { FastifyInstance } from 'fastify';
import type { CatalogEntryContent, Grade, ShareAttribute } from '@govmesh/contracts/avro';
import { AssessmentKindValues, GradeValues, ShareAttributeValues, UpdateTriggerValues } from '@govmesh/contracts/avro';
import { COMMAND_ERRORS, READ_ERRORS, idSchema, inputInvalid, operation, typedIdSchema, type OperationSpec, type SchemaRegistry } from '@govmesh/backbone';
import type { CatalogCommands } from '../commands/catalog-commands.ts';
import type { CatalogQueries } from '../projections/catalog-queries.ts';
import { contentJsonSchema, normalizeContent, storedContentJsonSchema } from './content-mapping.ts';

/**
 * REST API of the catalog (OpenAPI at /docs): the same operations as the gRPC CatalogService.
 * Commands are POSTs on the entry's sub-resources; each answers with the acknowledgement
 * (status, revision, event ids). Bodies are validated against schemas derived from the Avro
 * contracts; violations come back as problem+json naming the field.
 */
const ack = {
  type: 'object',
  required: ['entryId', 'status', 'revision', 'eventIds'],
  properties: { entryId: { type: 'string' }, status: { type: 'string' }, revision: { type: 'integer' }, eventIds: { type: 'array', items: { type: 'string' } } },
  examples: [{ entryId: 'ce-0199a0c2-7d1e-7c3a-9f00-4b2d1e6a8c11', status: 'DRAFT', revision: 1, eventIds: ['0199a0c2-7d1f-7000-8000-1a2b3c4d5e6f'] }],
} as const;
const idParam = { type: 'object', required: ['entryId'], properties: { entryId: idSchema } } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;

/** The answers of the reads: an entry as the viewer may see it (CatalogQueries), its content the Avro record itself. */
const readSchemas = (registry: SchemaRegistry) => {
  const content = storedContentJsonSchema(registry);
  const summary = {
    type: 'object',
    required: ['entryId', 'status', 'revision', 'publishedVersion', 'content', 'updateDueAt', 'reviewDueAt', 'updateOverdue', 'reviewOverdue', 'provisionalDeadlines', 'returnReasons'],
    properties: {
      entryId: { type: 'string' },
      status: { type: 'string' },
      revision: { type: 'integer' },
      publishedVersion: { type: 'integer' },
      content: { anyOf: [content, { type: 'null' }] },
      updateDueAt: nullableTime,
      reviewDueAt: nullableTime,
      updateOverdue: { type: 'boolean' },
      reviewOverdue: { type: 'boolean' },
      provisionalDeadlines: strings,
      returnReasons: strings,
    },
  };
  return {
    entry: {
      type: 'object',
      required: ['entry', 'versions', 'history'],
      properties: {
        entry: summary,
        versions: { type: 'array', items: { type: 'object', required: ['version', 'publishedAt', 'reviewedBy', 'content'], properties: { version: { type: 'integer' }, publishedAt: { type: 'string', format: 'date-time' }, reviewedBy: { type: 'string' }, content } } },
        history: { type: 'array', items: { type: 'object', required: ['revision', 'type', 'time', 'eventId', 'data'], properties: { revision: { type: 'integer' }, type: { type: 'string' }, time: { type: 'string', format: 'date-time' }, eventId: { type: 'string' }, data: { type: 'object', description: 'the event as its Avro schema defines it (docs/events.md)' } } } },
      },
    },
    search: { type: 'object', required: ['entries', 'total'], properties: { entries: { type: 'array', items: summary }, total: { type: 'integer', minimum: 0 } } },
  };
};

/** A command on one entry: its roles, the command path's errors, the acknowledgement. */
const entryCommand = (operationId: string, summary: string, roles: OperationSpec['roles'], who: string, schema: Record<string, unknown>) =>
  operation({ operationId, summary, roles, who, errors: COMMAND_ERRORS }, { tags: ['catalog'], params: idParam, ...schema, response: { 200: ack } });
const PROVIDER = "the entry's providing department";
/** The README's quick-start draft. */
const DRAFT_EXAMPLE = {
  content: {
    name: '人口基础信息', code: '1-01-001', abstract: 'resident records', classification: '基础/人口', grade: 'IMPORTANT',
    dataItems: [{ name: 'citizen_id', type: 'string', description: '公民身份号码', grade: 'IMPORTANT' }],
    format: 'table', updateFrequency: 'DAILY', shareAttribute: 'CONDITIONAL', shareMethods: ['API'],
    conditions: { scope: 'social security departments', purpose: 'eligibility checks' },
  },
};
const COMPETENT = 'the competent department of the platform';

export const catalogRoutes = (deps: { commands: CatalogCommands; queries: CatalogQueries; registry: SchemaRegistry }) =>
  async (app: FastifyInstance): Promise<void> => {
    const content = contentJsonSchema(deps.registry);
    const reads = readSchemas(deps.registry);
    const { commands, queries } = deps;
    const tags = ['catalog'];

    app.post<{ Body: { entryId?: string; content: Partial<CatalogEntryContent> } }>(
      '/v1/entries',
      {
        schema: operation(
          { operationId: 'draftEntry', summary: 'Draft a catalog entry', roles: ['provider'], who: 'for its own data: content.provider, if given, is the caller', errors: COMMAND_ERRORS },
          {
            tags,
            body: { type: 'object', required: ['content'], additionalProperties: false, properties: { entryId: typedIdSchema('catalogEntry'), content }, examples: [DRAFT_EXAMPLE] },
            response: { 201: ack },
          },
        ),
      },
      async (req, reply) => reply.status(201).send(await commands.draft(req.principal(), req.body.entryId, normalizeContent(req.body.content))),
    );

    app.put<{ Params: { entryId: string }; Body: { content: Partial<CatalogEntryContent> } }>(
      '/v1/entries/:entryId/content',
      { schema: entryCommand('reviseEntry', 'Revise the draft (assessments must be redone)', ['provider'], PROVIDER, { body: { type: 'object', required: ['content'], additionalProperties: false, properties: { content } } }) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'ReviseEntry', content: normalizeContent(req.body.content) }),
    );

    app.post<{ Params: { entryId: string }; Body: { kind: (typeof AssessmentKindValues)[number]; reference: string; conclusion: string } }>(
      '/v1/entries/:entryId/assessments',
      {
        schema: entryCommand('recordAssessment', 'Record a secrecy-risk or personal-information impact assessment (CAT-02)', ['provider'], PROVIDER, {
          body: { type: 'object', required: ['kind', 'reference', 'conclusion'], additionalProperties: false, properties: { kind: { type: 'string', enum: [...AssessmentKindValues] }, reference: nonEmpty, conclusion: nonEmpty } },
        }),
      },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'RecordAssessment', assessment: req.body.kind, reference: req.body.reference, conclusion: req.body.conclusion }),
    );

    app.post<{ Params: { entryId: string }; Body: { approver: string } }>(
      '/v1/entries/:entryId/head-approval',
      { schema: entryCommand('approveByHead', 'Record the department head approval (CAT-02)', ['provider'], PROVIDER, { body: { type: 'object', required: ['approver'], additionalProperties: false, properties: { approver: nonEmpty } } }) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'ApproveByHead', approver: req.body.approver }),
    );

    app.post<{ Params: { entryId: string } }>(
      '/v1/entries/:entryId/submission',
      { schema: entryCommand('submitEntry', 'Submit to the same-level competent department (CAT-07)', ['provider'], PROVIDER, {}) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'SubmitEntry' }),
    );

    app.post<{ Params: { entryId: string } }>(
      '/v1/entries/:entryId/publication',
      { schema: entryCommand('publishEntry', 'Publish a submitted entry (competent department, CAT-07)', ['competent'], COMPETENT, {}) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'PublishEntry' }),
    );

    app.post<{ Params: { entryId: string }; Body: { reasons: string[] } }>(
      '/v1/entries/:entryId/return',
      { schema: entryCommand('returnEntry', 'Return a submitted entry with reasons (competent department, CAT-07)', ['competent'], COMPETENT, { body: { type: 'object', required: ['reasons'], additionalProperties: false, properties: { reasons: { type: 'array', minItems: 1, items: nonEmpty } } } }) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'ReturnEntry', reasons: req.body.reasons }),
    );

    app.post<{ Params: { entryId: string }; Body: { trigger: (typeof UpdateTriggerValues)[number]; changedAt?: string; description: string } }>(
      '/v1/entries/:entryId/updates',
      {
        schema: entryCommand('startUpdate', 'Open an update after a change in law or duties (due in 10 working days, CAT-08)', ['provider'], PROVIDER, {
          body: { type: 'object', required: ['trigger', 'description'], additionalProperties: false, properties: { trigger: { type: 'string', enum: [...UpdateTriggerValues] }, changedAt: { type: 'string', format: 'date-time' }, description: nonEmpty } },
        }),
      },
      async (req) =>
        commands.execute(req.principal(), req.params.entryId, {
          kind: 'StartUpdate',
          trigger: req.body.trigger,
          description: req.body.description,
          ...(req.body.changedAt === undefined ? {} : { changedAt: new Date(req.body.changedAt) }),
        }),
    );

    app.post<{ Params: { entryId: string }; Body: { reason: string } }>(
      '/v1/entries/:entryId/update-extension',
      { schema: entryCommand('requestUpdateExtension', 'Ask for the one 5-working-day extension (CAT-08)', ['provider'], PROVIDER, { body: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: nonEmpty } } }) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'RequestUpdateExtension', reason: req.body.reason }),
    );

    app.post<{ Params: { entryId: string }; Body: { grant: boolean; reason?: string } }>(
      '/v1/entries/:entryId/update-extension/decision',
      { schema: entryCommand('decideUpdateExtension', 'Grant or refuse the extension (competent department, CAT-08)', ['competent'], COMPETENT, { body: { type: 'object', required: ['grant'], additionalProperties: false, properties: { grant: { type: 'boolean' }, reason: { type: 'string' } } } }) },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'DecideUpdateExtension', grant: req.body.grant, reason: req.body.reason ?? '' }),
    );

    app.get<{ Params: { entryId: string } }>(
      '/v1/entries/:entryId',
      {
        schema: operation(
          { operationId: 'getEntry', summary: 'One entry: state, deadlines, published versions and full history (a draft only to its provider and the competent department; others see the published version)', roles: [], errors: READ_ERRORS },
          { tags, params: idParam, response: { 200: reads.entry } },
        ),
      },
      async (req) => queries.get(req.params.entryId, req.principal()),
    );

    app.get<{ Querystring: { provider?: string; shareAttribute?: ShareAttribute; grade?: Grade; keyword?: string; status?: string; overdue?: boolean; limit?: number; offset?: number } }>(
      '/v1/entries',
      {
        schema: operation({ operationId: 'searchEntries', summary: "Search entries by provider, share attribute, grade, keyword, status, overdue (others' drafts are not found: their published version is)", roles: [] }, {
          tags,
          response: { 200: reads.search },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              provider: { type: 'string', maxLength: 200 },
              shareAttribute: { type: 'string', enum: [...ShareAttributeValues] },
              grade: { type: 'string', enum: [...GradeValues] },
              keyword: { type: 'string', maxLength: 200 },
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
        return queries.search({ ...q, ...(q.overdue === undefined ? {} : { overdueOnly: q.overdue }) }, req.principal());
      },
    );
  };
