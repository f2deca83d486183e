import { createHash, hash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@govmesh/backbone';
import {
  HASH_SIZE, SubtreeHashCache, inclusionProof, openCheckpoint, parseVkey, verifierFromVkey, verifyConsistency, verifyInclusion,
  type NoteVerifier,
} from '@govmesh/ledger';
import { CompletenessChecker, type SeenAgainEntry } from '../domain/completeness.ts';
import { foldLifecycle, lifecycleLines, linkedIds, type LifecycleInput } from '../domain/lifecycle.ts';
import { contentDigest, jsonSafe, ledgerRecord, readEvent, type LedgerRecord } from '../domain/record.ts';
import { TILE_WIDTH, TileTree, treeHashSource } from '../domain/tree.ts';
import { EXPORT_FORMAT, FILES, readEntries, type CheckpointLine, type ConsistencyLine, type Manifest, type SeenAgainLine } from './export-format.ts';

/**
 * The offline verifier. It needs the export folder and nothing else: no network, no database,
 * no govmesh service. It checks, in order:
 *
 *   files         every file's SHA-256 against the manifest (damage in transit)
 *   checkpoints   every signed note against the log vkey (and cosignatures against the witness vkeys)
 *   consistency   RFC 9162 consistency proofs between successive checkpoints: the log only grew
 *   entries       every leaf decodes (LEAF-FORMAT.md) and follows the recorded hash chain
 *   roots         the Merkle root recomputed from the entries equals every checkpoint's root
 *   inclusion     inclusion proofs, built from the entries, verify against the latest checkpoint
 *                 (a sample by default, `--inclusion all`, or given indices)
 *   completeness  offsets without holes per topic-partition, contiguous aggregate versions, ledger
 *                 order, duplicates explained (domain/completeness.ts)
 *   events        every event decodes as a CloudEvent with an Avro body using the exported schemas
 *   lifecycle     with `--lifecycle <id>`, the share's timeline and final state
 *
 *   node services/audit/src/cli/verify.ts <export folder> [--lifecycle <id>] [--inclusion sample|all|<i,j,...>] [--accept-undecodable]
 *
 * Output is deterministic (no timings, no paths). Exit 0 when every check passes (warnings
 * allowed), 1 on any failure (each names the entry: index, topic/partition/offset, ce_id), 2
 * when the folder cannot be read as an export.
 */
const MAX_LINES_PER_CHECK = 50;
const LEAF_PREFIX = Buffer.from([0x00]);

export interface VerifyOptions {
  dir: string;
  lifecycle?: string | undefined;
  /** The service whose aggregate the lifecycle id names, when two services' aggregates share it. */
  lifecycleService?: string | undefined;
  inclusion?: 'sample' | 'all' | number[];
  acceptUndecodable?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  failures: number;
  warnings: number;
  entries: number;
  checkpoints: number;
  lines: string[];
}

/** Leaf hashes kept compactly (32 bytes each, in 2 MiB chunks) for proofs after the stream. */
class LeafHashes {
  readonly #chunks: Buffer[] = [];
  #n = 0;
  static readonly PER_CHUNK = 65536;
  push(h: Buffer): void {
    const c = Math.floor(this.#n / LeafHashes.PER_CHUNK);
    if (c === this.#chunks.length) this.#chunks.push(Buffer.allocUnsafe(LeafHashes.PER_CHUNK * HASH_SIZE));
    h.copy(this.#chunks[c]!, (this.#n % LeafHashes.PER_CHUNK) * HASH_SIZE);
    this.#n += 1;
  }
  get(i: number): Buffer | undefined {
    if (i < 0 || i >= this.#n) return undefined;
    const off = (i % LeafHashes.PER_CHUNK) * HASH_SIZE;
    return this.#chunks[Math.floor(i / LeafHashes.PER_CHUNK)]!.subarray(off, off + HASH_SIZE);
  }
}

const where = (index: number, r: Pick<LedgerRecord, 'topic' | 'partition' | 'offset' | 'ceId'> | undefined) =>
  r === undefined ? `entry ${index}` : `entry ${index} (${r.topic}/${r.partition}/${r.offset}, ce_id ${r.ceId || '-'})`;

const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

const jsonLines = <T>(file: string): T[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as T)
    : [];

const lifecycleInput = (index: number, r: LedgerRecord, registry: SchemaRegistry | undefined): LifecycleInput => {
  const reading = registry === undefined ? { problem: 'no schemas' } : readEvent(r, registry);
  return {
    index,
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    ceId: r.ceId,
    type: r.ceType,
    source: r.ceSource,
    subject: r.ceSubject,
    time: r.ceTime,
    correlationId: r.correlationId,
    sequence: r.sequence,
    data: reading.decoded === undefined ? null : (jsonSafe(reading.decoded.value) as Record<string, unknown>),
    problem: reading.problem,
  };
};

export const verifyExport = async (opts: VerifyOptions): Promise<VerifyReport> => {
  const lines: string[] = [];
  let failures = 0;
  let warnings = 0;
  const perCheck = new Map<string, number>();
  const fail = (check: string, msg: string) => {
    failures += 1;
    const n = (perCheck.get(check) ?? 0) + 1;
    perCheck.set(check, n);
    if (n <= MAX_LINES_PER_CHECK) lines.push(`FAIL ${check}: ${msg}`);
  };
  const warn = (check: string, msg: string) => {
    warnings += 1;
    const n = (perCheck.get(`w:${check}`) ?? 0) + 1;
    perCheck.set(`w:${check}`, n);
    if (n <= MAX_LINES_PER_CHECK) lines.push(`WARN ${check}: ${msg}`);
  };
  const failed = (check: string) => (perCheck.get(check) ?? 0) > 0;
  const dir = opts.dir;

  const manifest = JSON.parse(readFileSync(join(dir, FILES.manifest), 'utf8')) as Manifest;
  if (manifest.format !== EXPORT_FORMAT) throw new Error(`not a ${EXPORT_FORMAT} folder (format ${String(manifest.format)})`);
  lines.push(`ledger export of ${manifest.origin} (platform ${manifest.platform}): ${manifest.treeSize} entries`);

  // files
  for (const [file, digest] of Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(dir, file);
    if (!existsSync(path)) fail('files', `${file} is missing`);
    else if (createHash('sha256').update(readFileSync(path)).digest('hex') !== digest) fail('files', `${file} differs from the manifest (changed after export)`);
  }
  for (const f of walk(dir).map((p) => relative(dir, p)).sort()) {
    if (f !== FILES.manifest && manifest.files[f] === undefined) warn('files', `${f} is not in the manifest`);
  }
  if (!failed('files')) lines.push(`PASS files: ${Object.keys(manifest.files).length} files match the manifest`);

  // keys and checkpoints
  const vkey = readFileSync(join(dir, FILES.vkey), 'utf8').trim();
  const log = verifierFromVkey(vkey);
  if (parseVkey(vkey).name !== manifest.origin) fail('checkpoints', `the log key is named ${parseVkey(vkey).name}, not ${manifest.origin}`);
  const witnesses: NoteVerifier[] = [];
  for (const line of readFileSync(join(dir, FILES.witnesses), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
    try {
      witnesses.push(verifierFromVkey(line));
    } catch (err) {
      fail('checkpoints', `witness key ${line}: ${(err as Error).message}`);
    }
  }
  const checkpoints: { size: number; root: Buffer }[] = [];
  let cosignatures = 0;
  for (const c of jsonLines<CheckpointLine>(join(dir, FILES.checkpoints))) {
    try {
      const { checkpoint, note } = openCheckpoint(c.note, [log, ...witnesses], manifest.origin);
      if (!note.verified.some((s) => s.name === log.name && s.keyHash === log.keyHash)) throw new Error('not signed by the log key');
      if (checkpoint.size !== c.size) throw new Error(`its note is for size ${checkpoint.size}`);
      const prev = checkpoints.at(-1);
      if (prev !== undefined && prev.size >= checkpoint.size) throw new Error(`sizes must increase (after ${prev.size})`);
      if (checkpoint.extensions.length > 0) warn('checkpoints', `checkpoint ${c.size} carries extension lines`);
      cosignatures += note.verified.length - 1;
      checkpoints.push({ size: checkpoint.size, root: checkpoint.rootHash });
    } catch (err) {
      fail('checkpoints', `checkpoint ${c.size}: ${(err as Error).message}`);
    }
  }
  const latest = checkpoints.at(-1);
  if (latest === undefined) fail('checkpoints', 'no valid signed checkpoint');
  else if (latest.size !== manifest.treeSize) fail('checkpoints', `the latest checkpoint is for size ${latest.size}, the export claims ${manifest.treeSize}`);
  if (!failed('checkpoints')) lines.push(`PASS checkpoints: ${checkpoints.length} signed by ${log.name}+${log.keyHash.toString(16).padStart(8, '0')}, ${cosignatures} witness cosignatures; latest size ${latest?.size ?? 0} root ${latest?.root.toString('base64') ?? '-'}`);

  // consistency between successive checkpoints
  const proofs = new Map(jsonLines<ConsistencyLine>(join(dir, FILES.consistency)).map((p) => [`${p.from}-${p.to}`, p]));
  for (let i = 1; i < checkpoints.length; i++) {
    const a = checkpoints[i - 1]!;
    const b = checkpoints[i]!;
    const p = proofs.get(`${a.size}-${b.size}`);
    try {
      if (p === undefined) throw new Error('no consistency proof in the export');
      verifyConsistency(a.size, b.size, p.hashes.map((h) => Buffer.from(h, 'base64')), a.root, b.root);
    } catch (err) {
      fail('consistency', `checkpoint ${a.size} -> ${b.size}: ${(err as Error).message}`);
    }
  }
  if (!failed('consistency')) lines.push(`PASS consistency: ${Math.max(checkpoints.length - 1, 0)} proofs between successive checkpoints`);

  // schemas, duplicates, late flags
  let registry: SchemaRegistry | undefined;
  try {
    registry = SchemaRegistry.fromDirectory(join(dir, FILES.schemas));
  } catch (err) {
    fail('events', `the exported schemas cannot be loaded: ${(err as Error).message}`);
  }
  const seenAgain: SeenAgainEntry[] = [];
  for (const s of jsonLines<SeenAgainLine>(join(dir, FILES.seenAgain))) {
    try {
      const r = ledgerRecord(Buffer.from(s.leaf, 'base64'));
      if (r.topic !== s.topic || r.partition !== s.partition || r.offset !== s.offset || r.ceId !== s.ceId) throw new Error('its leaf is for another record');
      seenAgain.push({ topic: s.topic, partition: s.partition, offset: BigInt(s.offset), ceId: s.ceId, firstIndex: s.firstIndex, timestampMs: r.timestampMs, digest: contentDigest(r) });
    } catch (err) {
      fail('completeness', `duplicate at ${s.topic}/${s.partition}/${s.offset}: ${(err as Error).message}`);
    }
  }
  const late = new Set(jsonLines<{ index: number }>(join(dir, FILES.late)).map((l) => l.index));
  const checker = new CompletenessChecker({
    seenAgain,
    late,
    logStart: new Map(manifest.partitions.map((p) => [`${p.topic}/${p.partition}`, BigInt(p.logStart)])),
    watermarks: new Map(manifest.partitions.map((p) => [`${p.topic}/${p.partition}`, BigInt(p.nextOffset)])),
  });

  // entries: chain, roots, completeness, events, lifecycle
  const tree = new TileTree();
  const hashes = new LeafHashes();
  let prevChain = Buffer.alloc(HASH_SIZE);
  let nextCheckpoint = 0;
  let lastVerifiedSize = 0;
  let firstBreak: number | undefined;
  let undecodable = 0;
  const formats = new Set<number>();
  const lifecycleEvents: LifecycleInput[] = [];
  let entryCount = 0;
  try {
    for await (const { index, leaf, chainHash } of readEntries(join(dir, FILES.entries))) {
      entryCount = index + 1;
      // One-shot hashing (crypto.hash) is the same SHA-256 as packages/ledger's leafHash, with less overhead per call.
      const lh = hash('sha256', Buffer.concat([LEAF_PREFIX, leaf]), 'buffer');
      let rec: LedgerRecord | undefined;
      try {
        rec = ledgerRecord(leaf);
        formats.add(rec.leaf.version);
      } catch (err) {
        fail('entries', `${where(index, undefined)}: the leaf does not decode: ${(err as Error).message}`);
      }
      const chain = hash('sha256', Buffer.concat([prevChain, lh]), 'buffer');
      if (!chain.equals(chainHash)) {
        fail('entries', `${where(index, rec)}: breaks the hash chain recorded at ingest (this entry or the one before it was changed, removed or moved)`);
        firstBreak ??= index;
      }
      prevChain = Buffer.from(chainHash);
      tree.append(lh);
      hashes.push(lh);
      if (rec !== undefined) {
        if (rec.leaf.originPlatform !== manifest.platform) fail('entries', `${where(index, rec)}: leaf is for platform ${rec.leaf.originPlatform}`);
        checker.add({ index, topic: rec.topic, partition: rec.partition, offset: BigInt(rec.offset), ceId: rec.ceId, ceSubject: rec.ceSubject, sequence: rec.sequence, timestampMs: rec.timestampMs, digest: () => contentDigest(rec) });
        if (registry !== undefined) {
          const reading = readEvent(rec, registry);
          if (reading.problem !== undefined) {
            undecodable += 1;
            (opts.acceptUndecodable ? warn : fail)('events', `${where(index, rec)}: cannot be read as an event: ${reading.problem}`);
          }
        }
        if (opts.lifecycle !== undefined && (rec.correlationId === opts.lifecycle || rec.ceSubject === opts.lifecycle)) lifecycleEvents.push(lifecycleInput(index, rec, registry));
      }
      while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size === tree.size) {
        const cp = checkpoints[nextCheckpoint]!;
        if (!tree.root().equals(cp.root)) {
          const hint = firstBreak !== undefined && firstBreak >= lastVerifiedSize ? `; the hash chain first breaks at entry ${firstBreak}` : '';
          fail('roots', `checkpoint ${cp.size}: entries ${lastVerifiedSize}..${cp.size - 1} do not hash to its signed root${hint}`);
        }
        lastVerifiedSize = cp.size;
        nextCheckpoint += 1;
      }
    }
  } catch (err) {
    fail('entries', (err as Error).message);
  }
  if (latest !== undefined && entryCount < latest.size) fail('roots', `the export has ${entryCount} entries but checkpoint ${latest.size} covers ${latest.size}: entries are missing`);
  if (latest !== undefined && entryCount > latest.size) warn('roots', `entries ${latest.size}..${entryCount - 1} are not covered by a checkpoint`);
  if (!failed('entries')) lines.push(`PASS entries: ${entryCount} leaves decode (format ${[...formats].sort().map((v) => `0x0${v}`).join(', ') || '-'}) and follow the hash chain`);
  if (!failed('roots')) lines.push(`PASS roots: ${nextCheckpoint} checkpoint roots recomputed from the entries`);

  // inclusion against the latest checkpoint
  const lifecycleIds = new Set(lifecycleEvents.map((e) => e.index));
  const proven = new Set<number>();
  if (latest !== undefined && entryCount >= latest.size && latest.size > 0) {
    const L = latest.size;
    let targets: number[];
    if (opts.inclusion === 'all') targets = Array.from({ length: L }, (_, i) => i);
    else if (Array.isArray(opts.inclusion)) targets = opts.inclusion;
    else targets = [...new Set([0, L - 1, ...Array.from({ length: 15 }, (_, k) => Math.floor(((k + 1) * L) / 16))])];
    // The lifecycle's entries, which the timeline marks as proven.
    const wanted = [...new Set([...targets, ...lifecycleIds])].sort((a, b) => a - b);
    let cache: SubtreeHashCache | undefined;
    let cacheTile = -1;
    for (const i of wanted) {
      if (!Number.isSafeInteger(i) || i < 0 || i >= L) {
        fail('inclusion', `entry ${i} is not below the checkpoint size ${L}`);
        continue;
      }
      // One memo per tile: the proofs of neighbouring entries share their low subtrees.
      if (cacheTile !== Math.floor(i / TILE_WIDTH)) {
        cacheTile = Math.floor(i / TILE_WIDTH);
        cache = new SubtreeHashCache(treeHashSource(tree, hashes));
      }
      try {
        verifyInclusion(hashes.get(i)!, i, L, inclusionProof(i, L, cache!), latest.root);
        proven.add(i);
      } catch (err) {
        fail('inclusion', `entry ${i}: ${(err as Error).message}`);
      }
    }
    if (!failed('inclusion')) lines.push(`PASS inclusion: ${proven.size} entries proven in checkpoint ${L}`);
  }

  // completeness
  const findings = checker.finish();
  for (const f of findings) (f.level === 'fail' ? fail : warn)('completeness', f.message);
  if (!failed('completeness')) lines.push(`PASS completeness: offsets without holes, aggregate versions contiguous, ledger order kept, ${seenAgain.length} duplicates explained`);
  if (!failed('events') && registry !== undefined) lines.push(`PASS events: ${entryCount - undecodable} events decode with the exported schemas${undecodable > 0 ? ` (${undecodable} undecodable accepted)` : ''}`);

  // lifecycle
  if (opts.lifecycle !== undefined) {
    const id = opts.lifecycle;
    const linked = linkedIds(lifecycleEvents, id, opts.lifecycleService);
    if (linked.length > 0) {
      const more = new Set(linked);
      for await (const { index, leaf } of readEntries(join(dir, FILES.entries))) {
        try {
          const rec = ledgerRecord(leaf);
          if (!lifecycleIds.has(index) && (more.has(rec.correlationId) || more.has(rec.ceSubject))) lifecycleEvents.push(lifecycleInput(index, rec, registry));
        } catch {
          // already reported
        }
      }
      // Prove the linked entries too.
      if (latest !== undefined && entryCount >= latest.size) {
        for (const e of lifecycleEvents) {
          if (proven.has(e.index) || e.index >= latest.size) continue;
          try {
            verifyInclusion(hashes.get(e.index)!, e.index, latest.size, inclusionProof(e.index, latest.size, new SubtreeHashCache(treeHashSource(tree, hashes))), latest.root);
            proven.add(e.index);
          } catch (err) {
            fail('inclusion', `entry ${e.index}: ${(err as Error).message}`);
          }
        }
      }
    }
    if (lifecycleEvents.length === 0) fail('lifecycle', `no events of ${id} in the ledger`);
    else lines.push(...lifecycleLines(foldLifecycle(id, linked, lifecycleEvents, opts.lifecycleService), (i) => proven.has(i)));
  }

  for (const [check, n] of [...perCheck].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n > MAX_LINES_PER_CHECK) lines.push(`${check.startsWith('w:') ? 'WARN' : 'FAIL'} ${check.replace(/^w:/, '')}: ... and ${n - MAX_LINES_PER_CHECK} more`);
  }
  lines.push(failures === 0 ? `RESULT: OK (${entryCount} entries, ${checkpoints.length} checkpoints, ${warnings} warnings)` : `RESULT: FAILED (${failures} failures, ${warnings} warnings)`);
  return { ok: failures === 0, failures, warnings, entries: entryCount, checkpoints: checkpoints.length, lines };
};

const USAGE = 'usage: verify <export folder> [--lifecycle <correlation id> [--service <service>]] [--inclusion sample|all|<i,j,...>] [--accept-undecodable]';

export const verifyMain = async (argv: string[], print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> => {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { lifecycle: { type: 'string' }, service: { type: 'string' }, inclusion: { type: 'string' }, 'accept-undecodable': { type: 'boolean' } }, strict: true });
  } catch (err) {
    print(`${USAGE}\n${(err as Error).message}`);
    return 2;
  }
  const dir = args.positionals[0];
  if (dir === undefined || args.positionals.length > 1) {
    print(USAGE);
    return 2;
  }
  const inc = args.values.inclusion;
  let inclusion: VerifyOptions['inclusion'] = 'sample';
  if (inc === 'all' || inc === 'sample') inclusion = inc;
  else if (inc !== undefined) {
    inclusion = inc.split(',').map(Number);
    if (inclusion.some((i) => !Number.isSafeInteger(i))) {
      print(USAGE);
      return 2;
    }
  }
  let report: VerifyReport;
  try {
    report = await verifyExport({ dir, lifecycle: args.values.lifecycle, lifecycleService: args.values.service, inclusion, acceptUndecodable: args.values['accept-undecodable'] ?? false });
  } catch (err) {
    print(`cannot read the export: ${(err as Error).message}`);
    return 2;
  }
  for (const line of report.lines) print(line);
  return report.ok ? 0 : 1;
};

if (import.meta.main) process.exitCode = await verifyMain(process.argv.slice(2));
