import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { GovError, type FieldViolation } from '@govmesh/backbone';
import { checkRow, csvHeaderViolations, csvRow, type FieldSpec, type Row } from '../domain/records.ts';

/**
 * The bytes of an upload turned into checked rows, streamed: NDJSON (one JSON object per line)
 * or CSV (RFC 4180, a header naming the data items; parsed by csv-parse). Nothing holds the
 * whole body: a line is at most MAX_ROW_BYTES, the body at most the configured bound (413, and
 * the stream is dropped). Each item is a row or the violations of one line, named `line[N].field`.
 */
export const MAX_ROW_BYTES = 64 * 1024;

export type Parsed = { line: number; row: Row } | { line: number; violations: FieldViolation[] };

/** Counts the body's bytes as they pass, and stops it past `max` with a 413. */
export async function* bounded(body: AsyncIterable<Buffer | string>, max: number, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.bytes += b.length;
    if (counter.bytes > max) throw new GovError('GOV_ERR_BODY_TOO_LARGE', `the upload is over the ${max}-byte limit: nothing of it was loaded`, { violations: [{ field: 'body', description: `at most ${max} bytes` }] });
    yield b;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const tooLong = (line: number): { line: number; violations: FieldViolation[] } => ({ line, violations: [{ field: `line[${line}]`, description: `a row is at most ${MAX_ROW_BYTES} bytes` }] });

/** The lines of an NDJSON body as text (blank lines skipped), or why a line cannot be read: at most MAX_ROW_BYTES, valid UTF-8. */
export async function* ndjsonLines(body: AsyncIterable<Buffer>): AsyncGenerator<{ line: number; text: string } | { line: number; violations: FieldViolation[] }> {
  let line = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  const finish = (buf: Buffer): { line: number; text: string } | { line: number; violations: FieldViolation[] } | null => {
    line += 1;
    let text: string;
    try {
      text = decoder.decode(buf);
    } catch {
      return { line, violations: [{ field: `line[${line}]`, description: 'not valid UTF-8' }] };
    }
    return text.trim() === '' ? null : { line, text };
  };
  for await (const chunk of body) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (skipping) {
        skipping = false;
        parts = [];
        size = 0;
        continue;
      }
      if (size + piece.length > MAX_ROW_BYTES) {
        line += 1;
        yield tooLong(line);
        parts = [];
        size = 0;
        continue;
      }
      const whole = parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
      parts = [];
      size = 0;
      const p = finish(whole.length > 0 && whole[whole.length - 1] === 13 ? whole.subarray(0, -1) : whole);
      if (p !== null) yield p;
    }
    if (start < chunk.length && !skipping) {
      const rest = chunk.subarray(start);
      size += rest.length;
      if (size > MAX_ROW_BYTES) {
        // Reported once; the rest of the line, up to its newline, is skipped.
        line += 1;
        yield tooLong(line);
        skipping = true;
        parts = [];
        size = 0;
      } else parts.push(Buffer.from(rest));
    }
  }
  if (skipping) return;
  if (parts.length > 0) {
    const p = finish(Buffer.concat(parts));
    if (p !== null) yield p;
  }
}

export async function* ndjsonRows(body: AsyncIterable<Buffer>, fields: readonly FieldSpec[], keyItem: string): AsyncGenerator<Parsed> {
  for await (const l of ndjsonLines(body)) {
    if ('violations' in l) {
      yield l;
      continue;
    }
    const at = `line[${l.line}]`;
    let value: unknown;
    try {
      value = JSON.parse(l.text);
    } catch (err) {
      yield { line: l.line, violations: [{ field: at, description: `not JSON: ${(err as Error).message}` }] };
      continue;
    }
    const r = checkRow(value, fields, keyItem, at);
    yield 'row' in r ? { line: l.line, row: r.row } : { line: l.line, violations: r.violations };
  }
}

/** The records of a CSV body (RFC 4180, csv-parse) with their line numbers, or the violation that stopped the parse. */
export async function* csvRecords(body: Readable | AsyncIterable<Buffer>): AsyncGenerator<{ line: number; record: string[] } | { line: number; violations: FieldViolation[] }> {
  const parser = parse({ bom: true, info: true, max_record_size: MAX_ROW_BYTES, relax_column_count: false, skip_empty_lines: true });
  const feed = (async () => {
    try {
      for await (const chunk of body) {
        if (parser.destroyed) return;
        if (!parser.write(chunk)) await new Promise((r) => { parser.once('drain', r); parser.once('close', r); });
      }
      if (!parser.destroyed) parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })();
  try {
    for await (const item of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) yield { line: item.info.lines, record: item.record };
  } catch (err) {
    if (err instanceof GovError) throw err;
    // Every csv-parse refusal (its codes are CSV_… or, in csv-parse 6+, bare like INVALID_OPENING_QUOTE) is the body's fault.
    if (err instanceof CsvError) {
      const line = typeof err['lines'] === 'number' ? err['lines'] : 0;
      const description = /MAX_RECORD_SIZE$/.test(err.code) ? `a row is at most ${MAX_ROW_BYTES} bytes` : err.message;
      yield { line, violations: [{ field: `line[${line}]`, description }] };
      return;
    }
    throw err;
  } finally {
    parser.destroy();
    await feed;
  }
}

export async function* csvRows(body: Readable | AsyncIterable<Buffer>, fields: readonly FieldSpec[], keyItem: string): AsyncGenerator<Parsed> {
  let header: string[] | null = null;
  for await (const item of csvRecords(body)) {
    if ('violations' in item) {
      yield item;
      return;
    }
    const { line, record } = item;
    if (header === null) {
      header = record.map((h) => h.trim());
      const v = csvHeaderViolations(header, fields);
      if (v.length > 0) {
        yield { line, violations: v };
        return;
      }
      continue;
    }
    const at = `line[${line}]`;
    const cells = csvRow(header, record, fields, at);
    if ('violations' in cells) {
      yield { line, violations: cells.violations };
      continue;
    }
    const r = checkRow(cells.value, fields, keyItem, at);
    yield 'row' in r ? { line, row: r.row } : { line, violations: r.violations };
  }
  if (header === null) yield { line: 1, violations: [{ field: 'line[1]', description: 'a CSV upload starts with a header naming the data items' }] };
}

/**
 * A suspect extract read leniently, for leak tracing: it may have lost rows and columns or had
 * values altered, so nothing is refused; NDJSON lines are objects (a pull's `{cursor, record}`
 * line counts as its record), CSV rows are keyed by their header. Lines that cannot be read are
 * counted in `skipped`.
 */
export async function* extractRows(body: AsyncIterable<Buffer>, format: 'NDJSON' | 'CSV', skipped: { lines: number }): AsyncGenerator<Record<string, unknown>> {
  if (format === 'NDJSON') {
    for await (const l of ndjsonLines(body)) {
      let v: unknown;
      try {
        v = 'text' in l ? JSON.parse(l.text) : undefined;
      } catch {
        v = undefined;
      }
      const row = v !== null && typeof v === 'object' && !Array.isArray(v) ? ((v as { record?: unknown }).record ?? v) : undefined;
      if (row !== null && typeof row === 'object' && !Array.isArray(row)) yield row as Record<string, unknown>;
      else skipped.lines += 1;
    }
    return;
  }
  let header: string[] | null = null;
  for await (const item of csvRecords(body)) {
    if ('violations' in item) {
      skipped.lines += 1;
      return;
    }
    if (header === null) header = item.record.map((h) => h.trim());
    else yield Object.fromEntries(header.map((h, i) => [h, item.record[i] ?? null]));
  }
}
