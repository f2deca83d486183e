import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetFormat, ExchangeEvent } from '@govmesh/contracts/avro';
import { GovError, forbidden, notFound, uuidv7, type AggregateCommands, type Clock, type Database, type Migration, type Principal } from '@govmesh/backbone';
import { copyRecipient, deliveredCopy } from '../domain/delivered-copy.ts';
import { fileEncoder } from '../domain/file-formats.ts';
import { fileLinkAccess, keyId, signManifest, tokenDigest, type FileManifest, type SignedManifest } from '../domain/file-manifest.ts';
import type { ShareFileCommand, ShareFileState } from '../domain/share-file.ts';
import type { ShareGrant } from '../domain/share.ts';
import { SCHEMA } from '../events/topics.ts';
import { copySpec, type EntryCatalog } from '../projections/catalog-view.ts';
import type { DatasetQueries } from '../projections/dataset-queries.ts';
import type { ExchangeCommands } from './exchange-commands.ts';

/** A file's aggregate id: its own, correlated to the share (exchange-commands.ts explains why). */
export const fileAggregateId = (fileId: string): string => `file:${fileId}`;

/** The files built, and their links: the write side of file delivery (written in the transaction of ShareFileBuilt). */
export const fileDeliveryMigrations: Migration[] = [
  {
    id: '0005_exchange_share_files',
    sql: `
      create table ${SCHEMA}.share_files (
        file_id text primary key,
        share_id text not null,
        recipient text not null,
        format text not null,
        -- The link's token is never stored, only its SHA-256.
        token_sha256 text not null,
        expires_at timestamptz not null,
        signed_manifest jsonb not null,
        created_at timestamptz not null,
        -- Set once the expired file was deleted from FILES_DIR (the row stays: an expired link still says so).
        removed_at timestamptz
      );
      create index share_files_expiry on ${SCHEMA}.share_files (expires_at) where removed_at is null;`,
  },
];

/** Records read per page while a file is written; the share's access is checked again between pages (SUS-03). */
const PAGE = 5000;
/** A load committed while a file was written makes it mixed: it is written again, at most this many times. */
const ATTEMPTS = 3;

export interface FileBuild {
  signed: SignedManifest;
  /** The single-recipient link: the path with its token (fetched with the recipient's own bearer token). */
  download: { url: string; expiresAt: string };
}

export interface OpenedFile {
  path: string;
  format: DatasetFormat;
  bytes: number;
  sha256: string;
  fileId: string;
}

export interface FileDeliveriesOptions {
  db: Database;
  commands: ExchangeCommands;
  files: AggregateCommands<ShareFileCommand, ExchangeEvent, ShareFileState>;
  datasets: DatasetQueries;
  catalog: EntryCatalog;
  clock: Clock;
  maskingKey: Uint8Array;
  /** The platform's Ed25519 private key that signs manifests. */
  signingKey: KeyObject;
  platform: string;
  /** FILES_DIR, created at start. */
  dir: string;
  linkTtlSeconds: number;
}

/**
 * File download (DLV-02, DLV-06): a file of a share's delivered copy, built from the dataset's
 * current version page by page into FILES_DIR (never held whole in memory), every record
 * through deliveredCopy (approved items, masked, fingerprinted); the manifest the platform signs;
 * an expiring link only the requester may fetch; the build recorded as ShareFileBuilt (and, as
 * the first delivery of an approved share, ShareDeliveryStarted). A fetch checks the link and the
 * share's state again (SUS-01, SUS-03): a cut share's files are refused until it is resumed.
 */
export class FileDeliveries {
  readonly #o: FileDeliveriesOptions;
  readonly publicKey: { algorithm: 'Ed25519'; keyId: string; publicKeyPem: string };

  constructor(opts: FileDeliveriesOptions) {
    this.#o = opts;
    const pub = createPublicKey(opts.signingKey);
    this.publicKey = { algorithm: 'Ed25519', keyId: keyId(pub), publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString() };
  }

