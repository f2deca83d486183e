import type { Decoded } from '../avro/registry.ts';
import { GovError } from '../errors/errors.ts';
import type { WorkingCalendar } from '../time/calendar.ts';

/**
 * A domain event as the domain sees it: the short type name (the Avro record name) and its data.
 * The Avro full name is `${namespace}.${type}`.
 */
export interface DomainEvent<T extends string = string, D = object> {
  type: T;
  data: D;
}

/** Who issued a command, when, and why: the metadata every command carries. */
export interface CommandContext {
  /** The authenticated department. */
  actor: string;
  /** Instant the command was accepted (from the service clock). */
  at: Date;
  commandId: string;
  /** The aggregate the command is decided on (set by the store). */
  aggregateId?: string;
  /** The share or entry the command belongs to; defaults to the aggregate id. */
  correlationId?: string;
  /** The event that caused this command (for commands issued by consumers). */
  causationId?: string;
}

/** What a decider may consult besides the command and the state: pure, no I/O. */
export interface DecisionDeps {
  calendar: WorkingCalendar;
}

/**
 * The decider pattern: decide(command, state) -> events; evolve(state, event) -> state.
 * Pure functions, tested without I/O; the store does the I/O around them.
 */
export interface Decider<C, E extends DomainEvent, S> {
  initialState: () => S;
  decide: (command: C, state: S, ctx: CommandContext, deps: DecisionDeps) => E[];
  evolve: (state: S, event: E) => S;
}

export const fold = <E extends DomainEvent, S>(decider: Pick<Decider<never, E, S>, 'initialState' | 'evolve'>, events: readonly E[]): S =>
  events.reduce(decider.evolve, decider.initialState());

/**
 * The domain event of a decoded record: its short type within `namespace` (the generated
 * `<Stream>EventNamespace`) and its data. A record of another namespace, or of a type `types`
 * (the generated `<Stream>EventTypes`) does not list, is not an event of this stream: it is
 * undecodable here, and a consumer sends it to the dead-letter topic rather than guess.
 */
export const domainEventOf = <E extends DomainEvent>(decoded: Decoded, namespace: string, types?: readonly string[]): E => {
  const name = decoded.schema.name;
  const dot = name.lastIndexOf('.');
  const type = name.slice(0, dot) === namespace ? name.slice(dot + 1) : undefined;
  if (type === undefined || (types !== undefined && !types.includes(type))) {
    throw new GovError('GOV_ERR_EVENT_UNDECODABLE', `${name} is not an event of ${namespace}`, { violations: [{ field: 'ce_type', description: `expected an event of ${namespace}` }] });
  }
  return { type, data: decoded.value } as unknown as E;
};
