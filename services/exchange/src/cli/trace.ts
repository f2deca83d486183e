/**
 * Leak tracing from the command line (SEC-17): sends a suspect extract to the exchange's trace
 * operation (the platform secret never leaves the service) and prints who it came from.
 *
 *   npm run trace -- <extract.csv|extract.ndjson> --entry <entry id> [--url http://127.0.0.1:8084] [--token T]
 *
 * The token is the competent department's (or GOVMESH_TOKEN). Exit 0: a share and department
 * named; 1: nobody named (the scores are printed); 2: the call failed (the problem is printed).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

export const traceMain = async (argv: string[], print: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): Promise<number> => {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { entry: { type: 'string' }, url: { type: 'string', default: 'http://127.0.0.1:8084' }, token: { type: 'string' } } });
  } catch (err) {
    print((err as Error).message);
    return 2;
  }
  const [file] = args.positionals;
  const token = args.values.token ?? env['GOVMESH_TOKEN'];
  if (file === undefined || args.values.entry === undefined || token === undefined) {
    print('usage: trace <extract.csv|extract.ndjson> --entry <entry id> [--url URL] [--token T | GOVMESH_TOKEN]');
    return 2;
  }
  const type = /\.(nd)?jsonl?$/i.test(file) ? 'application/x-ndjson' : 'text/csv';
  let res: Response;
  try {
    res = await fetch(`${args.values.url}/v1/datasets/${encodeURIComponent(args.values.entry)}/trace`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    print(`trace failed: ${(err as Error).message}`);
    return 2;
  }
  const body = (await res.json()) as Record<string, any>;
  if (res.status !== 200) {
    print(`trace refused (${res.status} ${body['code'] ?? ''}): ${body['detail'] ?? JSON.stringify(body)}`);
    return 2;
  }
  print(`${body['rows']} rows read, ${body['marks']} fingerprint marks, ${body['skippedLines']} lines skipped`);
  for (const s of body['scores'] as { shareId: string; requester: string; matches: number; voted: number; pInnocent: number }[]) {
    print(`  ${s.shareId}  ${s.requester}  ${s.matches}/${s.voted} bits  p(innocent) ${s.pInnocent.toExponential(2)}`);
  }
  const named = body['named'] as { shareId: string; requester: string; pInnocent: number } | null;
  if (named === null) {
    print(`nobody named (threshold ${body['threshold']})`);
    return 1;
  }
  print(`named: share ${named.shareId}, department ${named.requester} (p(innocent) ${named.pInnocent.toExponential(2)} < ${body['threshold']})`);
  return 0;
};

if (import.meta.main) process.exitCode = await traceMain(process.argv.slice(2));
