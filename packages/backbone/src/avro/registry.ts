import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { GovError } from '../errors/errors.ts';
import { fingerprintBytes } from './fingerprint.ts';
import { strictStringsHook, textViolations } from './text.ts';

/**
 * Avro single-object encoding (spec: "Single object encoding"): C3 01, the 8-byte little-endian
 * CRC-64-AVRO fingerprint of the writer schema's canonical form, then the Avro binary body.
 * There is no schema registry server to be had here, and the schemas live in the repo anyway:
 * every reader loads `schemas/**.avsc` and finds the writer schema by fingerprint (docs/adr/0002).
 */
const MAGIC = Buffer.from([0xc3, 0x01]);

export interface SchemaEntry {
  /** Avro full name, also the CloudEvents type, e.g. govmesh.catalog.v1.CatalogEntryDrafted. */
  name: string;
  /** Version from the file name (Name.vN.avsc). */
  version: number;
  file: string;
  type: avro.Type;
  fingerprint: Buffer;
  fingerprintHex: string;
}

export interface Decoded {
  schema: SchemaEntry;
  value: Record<string, unknown>;
}

const FILE_RE = /^(?<base>[A-Za-z][A-Za-z0-9]*)\.v(?<version>\d+)\.avsc$/;

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

export const canonicalForm = (type: avro.Type): string => JSON.stringify(type.schema());

/**
 * One schema, parsed (strict strings) and fingerprinted, outside any registry: what a registry
 * holds per file, and what a schema made at run time (e.g. a share's projected push schema) is.
 */
export const schemaEntry = (schemaJson: unknown, version: number, file = '<inline>'): SchemaEntry => {
  // Invalid UTF-8 in a string makes the value undecodable instead of turning into U+FFFD.
  const type = avro.Type.forSchema(schemaJson as avro.Schema, { wrapUnions: false, typeHook: strictStringsHook as never });
  const name = type.name;
  if (name === undefined) throw new Error(`top-level schema must be a named record: ${file}`);
  const fp = fingerprintBytes(canonicalForm(type));
  return { name, version, file, type, fingerprint: fp, fingerprintHex: fp.toString('hex') };
};

/**
 * Single-object encoding of `value` with `entry`; invalid values name the offending field paths.
 * Text with a NUL or a lone surrogate is invalid too: no reader could hold it (text.ts).
 */
export const encodeSingleObject = (entry: SchemaEntry, value: unknown): Buffer => {
  const name = entry.name;
  const paths: string[] = [];
  if (!entry.type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) })) {
    throw new GovError('GOV_ERR_INPUT_INVALID', `value does not match ${name}: ${paths.join(', ')}`, {
      violations: paths.map((p) => ({ field: p, description: `does not match ${name}` })),
    });
  }
  const text = textViolations(value, '').map((v) => ({ ...v, field: v.field.slice(1) }));
  if (text.length > 0) throw new GovError('GOV_ERR_INPUT_INVALID', `value of ${name}: ${text.map((v) => `${v.field} ${v.description}`).join('; ')}`, { violations: text });
  return Buffer.concat([MAGIC, entry.fingerprint, entry.type.toBuffer(value)]);
};

export class SchemaRegistry {
  readonly #byFingerprint = new Map<string, SchemaEntry>();
  /** Latest version per full name: what writers use. */
  readonly #latest = new Map<string, SchemaEntry>();
  readonly #all: SchemaEntry[] = [];
  readonly #resolvers = new Map<string, avro.Type>();

  static fromDirectory(dir: string): SchemaRegistry {
    const reg = new SchemaRegistry();
    for (const file of walk(dir).filter((f) => f.endsWith('.avsc')).sort()) {
      const m = FILE_RE.exec(file.split('/').pop()!);
      if (m === null) throw new Error(`schema file name must be Name.vN.avsc: ${file}`);
      const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
      reg.add(json, Number(m.groups!['version']), file);
    }
    return reg;
  }

