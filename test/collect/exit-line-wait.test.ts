// A snapshot that finds a process gone waits briefly for its exit line
// (src/collect/exit-line-wait.ts), and only for lines the probe prints
// (src/aggregate/process-exit.ts printsExitLine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitLineWait } from '../../src/collect/exit-line-wait.js';
import { printsExitLine } from '../../src/aggregate/process-exit.js';

test('the wait ends as soon as every awaited line is noted, not at its limit', async () => {
  const wait = new ExitLineWait();
  const startedMs = performance.now();
  const done = wait.until([101, 102], 5_000);
  setTimeout(() => wait.noted(101), 5);
  setTimeout(() => wait.noted(999), 10); // another process's line: not awaited
  setTimeout(() => wait.noted(102), 15);
  assert.equal(await done, true);
  const tookMs = performance.now() - startedMs;
  assert.ok(tookMs >= 14 && tookMs < 1_000, `took ${tookMs} ms`);
});

test('a line that never comes: the wait ends at its limit, saying so', async () => {
  const wait = new ExitLineWait();
  const startedMs = performance.now();
  const done = wait.until([101, 102], 60);
  setTimeout(() => wait.noted(101), 5);
  assert.equal(await done, false);
  assert.ok(performance.now() - startedMs >= 59);
  // a line after the limit is no longer awaited, and a new wait starts afresh
  wait.noted(102);
  assert.equal(await wait.until([103], 60), false);
});

test('nothing to wait for: no wait at all', async () => {
  assert.equal(await new ExitLineWait().until([]), true);
});

test('the probe prints an exit line for a process that lived an interval or more: due only when it was that old at the last read', () => {
  // started at 10 s after boot, interval 1 s: last listed at 11.5 s, so it lived 1.5 s or more
  assert.equal(printsExitLine(10_000, 11_500, 1_000), true);
  // last listed 0.5 s after its start: it may have exited before living 1 s (no line)
  assert.equal(printsExitLine(10_000, 10_500, 1_000), false);
  // right at the interval: the clocks' 10 ms steps could hide that it was younger
  assert.equal(printsExitLine(10_000, 11_000, 1_000), false);
  assert.equal(printsExitLine(10_000, 11_020, 1_000), true);
});
