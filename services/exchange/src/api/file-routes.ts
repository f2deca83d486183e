import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { COMMAND_ERRORS, GovError, READ_ERRORS, idSchema, operation } from '@govmesh/backbone';
import type { FileDeliveries } from '../commands/file-deliveries.ts';
import { FILE_MEDIA_TYPES } from '../domain/file-formats.ts';

/**
 * REST API of file download (DLV-02, DLV-06): the requester has a file built for its share and
 * gets the signed manifest and a single-recipient link that expires; the link is fetched with the
 * requester's own bearer token; the platform's public key is published so anyone can verify a
 * file offline (`npm run verify-file`).
 */
const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const obj = (properties: Record<string, unknown>) => ({ type: 'object', required: Object.keys(properties), properties }) as const;

const manifest = obj({
  fileId: str, platform: str, shareId: str, recipient: str, provider: str, entryId: str, dataItems: { type: 'array', items: str },
  datasetVersion: int, recordCount: int, format: { type: 'string', enum: ['CSV', 'NDJSON'] }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' }, bytes: int,
  watermarkId: { type: 'string', description: 'the recipient the records\' fingerprint names (SEC-17)' }, createdAt: { type: 'string', format: 'date-time' }, expiresAt: { type: 'string', format: 'date-time', description: 'when the download link dies' },
});
const signedManifest = {
  ...obj({ manifest, signature: obj({ algorithm: { type: 'string', enum: ['Ed25519'] }, keyId: str, value: { type: 'string', description: 'base64 Ed25519 signature of "govmesh file manifest v1\\n" followed by the manifest as canonical JSON (keys sorted, no whitespace)' } }) }),
  description: 'The manifest the platform signed (Ed25519); verify it offline with the key of GET /v1/files/signing-key',
};
const fileBuild = obj({
  manifest,
  signature: signedManifest.properties.signature,
  download: obj({ url: { type: 'string', description: 'GET it with your own bearer token; only your department can, until expiresAt' }, expiresAt: { type: 'string', format: 'date-time' } }),
});
const fileParam = { type: 'object', required: ['fileId'], properties: { fileId: idSchema } } as const;

export const fileDeliveryRoutes = (deps: { files: FileDeliveries }) =>
  async (app: FastifyInstance): Promise<void> => {
    const { files } = deps;

    app.post<{ Params: { shareId: string }; Body: { format: 'CSV' | 'NDJSON' } }>(
      '/v1/shares/:shareId/files',
      {
        schema: operation(
          {
            operationId: 'buildFile',
            summary:
              "File download (DLV-02, DLV-06): the requester of a share approved for FILE has a file built from the dataset's current version (CSV or NDJSON), only the approved items, masked by grade and fingerprinted for it (SEC-16, SEC-17); answered with the manifest the platform signs (Ed25519) and a single-recipient link that expires; refused with 403 naming the share's state unless it is approved or active and within its period of use (USE-01, SUS-01)",
            roles: ['requester'],
            who: "the share's requesting department",
            // The build is a command on the share's deliveries (ShareDeliveryStarted, ShareFileBuilt); a dataset loaded during three builds is a conflict.
            errors: COMMAND_ERRORS,
          },
          {
            tags: ['files'],
            params: { type: 'object', required: ['shareId'], properties: { shareId: idSchema } },
            body: { type: 'object', additionalProperties: false, required: ['format'], properties: { format: { type: 'string', enum: ['CSV', 'NDJSON'] } }, examples: [{ format: 'CSV' }] },
            response: { 201: { description: 'The file is built', ...fileBuild } },
          },
        ),
      },
      async (req, reply) => {
        const built = await files.build(req.principal(), req.params.shareId, req.body.format);
        return reply.status(201).send({ ...built.signed, download: built.download });
      },
    );

    app.get(
      '/v1/files/signing-key',
      {
        schema: operation(
          { operationId: 'getFileSigningKey', summary: 'The platform public key that signs file manifests (Ed25519, SPKI PEM), to verify files offline', roles: [] },
          { tags: ['files'], response: { 200: obj({ algorithm: { type: 'string', enum: ['Ed25519'] }, keyId: str, publicKeyPem: str }) } },
        ),
      },
      async () => files.publicKey,
    );

    app.get<{ Params: { fileId: string } }>(
      '/v1/files/:fileId/manifest',
      {
        schema: operation(
          { operationId: 'getFileManifest', summary: "A built file's signed manifest (it holds no record)", roles: ['requester', 'provider', 'competent', 'auditor'], who: "the share's parties, the competent department, auditors", errors: READ_ERRORS },
          { tags: ['files'], params: fileParam, response: { 200: signedManifest } },
        ),
      },
      async (req) => files.manifest(req.principal(), req.params.fileId),
    );

    app.get<{ Params: { fileId: string }; Querystring: { token: string } }>(
      '/v1/files/:fileId',
      {
        schema: operation(
          {
            operationId: 'downloadFile',
            summary:
              "Fetches a built file through its link: only the share's requester, with its own bearer token and the link's token, before the link expires (403 naming which failed), and only while the share may still be delivered (403 naming its state: a suspended, terminated or ended share's files are cut, SUS-01, SUS-03)",
            roles: ['requester'],
            who: 'the department the file was built for',
            errors: READ_ERRORS,
          },
          {
            tags: ['files'],
            params: fileParam,
            querystring: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 100 } } },
            response: {
              200: {
                description: 'The file, byte for byte as the manifest describes it',
                headers: { 'x-file-sha256': { type: 'string', description: 'SHA-256 of the file (lowercase hex), as in the manifest' } },
                content: Object.fromEntries(Object.values(FILE_MEDIA_TYPES).map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
              },
            },
          },
        ),
      },
      async (req, reply) => {
        const f = await files.open(req.principal(), req.params.fileId, req.query.token);
        const stream = createReadStream(f.path);
        // Opened before the answer starts, so a missing file is a problem answer, not a broken stream.
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', (err) => reject(new GovError('GOV_ERR_UNAVAILABLE', `file ${f.fileId} is not in this replica's FILES_DIR (every replica must share it)`, { cause: err })));
        });
        const ext = f.format === 'CSV' ? 'csv' : 'ndjson';
        return reply
          .type(`${FILE_MEDIA_TYPES[f.format]}; charset=utf-8`)
          .header('content-length', String(f.bytes))
          .header('content-disposition', `attachment; filename="${f.fileId}.${ext}"`)
          .header('x-file-sha256', f.sha256)
          .send(stream);
      },
    );
  };
