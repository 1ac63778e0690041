import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIntervalMs, parseDurationMs, parsePid } from '../../src/cli/options.js';

test('durations', () => {
  assert.equal(parseDurationMs('--interval', '1s'), 1000);
  assert.equal(parseDurationMs('--interval', '250ms'), 250);
  assert.equal(parseDurationMs('--duration', '10m'), 600_000);
  assert.equal(parseDurationMs('--duration', '30'), 30_000);
  assert.equal(parseDurationMs('--duration', '1.5s'), 1500);
  for (const bad of ['', '1x', '-1s', '0', 's', '1 s s']) {
    assert.throws(() => parseDurationMs('--duration', bad), (e: Error & { code?: string }) => e.code === 'E_BAD_VALUE', bad);
  }
  assert.throws(() => checkIntervalMs(10), /between 100ms and 1h/);
});

test('pids are validated as numbers, never passed on as text', () => {
  assert.equal(parsePid('1234'), 1234);
  for (const bad of ['0', '-1', '12a', '1; rm -rf /', '99999999', '']) assert.throws(() => parsePid(bad), /not a process id/, bad);
});
