import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { COMMAND_ERRORS, GovError, READ_ERRORS, idSchema, notFound, forbidden, operation, requireRole, type Clock, type Principal } from '@govmesh/backbone';
import type { ExchangeCommands } from '../commands/exchange-commands.ts';
import type { DeliveryCalls } from '../commands/delivery-calls.ts';
import { MAX_PULL_LIMIT, type RecordPull } from '../commands/record-pull.ts';
import type { ShareGrant } from '../domain/share.ts';
import type { EntryCatalog } from '../projections/catalog-view.ts';
import type { DatasetQueries } from '../projections/dataset-queries.ts';
import type { Shares } from '../projections/share-view.ts';
import { bounded, csvRows, extractRows, ndjsonRows } from './upload-formats.ts';
import { traceExtract } from '../projections/leak-trace.ts';

/**
 * REST API of the exchange service (OpenAPI at /docs). Uploads and pulls are streamed: an upload
 * body (NDJSON or CSV) is read row by row, never held whole; a pull answers NDJSON, one line per
 * record, each with the cursor to resume after it.
 */
const NDJSON = 'application/x-ndjson';
const CSV = 'text/csv';

const entryParam = { type: 'object', required: ['entryId'], properties: { entryId: idSchema } } as const;
const shareParam = { type: 'object', required: ['shareId'], properties: { shareId: idSchema } } as const;
const itemName = { type: 'string', minLength: 1, maxLength: 200 } as const;

const int = { type: 'integer', minimum: 0 } as const;
const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;
const obj = (properties: Record<string, unknown>) => ({ type: 'object', required: Object.keys(properties), properties }) as const;

/** The answers (LoadResult, DatasetInfo, ShareGrant, a pull's lines), as the commands and views return them. */
const loadResult = {
  ...obj({ entryId: str, datasetVersion: int, loadId: str, keyItem: str, rows: int, upserted: int, deleted: int, recordCount: int, replayed: { type: 'boolean', description: 'this loadId had been committed before: nothing changed now' }, eventIds: strings }),
  examples: [{ entryId: 'ce-0199a0c2-7d1e-7c3a-9f00-4b2d1e6a8c11', datasetVersion: 1, loadId: 'load-2026-09-21', keyItem: 'citizen_id', rows: 2, upserted: 2, deleted: 0, recordCount: 2, replayed: false, eventIds: ['0199a0c2-7d1f-7000-8000-1a2b3c4d5e6f'] }],
};
const datasetInfo = obj({
  entryId: str,
  provider: str,
  currentVersion: int,
  keyItem: str,
  recordCount: int,
  history: { type: 'array', items: obj({ datasetVersion: int, entryVersion: int, loadedBy: str, loadId: str, keyItem: str, format: { type: 'string', enum: ['NDJSON', 'CSV'] }, rows: int, upserted: int, deleted: int, recordCount: int, bytes: int, loadedAt: { type: 'string', format: 'date-time' }, eventId: str }) },
});
const shareGrant = obj({
  shareId: str,
  state: { type: 'string', enum: ['NONE', 'REQUESTED', 'REFUSED', 'WITHDRAWN', 'APPROVED', 'ACTIVE', 'SUSPENDED', 'TERMINATED', 'ENDED'] },
  requester: str,
  provider: str,
  entryId: str,
  shareMethod: { type: ['string', 'null'] },
  requestedItems: strings,
  approvedItems: strings,
  periodFrom: { type: 'string', description: 'YYYY-MM-DD (China), included' },
  periodUntil: { type: 'string', description: 'YYYY-MM-DD (China), included' },
});
const score = obj({ shareId: str, requester: str, matches: int, voted: int, pInnocent: { type: 'number', minimum: 0, maximum: 1 } });
const traceAnswer = {
  ...obj({
    entryId: str,
    rows: int,
    marks: { ...int, description: 'masked values that carried a fingerprint mark' },
    skippedLines: int,
    threshold: { type: 'number', description: 'a recipient is named when an innocent one would score as high with a probability below this' },
    named: { anyOf: [obj({ shareId: str, requester: str, pInnocent: { type: 'number' } }), { type: 'null' }] },
    scores: { type: 'array', maxItems: 10, items: score },
  }),
};
const shareUsage = obj({ shareId: str, days: { type: 'array', items: obj({ day: { type: 'string', description: 'YYYY-MM-DD (China)' }, method: str, calls: int, records: int, bytes: int }) } });
const pullLine = {
  description: 'One line of the NDJSON stream: a record (only the approved items, masked by grade) or, with changedSince, a deletion',
  anyOf: [obj({ cursor: str, record: { type: 'object' } }), obj({ cursor: str, deleted: { type: 'object' } })],
};

const mediaType = (req: FastifyRequest): string => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();


