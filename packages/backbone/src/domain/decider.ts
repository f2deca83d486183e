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
