import type { FastifyInstance } from 'fastify';
import { READ_ERRORS, forbidden, idSchema, notFound, operation } from '@govmesh/backbone';
import { PUSH_HEADERS } from '../domain/push.ts';
import { sharePushSchema } from '../events/batch-push.ts';
import { deliveryTopic } from '../events/topics.ts';
import type { EntryCatalog } from '../projections/catalog-view.ts';
import type { Shares } from '../projections/share-view.ts';

/**
 * REST of the batch push (DLV-02): the schema a share's pushed records are written with, so that
 * its requester can decode them (Avro single-object encoding: each record names this schema by
 * its fingerprint), and where they are published.
 */
const str = { type: 'string' } as const;
const pushSchemaAnswer = {
  type: 'object',
  required: ['shareId', 'topic', 'fingerprint', 'schema', 'fields', 'headers'],
  properties: {
    shareId: str,
    topic: { type: 'string', description: "the requesting department's delivery topic" },
    fingerprint: { type: 'string', description: 'CRC-64-AVRO of the canonical form, as the 8 little-endian bytes after C3 01 in each record, in hex' },
    schema: { type: 'object', additionalProperties: true, description: 'the Avro record schema (one nullable field per approved data item, as delivered: masked items are text, withheld ones null)' },
    fields: { type: 'array', items: { type: 'object', required: ['item', 'field', 'rule'], properties: { item: str, field: str, rule: str } } },
    headers: { type: 'object', additionalProperties: str, description: 'the Kafka headers every pushed record carries, by what they hold' },
  },
} as const;

export const pushRoutes = (deps: { platform: string; catalog: EntryCatalog; shares: Shares; maskingKey: Uint8Array }) =>
  async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: { shareId: string } }>(
      '/v1/shares/:shareId/push-schema',
      {
        schema: operation(
          {
            operationId: 'getPushSchema',
            summary: "Batch push (DLV-02): the Avro schema of a BATCH share's pushed records (its approved items, as delivered: masked by grade), its fingerprint and the delivery topic",
            roles: ['requester', 'provider', 'competent', 'auditor'],
            who: 'its parties, the competent department, auditors',
            errors: READ_ERRORS,
          },
          { tags: ['shares'], params: { type: 'object', required: ['shareId'], properties: { shareId: idSchema } }, response: { 200: pushSchemaAnswer } },
        ),
      },
      async (req) => {
        const p = req.principal();
        const share = await deps.shares.get(req.params.shareId);
        if (share === null) throw notFound('share', req.params.shareId);
        const oversight = p.department.roles.includes('competent') || p.department.roles.includes('auditor');
        if (p.department.id !== share.requester && p.department.id !== share.provider && !oversight) throw forbidden(`share ${share.shareId} is read by its parties`, 'SEC-14');
        if (share.shareMethod !== 'BATCH') throw forbidden(`share ${share.shareId} is delivered by ${share.shareMethod ?? 'no method'}, not pushed (BATCH)`, 'DLV-02');
        const { schema } = await sharePushSchema(deps.catalog, share, share.approvedItems, deps.maskingKey);
        return {
          shareId: share.shareId,
          topic: deliveryTopic(deps.platform, share.requester),
          fingerprint: schema.entry.fingerprintHex,
          schema: schema.json,
          fields: schema.fields,
          headers: { shareId: PUSH_HEADERS.shareId, datasetVersion: PUSH_HEADERS.datasetVersion, recordKey: PUSH_HEADERS.recordKey, op: PUSH_HEADERS.op, seq: PUSH_HEADERS.seq },
        };
      },
    );
  };