  async build(p: Principal, shareId: string, format: DatasetFormat): Promise<FileBuild> {
    const o = this.#o;
    const { share, items } = await o.commands.deliver(p, shareId, 'FILE', o.clock.now());
    await this.removeExpired();
    const fileId = `file-${uuidv7()}`;
    const path = this.#path(fileId, format);
    const written = await this.#write(p, share, items, format, path);
    try {
      const createdAt = o.clock.now();
      const expiresAt = new Date(createdAt.getTime() + o.linkTtlSeconds * 1000).toISOString();
      const manifest: FileManifest = {
        fileId, platform: o.platform, shareId, recipient: share.requester, provider: share.provider, entryId: share.entryId, dataItems: items,
        datasetVersion: written.datasetVersion, recordCount: written.recordCount, format, sha256: written.sha256, bytes: written.bytes,
        watermarkId: copyRecipient(share), createdAt: createdAt.toISOString(), expiresAt,
      };
      const signed = signManifest(manifest, o.signingKey);
      const token = randomBytes(32).toString('base64url');
      await o.files.run(
        fileAggregateId(fileId),
        {
          kind: 'RecordFileBuilt',
          file: {
            fileId, shareId, requester: share.requester, provider: share.provider, entryId: share.entryId, dataItems: items, format, datasetVersion: manifest.datasetVersion,
            recordCount: manifest.recordCount, bytes: manifest.bytes, sha256: manifest.sha256, watermarkId: manifest.watermarkId, signingKeyId: signed.signature.keyId, builtAt: manifest.createdAt, expiresAt,
          },
        },
        p.department.id,
        undefined,
        {
          correlationId: shareId,
          inline: async (tx) => {
            await tx.query(
              `insert into ${SCHEMA}.share_files (file_id, share_id, recipient, format, token_sha256, expires_at, signed_manifest, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
              [fileId, shareId, share.requester, format, tokenDigest(token), expiresAt, JSON.stringify(signed), manifest.createdAt],
            );
          },
        },
      );
      return { signed, download: { url: `/v1/files/${fileId}?token=${token}`, expiresAt } };
    } catch (err) {
      // Not recorded: nothing may be fetched, so nothing is kept.
      await rm(path, { force: true });
      throw err;
    }
  }

  /** The file behind a link, once the link (recipient, token, expiry) and the share's state allow it now. */
  async open(p: Principal, fileId: string, token: string): Promise<OpenedFile> {
    const o = this.#o;
    const [row] = await o.db.query<{ share_id: string; recipient: string; format: DatasetFormat; token_sha256: string; expires_at: string | Date; signed_manifest: SignedManifest }>(
      `select share_id, recipient, format, token_sha256, expires_at, signed_manifest from ${SCHEMA}.share_files where file_id = $1`,
      [fileId],
    );
    if (row === undefined) throw notFound('file', fileId);
    const now = o.clock.now();
    fileLinkAccess({ fileId, shareId: row.share_id, recipient: row.recipient, tokenSha256: row.token_sha256, expiresAt: new Date(row.expires_at).toISOString() }, p.department.id, token, now);
    // SUS-01, SUS-03: the share's state now, not when the file was built.
    await o.commands.recheck(p, row.share_id, 'FILE', now);
    const m = row.signed_manifest.manifest;
    return { path: this.#path(fileId, row.format), format: row.format, bytes: m.bytes, sha256: m.sha256, fileId };
  }

  /** The signed manifest again: for the recipient, the provider, the competent department and auditors (it holds no record). */
  async manifest(p: Principal, fileId: string): Promise<SignedManifest> {
    const [row] = await this.#o.db.query<{ signed_manifest: SignedManifest }>(`select signed_manifest from ${SCHEMA}.share_files where file_id = $1`, [fileId]);
    if (row === undefined) throw notFound('file', fileId);
    const m = row.signed_manifest.manifest;
    const oversight = p.department.roles.includes('competent') || p.department.roles.includes('auditor');
    if (p.department.id !== m.recipient && p.department.id !== m.provider && !oversight) throw forbidden(`the manifest of file ${fileId} is read by the parties of share ${m.shareId}, the competent department and auditors`, 'SEC-14');
    return row.signed_manifest;
  }

  /** Deletes the files whose links have expired (their rows stay, so an expired link still says it expired). */
  async removeExpired(): Promise<number> {
    const rows = await this.#o.db.query<{ file_id: string; format: DatasetFormat }>(
      `update ${SCHEMA}.share_files set removed_at = now() where removed_at is null and expires_at <= $1 returning file_id, format`,
      [this.#o.clock.now().toISOString()],
    );
    await Promise.all(rows.map((r) => rm(this.#path(r.file_id, r.format), { force: true })));
    return rows.length;
  }

  #path(fileId: string, format: DatasetFormat): string {
    return join(this.#o.dir, `${fileId}.${format === 'CSV' ? 'csv' : 'ndjson'}`);
  }

  /**
   * Writes the share's delivered copy of the current dataset version to `path` (through a
   * `.part` file, renamed once whole), hashing as it writes. The version is read before and after:
   * a load committed in between would mix two versions (a changed record moves in the change
   * order), so the file is written again.
   */
  async #write(p: Principal, share: ShareGrant, items: string[], format: DatasetFormat, path: string): Promise<{ datasetVersion: number; recordCount: number; bytes: number; sha256: string }> {
    const o = this.#o;
    const copy = deliveredCopy(await copySpec(o.catalog, share, items, o.maskingKey), share);
    const encode = fileEncoder(format, items);
    const part = `${path}.part`;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      const before = await o.datasets.current(share.entryId);
      const hash = createHash('sha256');
      let bytes = 0;
      let recordCount = 0;
      const fh = await open(part, 'w');
      try {
        const write = async (text: string) => {
          const buf = Buffer.from(text, 'utf8');
          hash.update(buf);
          bytes += buf.length;
          await fh.write(buf);
        };
        if (encode.header !== '') await write(encode.header);
        // The next page is read while this one is masked and written.
        const read = (after: bigint) => {
          const page = o.datasets.page(share.entryId, after, PAGE, null);
          // Awaited in the loop; never an unhandled rejection if the loop stops first.
          page.catch(() => undefined);
          return page;
        };
        let next = read(0n);
        for (;;) {
          const page = await next;
          if (page.rows.length === 0) break;
          next = read(BigInt(page.rows.at(-1)!.seq));
          let chunk = '';
          for (const r of page.rows) {
            if (r.data === null) continue;
            chunk += encode.line(copy(r.data));
            recordCount += 1;
          }
          await write(chunk);
          // SUS-03: a share cut while its file is written gets no file.
          await o.commands.recheck(p, share.shareId, 'FILE', o.clock.now());
        }
      } catch (err) {
        await fh.close();
        await rm(part, { force: true });
        throw err;
      }
      await fh.close();
      const after = await o.datasets.current(share.entryId);
      if (after.version === before.version) {
        await rename(part, path);
        return { datasetVersion: before.version, recordCount, bytes, sha256: hash.digest('hex') };
      }
      await rm(part, { force: true });
    }
    throw new GovError('GOV_ERR_CONCURRENCY_CONFLICT', `the dataset of entry ${share.entryId} changed while each of ${ATTEMPTS} files was written: retry when its loads are done`);
  }
}
