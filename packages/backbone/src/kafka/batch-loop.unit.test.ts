import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../telemetry/logging.ts';
import { BatchLoop } from './batch-loop.ts';

const logger = createLogger('test', 'silent');

test('a notify that arrives while a step runs skips the next idle wait', async () => {
  const starts: number[] = [];
  const loop: BatchLoop = new BatchLoop({
    what: 'test',
    fullBatch: 10,
    idleMs: 10_000,
    logger,
    step: async () => {
      starts.push(Date.now());
      if (starts.length === 1) loop.notify(); // work committed while this step ran
      return 0;
    },
  });
  loop.start();
  await new Promise((r) => setTimeout(r, 100));
  await loop.stop();
  assert.equal(starts.length, 2, 'the second step ran without waiting the 10 s idle interval');
});

test('full batches run back to back; a failing step backs off and the loop goes on', async () => {
  let calls = 0;
  const loop = new BatchLoop({
    what: 'test',
    fullBatch: 2,
    idleMs: 1,
    logger,
    step: async () => {
      calls += 1;
      if (calls === 3) throw new Error('boom');
      return calls < 3 ? 2 : 0;
    },
  });
  loop.start();
  await new Promise((r) => setTimeout(r, 700));
  await loop.stop();
  assert.ok(calls >= 4, `the loop continued after the failure (${calls} steps)`);
});
