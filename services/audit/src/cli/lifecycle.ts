import { parseArgs } from 'node:util';
import { openDatabase, SchemaRegistry } from '@govmesh/backbone';
import { foldLifecycle, lifecycleLines, linkedIds, type LifecycleInput } from '../domain/lifecycle.ts';
import { jsonSafe, ledgerRecord, readEvent } from '../domain/record.ts';
import { readAuditConfig } from '../config.ts';
import { LedgerStore, type EntryRow } from '../ledger/store.ts';

/**
 * A share's lifecycle from the live ledger, for operators and auditors with database read access:
 *
 *   node services/audit/src/cli/lifecycle.ts <correlation id> [--service <service>] [--json]
 *
 * Same fold as GET /v1/lifecycles/{id}; for a proof-carrying offline answer use export + verify
 * --lifecycle. Exit 0 when the share has events, 1 when it has none, 2 on a usage error.
 */
export const lifecycleMain = async (argv: string[], env: Record<string, string | undefined> = process.env, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> => {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, service: { type: 'string' } }, strict: true });
  } catch (err) {
    print(`usage: lifecycle <correlation id> [--service <service>] [--json]\n${(err as Error).message}`);
    return 2;
  }
  const id = args.positionals[0];
  if (id === undefined) {
    print('usage: lifecycle <correlation id> [--service <service>] [--json]');
    return 2;
  }
  const config = readAuditConfig(env);
  const registry = SchemaRegistry.fromDirectory(config.SCHEMAS_DIR);
  const db = await openDatabase({ url: config.DATABASE_URL, poolSize: 2 });
  try {
    const store = new LedgerStore(db, config.AUDIT_DB_SCHEMA);
    const input = (r: EntryRow): LifecycleInput => {
      const rec = ledgerRecord(r.leaf);
      const reading = readEvent(rec, registry);
      return {
        index: r.idx, topic: rec.topic, partition: rec.partition, offset: rec.offset, ceId: rec.ceId, type: rec.ceType, source: rec.ceSource, subject: rec.ceSubject,
        time: rec.ceTime, correlationId: rec.correlationId, sequence: rec.sequence,
        data: reading.decoded === undefined ? null : (jsonSafe(reading.decoded.value) as Record<string, unknown>), problem: reading.problem,
      };
    };
    const own = (await store.byCorrelation([id])).map(input);
    if (own.length === 0) {
      print(`no events of ${id} in the ledger`);
      return 1;
    }
    const linked = linkedIds(own, id, args.values.service);
    const others = linked.length === 0 ? [] : (await store.byCorrelation(linked)).map(input);
    const lifecycle = foldLifecycle(id, linked, [...own, ...others], args.values.service);
    if (args.values.json === true) print(JSON.stringify(lifecycle, null, 2));
    else for (const line of lifecycleLines(lifecycle)) print(line);
    return 0;
  } finally {
    await db.close();
  }
};

if (import.meta.main) process.exitCode = await lifecycleMain(process.argv.slice(2));
