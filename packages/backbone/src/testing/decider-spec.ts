import assert from 'node:assert/strict';
import { GovError, type ErrorCode } from '../errors/errors.ts';
import { fold, type CommandContext, type Decider, type DecisionDeps, type DomainEvent } from '../domain/decider.ts';
import { WorkingCalendar } from '../time/calendar.ts';

/**
 * Given/When/Then for deciders: given past events, when a command, then these events (or this
 * error). Pure: no database, no broker.
 */
export const deciderSpec = <C, E extends DomainEvent, S>(decider: Decider<C, E, S>, deps: DecisionDeps = { calendar: new WorkingCalendar() }) => ({
  given: (events: E[]) => ({
    when: (command: C, ctx: Partial<CommandContext> & { at: Date }) => {
      const fullCtx: CommandContext = { actor: 'test', commandId: 'cmd-test', ...ctx };
      const run = () => decider.decide(command, fold(decider, events), fullCtx, deps);
      return {
        then: (expected: E[]) => assert.deepEqual(run(), expected),
        thenEvents: () => run(),
        thenThrows: (code: ErrorCode, rule?: string, message?: RegExp) =>
          assert.throws(run, (err: unknown) => {
            assert.ok(err instanceof GovError, `expected a GovError, got ${String(err)}`);
            assert.equal(err.code, code, err.message);
            if (rule !== undefined) assert.equal(err.rule, rule, err.message);
            if (message !== undefined) assert.match(err.message, message);
            return true;
          }),
      };
    },
  }),
});