  add(schemaJson: unknown, version: number, file = '<inline>'): SchemaEntry {
    const entry = schemaEntry(schemaJson, version, file);
    const name = entry.name;
    this.#byFingerprint.set(entry.fingerprintHex, entry);
    const cur = this.#latest.get(name);
    if (cur === undefined || cur.version < version) this.#latest.set(name, entry);
    this.#all.push(entry);
    return entry;
  }

  entries(): readonly SchemaEntry[] {
    return this.#all;
  }

  latest(name: string): SchemaEntry {
    const e = this.#latest.get(name);
    if (e === undefined) throw new Error(`no schema for ${name}`);
    return e;
  }

  byFingerprint(hex: string): SchemaEntry | undefined {
    return this.#byFingerprint.get(hex);
  }

  /** Encodes with the latest schema of `name` (encodeSingleObject). */
  encode(name: string, value: unknown): Buffer {
    return encodeSingleObject(this.latest(name), value);
  }

  /**
   * The field of a `name` value that holds the most bytes, descending through records (e.g.
   * content.abstract, or content.dataItems for a long array): what to name when an event is too large.
   */
  largestField(name: string, value: unknown): { field: string; bytes: number } {
    let type: avro.Type = this.latest(name).type;
    let v = value as Record<string, unknown>;
    const path: string[] = [];
    let bytes = type.toBuffer(v).length;
    for (;;) {
      const record = type instanceof avro.types.RecordType ? type : type instanceof avro.types.UnwrappedUnionType ? type.types.find((t) => t instanceof avro.types.RecordType && t.isValid(v)) : undefined;
      if (!(record instanceof avro.types.RecordType) || v === null || typeof v !== 'object') break;
      const sized = record.fields.map((f) => ({ f, b: f.type.toBuffer(v[f.name]).length }));
      const best = sized.reduce((a, b) => (b.b > a.b ? b : a), sized[0]!);
      if (best === undefined) break;
      path.push(best.f.name);
      type = best.f.type;
      bytes = best.b;
      v = v[best.f.name] as Record<string, unknown>;
    }
    return { field: path.join('.'), bytes };
  }

  /**
   * Decodes a single-object-encoded value. Written with an older version of the same name, it is
   * resolved to the latest (reader) version, so consumers only ever see the current shape.
   */
  decode(buf: Buffer): Decoded {
    if (buf.length < 10 || buf[0] !== 0xc3 || buf[1] !== 0x01) {
      throw new GovError('GOV_ERR_EVENT_UNDECODABLE', 'value is not Avro single-object encoded (missing C3 01 marker)');
    }
    const hex = buf.subarray(2, 10).toString('hex');
    const writer = this.#byFingerprint.get(hex);
    if (writer === undefined) throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `unknown schema fingerprint ${hex}`);
    const reader = this.latest(writer.name);
    try {
      if (reader === writer) return { schema: writer, value: writer.type.fromBuffer(buf.subarray(10)) as Record<string, unknown> };
      let resolver = this.#resolvers.get(hex);
      if (resolver === undefined) {
        resolver = reader.type.createResolver(writer.type) as unknown as avro.Type;
        this.#resolvers.set(hex, resolver);
      }
      return { schema: reader, value: reader.type.fromBuffer(buf.subarray(10), resolver as never) as Record<string, unknown> };
    } catch (err) {
      throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `cannot decode ${writer.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Both-ways compatibility of every version of a name with every other (FULL_TRANSITIVE). */
export const compatibilityProblems = (registry: SchemaRegistry): string[] => {
  const byName = new Map<string, SchemaEntry[]>();
  for (const e of registry.entries()) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  const problems: string[] = [];
  for (const [name, versions] of byName) {
    for (const a of versions) {
      for (const b of versions) {
        if (a === b) continue;
        try {
          a.type.createResolver(b.type);
        } catch (err) {
          problems.push(`${name} v${a.version} cannot read data written with v${b.version}: ${(err as Error).message}`);
        }
      }
    }
  }
  return problems;
};
