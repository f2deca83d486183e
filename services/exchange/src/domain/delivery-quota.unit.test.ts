import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GovError } from '@govmesh/backbone';
import { admitCall } from './delivery-quota.ts';

const limits = { callsPerMinute: 3, recordsPerDay: 1000 };
const at = (s: string) => new Date(`2026-09-21T${s}+08:00`);

test('DLV-07: a share under its limits is admitted with what is left of its daily volume', () => {
  assert.deepEqual(admitCall('sr-1', { callsInLastMinute: [at('10:00:00'), at('10:00:10')], recordsToday: 400 }, limits, at('10:00:30')), { recordsLeft: 600 });
});

test('DLV-07: one call too many in a minute is 429 with the seconds until the oldest call leaves the window', () => {
  const calls = [at('10:00:00'), at('10:00:10'), at('10:00:20')];
  assert.throws(() => admitCall('sr-1', { callsInLastMinute: calls, recordsToday: 0 }, limits, at('10:00:30')), (e: GovError) => e.code === 'GOV_ERR_RATE_LIMITED' && e.rule === 'DLV-07' && e.retryAfterSeconds === 30 && e.violations[0]?.field === 'share.callsPerMinute');
  // Retried too early (the window still full) it is refused again, with a shorter wait; retried when told, admitted.
  assert.throws(() => admitCall('sr-1', { callsInLastMinute: calls, recordsToday: 0 }, limits, at('10:00:59')), (e: GovError) => e.retryAfterSeconds === 1);
  assert.doesNotThrow(() => admitCall('sr-1', { callsInLastMinute: calls.slice(1), recordsToday: 0 }, limits, at('10:01:00')));
});

test('DLV-07: the daily volume reached is 429 until midnight in China, not UTC', () => {
  assert.throws(() => admitCall('sr-1', { callsInLastMinute: [], recordsToday: 1000 }, limits, at('23:00:00')), (e: GovError) => e.code === 'GOV_ERR_RATE_LIMITED' && e.retryAfterSeconds === 3600 && e.violations[0]?.field === 'share.recordsPerDay');
  assert.throws(() => admitCall('sr-1', { callsInLastMinute: [], recordsToday: 1200 }, limits, at('00:00:01')), (e: GovError) => e.retryAfterSeconds === 86399);
});
