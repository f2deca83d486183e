import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GovError } from '../errors/errors.ts';
import { createLogger } from '../telemetry/logging.ts';
import { ControlledClock } from '../time/clock.ts';
import { DeadlineWatcher } from './deadline-watcher.ts';

const logger = createLogger('test', 'silent');
const clock = new ControlledClock('2026-10-20T09:00:00+08:00');

test('a pass counts new overdue events and ignores a racing replica conflict', async () => {
  const w = new DeadlineWatcher({
    due: async () => ['a', 'b', 'c'],
    check: async (id) => {
      if (id === 'b') throw new GovError('GOV_ERR_CONCURRENCY_CONFLICT', 'raced');
      return { eventIds: id === 'a' ? ['e1'] : [] };
    },
    clock,
    logger,
    intervalMs: 10,
  });
  assert.equal(await w.scanOnce(), 1);
});

test('a failing scan query is logged and retried, never an unhandled rejection', async () => {
  let calls = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const w = new DeadlineWatcher({
    due: async () => {
      calls += 1;
      if (calls === 1) throw new Error('connection reset');
      return [];
    },
    check: async () => ({ eventIds: [] }),
    clock,
    logger,
    intervalMs: 5,
  });
  w.start();
  await new Promise((r) => setTimeout(r, 60));
  await w.stop();
  process.off('unhandledRejection', onUnhandled);
  assert.ok(calls >= 2, `the watcher kept scanning after the failure (${calls} passes)`);
  assert.deepEqual(unhandled, []);
});

test('APR-02: the first pass also checks every aggregate with a provisional deadline, once; later passes only the due ones', async () => {
  const checked: string[][] = [];
  let pass: string[] = [];
  const w = new DeadlineWatcher({
    due: async () => ['due-1'],
    provisional: async () => ['provisional-1', 'due-1', 'provisional-2'],
    check: async (id) => {
      pass.push(id);
      return { eventIds: [] };
    },
    clock,
    logger,
    intervalMs: 10,
  });
  for (let i = 0; i < 2; i += 1) {
    pass = [];
    await w.scanOnce();
    checked.push(pass);
  }
  assert.deepEqual(checked, [['due-1', 'provisional-1', 'provisional-2'], ['due-1']]);
});
