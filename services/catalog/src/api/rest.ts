import type { FastifyInstance } from 'fastify';
import type { CatalogEntryContent, Grade, ShareAttribute } from '@govmesh/contracts/avro';
import { AssessmentKindValues, GradeValues, ShareAttributeValues, UpdateTriggerValues } from '@govmesh/contracts/avro';
import { idSchema, inputInvalid, typedIdSchema, type SchemaRegistry } from '@govmesh/backbone';
import type { CatalogCommands } from '../commands/catalog-commands.ts';
import type { CatalogQueries } from '../projections/catalog-queries.ts';
import { contentJsonSchema, normalizeContent } from './content-mapping.ts';

/**
 * REST API of the catalog (OpenAPI at /docs): the same operations as the gRPC CatalogService.
 * Commands are POSTs on the entry's sub-resources; each answers with the acknowledgement
 * (status, revision, event ids). Bodies are validated against schemas derived from the Avro
 * contracts; violations come back as problem+json naming the field.
 */
const ack = {
  type: 'object',
  properties: { entryId: { type: 'string' }, status: { type: 'string' }, revision: { type: 'integer' }, eventIds: { type: 'array', items: { type: 'string' } } },
} as const;
const idParam = { type: 'object', required: ['entryId'], properties: { entryId: idSchema } } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;

export const catalogRoutes = (deps: { commands: CatalogCommands; queries: CatalogQueries; registry: SchemaRegistry }) =>
  async (app: FastifyInstance): Promise<void> => {
    const content = contentJsonSchema(deps.registry);
    const { commands, queries } = deps;
    const tags = ['catalog'];

    app.post<{ Body: { entryId?: string; content: Partial<CatalogEntryContent> } }>(
      '/v1/entries',
      { schema: { tags, summary: 'Draft a catalog entry', body: { type: 'object', required: ['content'], additionalProperties: false, properties: { entryId: typedIdSchema('catalogEntry'), content } }, response: { 201: ack } } },
      async (req, reply) => reply.status(201).send(await commands.draft(req.principal(), req.body.entryId, normalizeContent(req.body.content))),
    );

    app.put<{ Params: { entryId: string }; Body: { content: Partial<CatalogEntryContent> } }>(
      '/v1/entries/:entryId/content',
      { schema: { tags, summary: 'Revise the draft (assessments must be redone)', params: idParam, body: { type: 'object', required: ['content'], additionalProperties: false, properties: { content } }, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'ReviseEntry', content: normalizeContent(req.body.content) }),
    );

    app.post<{ Params: { entryId: string }; Body: { kind: (typeof AssessmentKindValues)[number]; reference: string; conclusion: string } }>(
      '/v1/entries/:entryId/assessments',
      {
        schema: {
          tags,
          summary: 'Record a secrecy-risk or personal-information impact assessment (CAT-02)',
          params: idParam,
          body: { type: 'object', required: ['kind', 'reference', 'conclusion'], additionalProperties: false, properties: { kind: { type: 'string', enum: [...AssessmentKindValues] }, reference: nonEmpty, conclusion: nonEmpty } },
          response: { 200: ack },
        },
      },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'RecordAssessment', assessment: req.body.kind, reference: req.body.reference, conclusion: req.body.conclusion }),
    );

    app.post<{ Params: { entryId: string }; Body: { approver: string } }>(
      '/v1/entries/:entryId/head-approval',
      { schema: { tags, summary: 'Record the department head approval (CAT-02)', params: idParam, body: { type: 'object', required: ['approver'], additionalProperties: false, properties: { approver: nonEmpty } }, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'ApproveByHead', approver: req.body.approver }),
    );

    app.post<{ Params: { entryId: string } }>(
      '/v1/entries/:entryId/submission',
      { schema: { tags, summary: 'Submit to the same-level competent department (CAT-07)', params: idParam, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'SubmitEntry' }),
    );

    app.post<{ Params: { entryId: string } }>(
      '/v1/entries/:entryId/publication',
      { schema: { tags, summary: 'Publish a submitted entry (competent department, CAT-07)', params: idParam, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'PublishEntry' }),
    );

    app.post<{ Params: { entryId: string }; Body: { reasons: string[] } }>(
      '/v1/entries/:entryId/return',
      { schema: { tags, summary: 'Return a submitted entry with reasons (competent department, CAT-07)', params: idParam, body: { type: 'object', required: ['reasons'], additionalProperties: false, properties: { reasons: { type: 'array', minItems: 1, items: nonEmpty } } }, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'ReturnEntry', reasons: req.body.reasons }),
    );

    app.post<{ Params: { entryId: string }; Body: { trigger: (typeof UpdateTriggerValues)[number]; changedAt?: string; description: string } }>(
      '/v1/entries/:entryId/updates',
      {
        schema: {
          tags,
          summary: 'Open an update after a change in law or duties (due in 10 working days, CAT-08)',
          params: idParam,
          body: { type: 'object', required: ['trigger', 'description'], additionalProperties: false, properties: { trigger: { type: 'string', enum: [...UpdateTriggerValues] }, changedAt: { type: 'string', format: 'date-time' }, description: nonEmpty } },
          response: { 200: ack },
        },
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
      { schema: { tags, summary: 'Ask for the one 5-working-day extension (CAT-08)', params: idParam, body: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: nonEmpty } }, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'RequestUpdateExtension', reason: req.body.reason }),
    );

    app.post<{ Params: { entryId: string }; Body: { grant: boolean; reason?: string } }>(
      '/v1/entries/:entryId/update-extension/decision',
      { schema: { tags, summary: 'Grant or refuse the extension (competent department, CAT-08)', params: idParam, body: { type: 'object', required: ['grant'], additionalProperties: false, properties: { grant: { type: 'boolean' }, reason: { type: 'string' } } }, response: { 200: ack } } },
      async (req) => commands.execute(req.principal(), req.params.entryId, { kind: 'DecideUpdateExtension', grant: req.body.grant, reason: req.body.reason ?? '' }),
    );

    app.get<{ Params: { entryId: string } }>(
      '/v1/entries/:entryId',
      { schema: { tags, summary: 'One entry: state, deadlines, published versions and full history (a draft only to its provider and the competent department; others see the published version)', params: idParam } },
      async (req) => queries.get(req.params.entryId, req.principal()),
    );

    app.get<{ Querystring: { provider?: string; shareAttribute?: ShareAttribute; grade?: Grade; keyword?: string; status?: string; overdue?: boolean; limit?: number; offset?: number } }>(
      '/v1/entries',
      {
        schema: {
          tags,
          summary: 'Search entries by provider, share attribute, grade, keyword, status, overdue (others\' drafts are not found: their published version is)',
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
        },
      },
      async (req) => {
        const q = req.query;
        if (q.offset !== undefined && q.limit === undefined) throw inputInvalid([{ field: 'querystring.limit', description: 'required with offset' }]);
        return queries.search({ ...q, ...(q.overdue === undefined ? {} : { overdueOnly: q.overdue }) }, req.principal());
      },
    );
  };
