// What a snapshot's counts cover (src/collect/collector.ts coveredMs): the clock's
// time since the reads its deltas start from, not the nominal interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coveredMs } from '../../src/collect/collector.js';

test('a snapshot on time covers the time since the last reads, to the ms', () => {
  assert.equal(coveredMs(10_000, 11_004, 1000), 1004);
});

test('the first snapshot, 0.5-1.5 intervals after priming, covers that long', () => {
  assert.equal(coveredMs(10_000, 10_600, 1000), 600);
  assert.equal(coveredMs(10_000, 11_450, 1000), 1450);
});

test('a snapshot after a slow one folds the skipped boundaries in: two intervals, not one', () => {
  assert.equal(coveredMs(10_000, 12_010, 1000), 2010);
});

test('nothing to measure from (no reads yet, or a clock that did not move): the nominal interval', () => {
  assert.equal(coveredMs(null, 11_000, 1000), 1000);
  assert.equal(coveredMs(11_000, 11_000, 500), 500);
  assert.equal(coveredMs(12_000, 11_000, 2000), 2000);
});
