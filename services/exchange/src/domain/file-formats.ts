import type { DatasetFormat } from '@govmesh/contracts/avro';

/**
 * How a delivered copy is written into a file: NDJSON (one JSON object per line, the items in
 * the approved order) or CSV (RFC 4180: a header naming the items, CRLF line ends, a cell quoted
 * when it holds a comma, a quote, a line break or surrounding spaces). The same shapes the upload
 * reads, so a file can be loaded elsewhere as it is. An absent or withheld value is an empty CSV
 * cell and null in NDJSON; a structured value is its JSON text in a CSV cell.
 */
export interface FileEncoder {
  /** What opens the file ('' for NDJSON). */
  header: string;
  line: (record: Record<string, unknown>) => string;
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const text = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const fileEncoder = (format: DatasetFormat, items: readonly string[]): FileEncoder => {
  if (format === 'CSV') return { header: `${items.map(csvCell).join(',')}\r\n`, line: (r) => `${items.map((i) => csvCell(r[i])).join(',')}\r\n` };
  return { header: '', line: (r) => `${JSON.stringify(Object.fromEntries(items.map((i) => [i, r[i] ?? null])))}\n` };
};

export const FILE_MEDIA_TYPES: Record<DatasetFormat, string> = { CSV: 'text/csv', NDJSON: 'application/x-ndjson' };