export const exchangeRoutes = (deps: { commands: ExchangeCommands; datasets: DatasetQueries; catalog: EntryCatalog; shares: Shares; calls: DeliveryCalls; pull: RecordPull; clock: Clock; maskingKey: Uint8Array; uploadMaxBytes: number }) =>
  async (app: FastifyInstance): Promise<void> => {
    const { commands, datasets } = deps;
    // The upload's body is read by the route as a stream, never buffered by the framework.
    app.addContentTypeParser([NDJSON, CSV], (_req, _payload, done) => done(null, undefined));

    app.post<{ Params: { entryId: string }; Querystring: { key?: string; loadId?: string } }>(
      '/v1/datasets/:entryId/records',
      {
        schema: operation(
          {
            operationId: 'loadRecords',
            summary: "The provider loads records into its published entry's dataset: NDJSON (application/x-ndjson) or CSV (text/csv with a header), streamed; every row checked against the entry's data items; all or nothing; a new dataset version (SEC-01, DLV-04)",
            roles: ['provider'],
            who: "the entry's providing department",
            errors: COMMAND_ERRORS,
          },
          {
            tags: ['datasets'],
            params: entryParam,
            querystring: { type: 'object', additionalProperties: false, properties: { key: itemName, loadId: idSchema } },
            // Documented only: the route reads the body as a stream (the parser above hands it nothing to validate).
            consumes: [NDJSON, CSV],
            body: { description: 'NDJSON: one JSON object per line, every data item of the entry; CSV: a header naming the items, then the rows. A row {"_op": "delete", "<key>": ...} deletes by key.', examples: ['{"citizen_id": "110101199003071234", "name": "张三"}\n'] },
            response: { 201: { description: 'A new dataset version', ...loadResult }, 200: { description: 'This loadId was loaded before: nothing changed (replayed)', ...loadResult } },
          },
        ),
      },
      async (req, reply) => {
        const p = req.principal();
        const type = mediaType(req);
        if (type !== NDJSON && type !== CSV) throw new GovError('GOV_ERR_MEDIA_TYPE_UNSUPPORTED', `send the records as ${NDJSON} or ${CSV}, not ${JSON.stringify(type)}`);
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > deps.uploadMaxBytes) throw new GovError('GOV_ERR_BODY_TOO_LARGE', `the upload is over the ${deps.uploadMaxBytes}-byte limit: nothing of it was loaded`, { violations: [{ field: 'body', description: `at most ${deps.uploadMaxBytes} bytes` }] });
        const counter = { bytes: 0 };
        // Not destroyed when reading stops early (a bound, too many bad rows): the answer must still reach the client.
        const body = bounded(req.raw.iterator({ destroyOnReturn: false }), deps.uploadMaxBytes, counter);
        try {
          const result = await commands.load(p, req.params.entryId, {
            key: req.query.key ?? '',
            ...(req.query.loadId === undefined ? {} : { loadId: req.query.loadId }),
            format: type === NDJSON ? 'NDJSON' : 'CSV',
            bytes: () => counter.bytes,
            rows: (fields, keyItem) => (type === NDJSON ? ndjsonRows(body, fields, keyItem) : csvRows(body, fields, keyItem)),
          });
          return reply.status(result.replayed ? 200 : 201).send(result);
        } catch (err) {
          if (!req.raw.complete) {
            // The rest of the body is read and dropped (a client sending it would not read the
            // answer otherwise), for at most 30 s; the connection is not reused.
            void reply.header('connection', 'close');
            req.raw.resume();
            setTimeout(() => req.raw.destroy(), 30_000).unref();
          }
          throw err;
        }
      },
    );

    app.get<{ Params: { entryId: string } }>(
      '/v1/datasets/:entryId',
      {
        schema: operation(
          { operationId: 'getDataset', summary: 'The dataset behind an entry: its current version, key and record count, and every load', roles: ['provider', 'competent', 'auditor'], who: "the entry's providing department, the competent department, auditors", errors: READ_ERRORS },
          { tags: ['datasets'], params: entryParam, response: { 200: datasetInfo } },
        ),
      },
      async (req) => datasets.dataset(req.principal(), req.params.entryId),
    );

    app.get<{ Params: { shareId: string } }>(
      '/v1/shares/:shareId',
      {
        schema: operation(
          { operationId: 'getShare', summary: 'A share as the exchange knows it from the request events: state, approved items, method, period of use', roles: ['requester', 'provider', 'competent', 'auditor'], who: 'its parties, the competent department, auditors', errors: READ_ERRORS },
          { tags: ['shares'], params: shareParam, response: { 200: shareGrant } },
        ),
      },
      async (req) => readableShare(req.principal(), req.params.shareId),
    );

    app.get<{ Params: { shareId: string } }>(
      '/v1/shares/:shareId/usage',
      {
        schema: operation(
          { operationId: 'getShareUsage', summary: "A share's deliveries per China day and method: calls, records and bytes (REC-01, REC-03; what the limits of DLV-07 count)", roles: ['requester', 'provider', 'competent', 'auditor'], who: 'its parties, the competent department, auditors', errors: READ_ERRORS },
          { tags: ['shares'], params: shareParam, response: { 200: shareUsage } },
        ),
      },
      async (req) => {
        await readableShare(req.principal(), req.params.shareId);
        return deps.calls.usage(req.params.shareId);
      },
    );

    /** A share as its parties, the competent department and auditors read it (SEC-14). */
    const readableShare = async (p: Principal, shareId: string): Promise<ShareGrant> => {
      const share = await deps.shares.get(shareId);
      if (share === null) throw notFound('share', shareId);
      const oversight = p.department.roles.includes('competent') || p.department.roles.includes('auditor');
      if (p.department.id !== share.requester && p.department.id !== share.provider && !oversight) throw forbidden(`share ${share.shareId} is read by its parties`, 'SEC-14');
      return share;
    };

    app.get<{ Params: { shareId: string }; Querystring: { cursor?: string; changedSince?: number; limit?: number } }>(
      '/v1/shares/:shareId/records',
      {
        schema: operation({
          operationId: 'pullRecords',
          summary:
            "API pull (DLV-02): the requester streams its share's records as NDJSON, one {cursor, record} per line (a deletion since changedSince: {cursor, deleted}), only the approved items, masked by grade (SEC-01, SEC-16); resume with the last cursor received; refused with 403 naming the share's state unless it is approved or active and within its period of use (USE-01, SUS-01)",
          roles: ['requester'],
          who: "the share's requesting department",
          // The first delivery is a command on the share (ShareDeliveryStarted).
          errors: COMMAND_ERRORS,
        }, {
          tags: ['shares'],
          params: shareParam,
          response: { 200: { description: 'The records, one line each', headers: { 'x-dataset-version': { type: 'string', description: 'the dataset version the stream reads' } }, content: { [NDJSON]: { schema: pullLine } } } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              cursor: { type: 'string', maxLength: 20 },
              changedSince: { type: 'integer', minimum: 0, description: 'a dataset version: only records changed after it, deletions included' },
              limit: { type: 'integer', minimum: 1, maximum: MAX_PULL_LIMIT },
            },
          },
        }),
      },
      async (req, reply) => pull(req, reply, req.principal()),
    );

    app.post<{ Params: { entryId: string } }>(
      '/v1/datasets/:entryId/trace',
      {
        schema: operation(
          {
            operationId: 'traceLeak',
            summary:
              "Leak tracing (SEC-17): a suspect extract of the entry's data (NDJSON or CSV, streamed; rows and columns may be missing, values altered) is read for the recipient fingerprints every delivered copy carries; the answer names the share and department it came from when an innocent recipient would score as high with probability below the threshold, and ranks the candidates",
            roles: ['competent'],
            who: 'the competent department',
            errors: READ_ERRORS,
          },
          {
            tags: ['datasets'],
            params: entryParam,
            consumes: [NDJSON, CSV],
            body: { description: 'The suspect extract as found: NDJSON (objects, or pull lines {cursor, record}) or CSV with a header' },
            response: { 200: traceAnswer },
          },
        ),
      },
      async (req) => {
        requireRole(req.principal(), 'competent', 'SEC-17');
        const type = mediaType(req);
        if (type !== NDJSON && type !== CSV) throw new GovError('GOV_ERR_MEDIA_TYPE_UNSUPPORTED', `send the extract as ${NDJSON} or ${CSV}, not ${JSON.stringify(type)}`);
        const skipped = { lines: 0 };
        const body = bounded(req.raw.iterator({ destroyOnReturn: false }), deps.uploadMaxBytes, { bytes: 0 });
        return traceExtract({ catalog: deps.catalog, shares: deps.shares, key: deps.maskingKey }, req.params.entryId, extractRows(body, type === NDJSON ? 'NDJSON' : 'CSV', skipped), skipped);
      },
    );

    const pull = async (req: FastifyRequest<{ Params: { shareId: string }; Querystring: { cursor?: string; changedSince?: number; limit?: number } }>, reply: FastifyReply, p: Principal) => {
      const opened = await deps.pull.open(p, { shareId: req.params.shareId, cursor: req.query.cursor, changedSince: req.query.changedSince, limit: req.query.limit, cursorField: 'querystring.cursor' });
      async function* chunks(): AsyncGenerator<string> {
        for await (const lines of opened.pages) {
          // One write per page, not per record.
          let chunk = '';
          for (const l of lines) chunk += `${JSON.stringify(l)}\n`;
          opened.wrote(Buffer.byteLength(chunk));
          yield chunk;
        }
      }
      return reply.type(NDJSON).header('x-dataset-version', String(opened.datasetVersion)).send(Readable.from(chunks()));
    };
  };
