/**
 * The dead-letter tool (docs/operations.md#dead-letters).
 *
 *   npm run dead-letters -- list [--topic <P.stream.events.dlq>] [--json]
 *   npm run dead-letters -- inspect <dlq topic>/<partition>/<offset>
 *   npm run dead-letters -- redeliver <dlq topic>/<partition>/<offset> [--value corrected.json] [--dry-run]
 *
 * Reads KAFKA_BROKERS, PLATFORM_ID and SCHEMAS_DIR like the services. A redelivery goes to the one
 * consumer group that failed the record, never back to the original topic, so a ledgered event is
 * never ledgered twice; a ledgered event is redelivered unchanged only (--value is refused).
 * Exit 0 on success, 1 when the request is refused (named), 2 on a usage or connection error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  asGovError, createKafka, createLogger, createProducer, decodeDeadLetter, deadLetterTopics, findDeadLetter, listDeadLetters, readConfig, redeliverDeadLetter,
  SchemaRegistry, serviceConfigSpec, type DeadLetter,
} from '../packages/backbone/src/index.ts';

const USAGE = 'usage: dead-letters list [--topic T] [--json] | inspect <ref> | redeliver <ref> [--value FILE] [--dry-run]';

export const deadLettersMain = async (argv: string[], print: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): Promise<number> => {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { topic: { type: 'string', multiple: true }, json: { type: 'boolean' }, value: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  } catch (err) {
    print(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ref] = args.positionals;
  if (command === undefined || !['list', 'inspect', 'redeliver'].includes(command) || (command !== 'list' && ref === undefined)) {
    print(USAGE);
    return 2;
  }
  const spec = serviceConfigSpec('dead-letters');
  const { KAFKA_BROKERS, PLATFORM_ID, SCHEMAS_DIR } = readConfig({ KAFKA_BROKERS: spec.KAFKA_BROKERS, PLATFORM_ID: spec.PLATFORM_ID, SCHEMAS_DIR: spec.SCHEMAS_DIR }, env);
  const kafka = createKafka({ clientId: 'dead-letters', brokers: [...KAFKA_BROKERS], logger: createLogger('dead-letters', 'error') });
  const registry = SchemaRegistry.fromDirectory(SCHEMAS_DIR);
  try {
    switch (command) {
      case 'list': {
        const dlqs = args.values.topic ?? (await deadLetterTopics(kafka, PLATFORM_ID));
        let n = 0;
        await listDeadLetters(kafka, dlqs, (line) => {
          n += 1;
          if ('problem' in line) print(args.values.json === true ? JSON.stringify(line) : `${line.ref}  not a govmesh dead letter: ${line.problem}`);
          else if (args.values.json === true) print(JSON.stringify({ ...summary(line.deadLetter), redelivered: line.redelivered ?? null }));
          else {
            const d = line.deadLetter;
            print(`${d.ref}  ${d.error.code}  ${d.eventType ?? '?'} ${d.eventId ?? '?'}  group ${d.group}  failed ${d.failedAt}${d.ledgered ? '  ledgered' : ''}  ${line.redelivered === undefined ? 'not redelivered' : `redelivered ${line.redelivered}`}`);
          }
        });
        if (args.values.json !== true) print(`${n} dead letter(s) in ${dlqs.length} topic(s)`);
        return 0;
      }
      case 'inspect': {
        const { deadLetter, redelivered } = await findDeadLetter(kafka, ref!);
        print(JSON.stringify({ ...summary(deadLetter), redelivered: redelivered ?? null, headers: deadLetter.headers, event: decodeDeadLetter(deadLetter, registry) }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
        return 0;
      }
      case 'redeliver': {
        const corrected = args.values.value === undefined ? undefined : (JSON.parse(readFileSync(args.values.value, 'utf8')) as unknown);
        const producer = createProducer(kafka);
        await producer.connect();
        try {
          const r = await redeliverDeadLetter(kafka, producer, registry, ref!, { at: new Date(), corrected, dryRun: args.values['dry-run'] === true });
          const where = r.offset === undefined ? `${r.topic} (dry run: nothing sent)` : `${r.topic}/${r.partition}/${r.offset}`;
          print(`${r.deadLetter.ref} -> ${where} for group ${r.deadLetter.group}${r.edited ? ' (corrected value)' : ' (unchanged)'}`);
          return 0;
        } finally {
          await producer.disconnect();
        }
      }
      default:
        print(USAGE);
        return 2;
    }
  } catch (err) {
    const e = asGovError(err);
    print(`${command} refused: ${e.code === 'GOV_ERR_INTERNAL' ? (err as Error).message : e.message}`);
    return e.code === 'GOV_ERR_INTERNAL' || e.code === 'GOV_ERR_UNAVAILABLE' ? 2 : 1;
  }
};

const summary = (d: DeadLetter) => ({
  ref: d.ref,
  original: d.original,
  group: d.group,
  error: d.error,
  failedAt: d.failedAt,
  ledgered: d.ledgered,
  eventId: d.eventId ?? null,
  eventType: d.eventType ?? null,
});

if (import.meta.main) process.exitCode = await deadLettersMain(process.argv.slice(2));
