import { AuditEventNamespace } from '@govmesh/contracts/avro';
import { eventSource, type Logger, type OutboxRelay, type SchemaRegistry } from '@govmesh/backbone';
import { cosignNote, parseNote, type Cosigner, type NoteVerifier } from '@govmesh/ledger';
import { decideAddCheckpoint, parseAddCheckpoint } from '../domain/witness.ts';
import type { LedgerStore } from './store.ts';

/**
 * This platform as the witness of its children's ledgers (C2SP tlog-witness add-checkpoint).
 * A cosigned checkpoint is persisted before the cosignature is returned (compare-and-swap on the
 * last cosigned size, so two concurrent requests cannot both advance from the same size), and a
 * ChildCheckpointWitnessed event goes to `<platform>.audit.events` in the same transaction: the
 * child's checkpoint is thereby written into this platform's own ledger.
 */
export interface WitnessResponse {
  status: number;
  contentType: string;
  body: string;
}

export class WitnessService {
  readonly #store: LedgerStore;
  readonly #cosigner: Cosigner;
  readonly #logs: ReadonlyMap<string, NoteVerifier>;
  readonly #platform: string;
  readonly #registry: SchemaRegistry;
  readonly #relay: OutboxRelay;
  readonly #topic: string;
  readonly #logger: Logger;
  readonly #clock: () => Date;

  constructor(opts: { store: LedgerStore; cosigner: Cosigner; logs: ReadonlyMap<string, NoteVerifier>; platform: string; registry: SchemaRegistry; relay: OutboxRelay; topic: string; logger: Logger; clock: () => Date }) {
    this.#store = opts.store;
    this.#cosigner = opts.cosigner;
    this.#logs = opts.logs;
    this.#platform = opts.platform;
    this.#registry = opts.registry;
    this.#relay = opts.relay;
    this.#topic = opts.topic;
    this.#logger = opts.logger;
    this.#clock = opts.clock;
  }

  get vkey(): string {
    return this.#cosigner.vkey;
  }

  async addCheckpoint(body: string): Promise<WitnessResponse> {
    const text = (status: number, msg: string): WitnessResponse => ({ status, contentType: 'text/plain; charset=utf-8', body: `${msg}\n` });
    const req = parseAddCheckpoint(body);
    if ('error' in req) return text(400, req.error);
    let origin: string;
    try {
      origin = parseNote(req.note).body.split('\n', 1)[0]!;
    } catch (err) {
      return text(400, `malformed checkpoint: ${(err as Error).message}`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const latest = await this.#store.latestWitnessed(origin);
      const decision = decideAddCheckpoint(req, this.#logs, latest);
      if (decision.status === 409) return { status: 409, contentType: 'text/x.tlog.size', body: `${decision.size}\n` };
      if (decision.status !== 200) return text(decision.status, decision.message);
      const now = this.#clock();
      const cosigned = cosignNote(req.note, this.#cosigner, Math.floor(now.getTime() / 1000));
      const line = cosigned.slice(cosigned.lastIndexOf('\n\u2014 ') + 1);
      if (decision.unchanged) return { status: 200, contentType: 'text/plain; charset=utf-8', body: line };
      const stored = await this.#store.storeWitnessed(
        { origin, size: decision.checkpoint.size, rootHash: decision.checkpoint.rootHash, previousSize: latest?.size ?? 0, note: req.note, cosignature: line.trimEnd() },
        latest?.size ?? 0,
        { topic: this.#topic, type: `${AuditEventNamespace}.ChildCheckpointWitnessed`, source: eventSource(this.#platform, 'audit'), subject: origin, registry: this.#registry },
      );
      if (stored) {
        this.#relay.notify();
        this.#logger.info({ origin, size: decision.checkpoint.size }, 'child checkpoint witnessed');
        return { status: 200, contentType: 'text/plain; charset=utf-8', body: line };
      }
    }
    return text(503, 'concurrent add-checkpoint requests; retry');
  }
}
