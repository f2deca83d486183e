import { createHash } from 'node:crypto';
import { createWriteStream, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, openDatabase, SchemaRegistry, noFailpoints, type Database } from '@govmesh/backbone';
import { signerFromSkey, verifierFromVkey, parseVkey } from '@govmesh/ledger';
import { ledgerOrigin, readAuditConfig, signingKeyFile } from '../config.ts';
import { withCosignatures } from '../ledger/checkpointer.ts';
import { vkeyFileFor } from '../ledger/keys.ts';
import { Ledger } from '../ledger/ledger.ts';
import { LedgerStore } from '../ledger/store.ts';
import { EXPORT_FORMAT, FILES, encodeEntry, type CheckpointLine, type ConsistencyLine, type Manifest, type SeenAgainLine } from './export-format.ts';

/**
 * Exports the ledger to a folder for the offline verifier (format in export-format.ts).
 *
 *   node services/audit/src/cli/export.ts --out <folder> [--size <checkpoint size>] [--vkey <vkey>]
 *
 * Reads the same configuration as the service (DATABASE_URL, AUDIT_DB_SCHEMA, PLATFORM_ID,
 * LEDGER_ORIGIN, SCHEMAS_DIR, WITNESS_VKEYS). It needs only read access to the ledger tables and
 * never the private key: the log vkey comes from --vkey, the .vkey file beside the key file, or
 * (development) the key file itself. Exit 0 on success, 2 on a usage or configuration error.
 */
const PAGE = 5000;

const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

export interface ExportOptions {
  db: Database;
  schema: string;
  out: string;
  origin: string;
  platform: string;
  vkey: string;
  witnessVkeys: readonly string[];
  schemasDir: string;
  registry: SchemaRegistry;
  /** Export up to this checkpoint size; default the latest checkpoint. */
  size?: number;
}

export interface ExportSummary {
  treeSize: number;
  checkpoints: number;
  seenAgain: number;
  out: string;
}

