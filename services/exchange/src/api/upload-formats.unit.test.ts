import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvRows, extractRows } from './upload-formats.ts';

// The fuzzer's finding (issue 13): csv-parse names some refusals without the CSV_ prefix
// (INVALID_OPENING_QUOTE); such a body was a 500. Every malformed CSV is the body's fault.
async function* body(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}
const fields = [{ name: 's', kind: 'string', maxLength: 100 }] as const;

test('EDGE: a CSV upload with a quote opening inside a field is refused naming its line, not a server error', async () => {
  const out = [];
  for await (const p of csvRows(body('s\n{"s": true}\n'), fields as never, 's')) out.push(p);
  assert.equal(out.length, 1);
  assert.deepEqual(Object.keys(out[0]!), ['line', 'violations']);
  assert.match((out[0] as { violations: { field: string; description: string }[] }).violations[0]!.field, /^line\[\d+\]$/);
});

test('EDGE: SEC-17: a suspect CSV extract that csv-parse cannot read counts as a skipped line, not a server error', async () => {
  const skipped = { lines: 0 };
  const rows = [];
  for await (const r of extractRows(body('{"s:\u0013\u00c2": true}'), 'CSV', skipped)) rows.push(r);
  assert.deepEqual(rows, []);
  assert.equal(skipped.lines, 1);
});
