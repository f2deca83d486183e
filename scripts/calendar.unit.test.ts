import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(ROOT, 'packages/backbone/src/time/testdata/2027.test-schedule.json');
const calendar = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'scripts/calendar.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });

test('APR-02: `calendar check` reads a year file, shows each day off by its holiday and how it differs from the provisional count, and accepts it', () => {
  const r = calendar('check', FIXTURE);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2027-02-06 Sat {2}Spring Festival \(春节, 正月初一\)/);
  assert.match(r.stdout, /5 more weekday\(s\) off/);
  assert.match(r.stdout, /ok: .* well-formed schedule for 2027/);
});

test('APR-02: `calendar check` refuses a malformed year file, naming every problem, with exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'govmesh-calendar-cli-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ year: 2027, source: 'draft', holidays: ['2027-02-30'], workdays: ['2027-03-03'], note: '' }));
  const r = calendar('check', join(dir, 'bad.json'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /note: unknown key/);
  assert.match(r.stderr, /holidays\[0\]: "2027-02-30" is not a real date/);
  assert.match(r.stderr, /workdays: 2027-03-03 is a weekday/);
  assert.match(r.stderr, /2027-06-09, Dragon Boat Festival \(端午节\), is a statutory holiday/);
  writeFileSync(join(dir, 'broken.json'), '{"year": 2027,');
  assert.equal(calendar('check', join(dir, 'broken.json')).status, 1);
});

test('APR-02: `calendar show` tells an official year from a provisional one', () => {
  const official = calendar('show', '2026');
  assert.equal(official.status, 0, official.stderr);
  assert.match(official.stdout, /^official:\n2026: State Council General Office notice for 2026/);
  const provisional = calendar('show', '2027');
  assert.match(provisional.stdout, /2027: PROVISIONAL/);
  assert.match(provisional.stdout, /2027-02-09 {2}substitute day off/);
  assert.equal(calendar('show', 'next').status, 2);
});