export const exportLedger = async (o: ExportOptions): Promise<ExportSummary> => {
  const store = new LedgerStore(o.db, o.schema);
  const logger = createLogger('audit-export', 'warn');
  // A damaged ledger is still exported as it is, for the verifier to name the damage: only the
  // consistency proofs need the tree, and they are left out when it cannot be rebuilt.
  const ledger = await Ledger.open(store, { platform: o.platform, registry: o.registry, failpoints: noFailpoints, logger }).catch((err: unknown) => {
    logger.error({ err }, 'the tree cannot be restored: exporting without consistency proofs');
    return undefined;
  });
  const latest = await store.latestCheckpoint();
  const size = o.size ?? latest?.size ?? 0;
  if (size > 0 && (await store.checkpoint(size)) === undefined) throw new Error(`no checkpoint was signed at size ${size}`);
  mkdirSync(o.out, { recursive: true });

  const checkpoints = await store.checkpoints(size);
  const cosigs = await store.cosignatures(checkpoints.map((c) => c.size));
  writeFileSync(
    join(o.out, FILES.checkpoints),
    checkpoints.map((c) => JSON.stringify({ size: c.size, note: withCosignatures(c.note, cosigs.filter((x) => x.size === c.size)) } satisfies CheckpointLine)).join('\n') + (checkpoints.length > 0 ? '\n' : ''),
  );
  const proofs: ConsistencyLine[] = [];
  for (let i = 1; i < checkpoints.length; i++) {
    const from = checkpoints[i - 1]!.size;
    const to = checkpoints[i]!.size;
    try {
      if (ledger === undefined) break;
      proofs.push({ from, to, hashes: (await ledger.consistencyProof(from, to)).map((h) => h.toString('base64')) });
    } catch (err) {
      logger.error({ err, from, to }, 'no consistency proof between these checkpoints: the ledger is damaged');
    }
  }
  writeFileSync(join(o.out, FILES.consistency), proofs.map((p) => JSON.stringify(p)).join('\n') + (proofs.length > 0 ? '\n' : ''));

  const entries = createWriteStream(join(o.out, FILES.entries));
  for (let start = 0; start < size; start += PAGE) {
    const rows = await o.db.query<{ leaf: Buffer; chain_hash: Buffer }>(`select leaf, chain_hash from ${o.schema}.entries where idx >= $1 and idx < $2 order by idx`, [start, Math.min(size, start + PAGE)]);
    for (const r of rows) if (!entries.write(encodeEntry(r.leaf, r.chain_hash))) await once(entries, 'drain');
  }
  entries.end();
  await once(entries, 'finish');

  const seen = await store.seenAgain(size);
  writeFileSync(
    join(o.out, FILES.seenAgain),
    seen.map((s) => JSON.stringify({ topic: s.topic, partition: s.partition, offset: s.offset, ceId: s.ceId, firstIndex: s.firstIdx, atSize: s.atSize, leaf: s.leaf.toString('base64') } satisfies SeenAgainLine)).join('\n') + (seen.length > 0 ? '\n' : ''),
  );
  const late = await store.lateEntries(size);
  writeFileSync(join(o.out, FILES.late), late.map((index) => JSON.stringify({ index })).join('\n') + (late.length > 0 ? '\n' : ''));
  writeFileSync(join(o.out, FILES.vkey), `${o.vkey}\n`);
  writeFileSync(join(o.out, FILES.witnesses), o.witnessVkeys.map((v) => `${v}\n`).join(''));
  cpSync(o.schemasDir, join(o.out, FILES.schemas), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.avsc') });

  const files: Record<string, string> = {};
  for (const f of walk(o.out).map((p) => relative(o.out, p)).filter((p) => p !== FILES.manifest).sort()) files[f] = sha256File(join(o.out, f));
  const manifest: Manifest = {
    format: EXPORT_FORMAT,
    origin: o.origin,
    platform: o.platform,
    treeSize: size,
    exportedAt: new Date().toISOString(),
    partitions: await store.watermarksAt(size),
    files,
  };
  writeFileSync(join(o.out, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return { treeSize: size, checkpoints: checkpoints.length, seenAgain: seen.length, out: o.out };
};

/** The log vkey without touching the private key when possible. */
const resolveVkey = (explicit: string | undefined, keyFile: string): string => {
  if (explicit !== undefined) {
    const v = existsSync(explicit) ? readFileSync(explicit, 'utf8').trim() : explicit.trim();
    verifierFromVkey(v);
    return v;
  }
  const beside = vkeyFileFor(keyFile);
  if (existsSync(beside)) return readFileSync(beside, 'utf8').trim();
  const text = readFileSync(keyFile, 'utf8').trim();
  if (text.startsWith('PRIVATE+KEY+')) return signerFromSkey(text).vkey;
  throw new Error(`no vkey: pass --vkey (the log's public key); ${beside} does not exist`);
};

export const exportMain = async (argv: string[], env: Record<string, string | undefined> = process.env, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> => {
  let args;
  try {
    args = parseArgs({ args: argv, options: { out: { type: 'string' }, size: { type: 'string' }, vkey: { type: 'string' } }, strict: true });
  } catch (err) {
    print(`usage: export --out <folder> [--size <checkpoint size>] [--vkey <vkey or file>]\n${(err as Error).message}`);
    return 2;
  }
  const out = args.values.out;
  if (out === undefined) {
    print('usage: export --out <folder> [--size <checkpoint size>] [--vkey <vkey or file>]');
    return 2;
  }
  let config;
  let vkey: string;
  try {
    config = readAuditConfig(env);
    vkey = resolveVkey(args.values.vkey, signingKeyFile(config));
    if (parseVkey(vkey).name !== ledgerOrigin(config)) throw new Error(`the vkey is for ${parseVkey(vkey).name}, not ${ledgerOrigin(config)}`);
  } catch (err) {
    print((err as Error).message);
    return 2;
  }
  const db = await openDatabase({ url: config.DATABASE_URL, poolSize: 2 });
  try {
    const summary = await exportLedger({
      db,
      schema: config.AUDIT_DB_SCHEMA,
      out,
      origin: ledgerOrigin(config),
      platform: config.PLATFORM_ID,
      vkey,
      witnessVkeys: config.WITNESS_VKEYS,
      schemasDir: config.SCHEMAS_DIR,
      registry: SchemaRegistry.fromDirectory(config.SCHEMAS_DIR),
      ...(args.values.size === undefined ? {} : { size: Number(args.values.size) }),
    });
    print(`exported ${summary.treeSize} entries, ${summary.checkpoints} checkpoints, ${summary.seenAgain} duplicates to ${summary.out}`);
    return 0;
  } catch (err) {
    print(`export failed: ${(err as Error).message}`);
    return 2;
  } finally {
    await db.close();
  }
};

if (import.meta.main) process.exitCode = await exportMain(process.argv.slice(2));
