// Map values that cannot be are dropped and counted at the parser, never passed to a
// detector. The lines are SYNTHETIC (written here in bpftrace 0.17's JSON form); the
// real parser, batcher and folder read them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeBatches } from '../harness/probe-batches.js';
import { foldBatches, plausibleValue, MAX_PLAUSIBLE_VALUE } from '../../src/aggregate/probe-counters.js';


const tick = (n: number): string => `{"type": "printf", "data": "faultline_tick ${n}\\n"}`;

test('plausibleValue: sizes and counts are 0..2^57, the break movement is signed', () => {
  assert.equal(plausibleValue('@mmap_bytes', 0), true);
  assert.equal(plausibleValue('@mmap_bytes', MAX_PLAUSIBLE_VALUE), true);
  assert.equal(plausibleValue('@mmap_bytes', MAX_PLAUSIBLE_VALUE + 2 ** 40), false);
  assert.equal(plausibleValue('@mmap_bytes', -1), false);
  assert.equal(plausibleValue('@fault_user', -5), false);
  assert.equal(plausibleValue('@brk_bytes', -135168), true);
  assert.equal(plausibleValue('@brk_bytes', 2 ** 64 - 135168), false);
  assert.equal(plausibleValue('@brk_bytes', Number.NaN), false);
});

test('a break shrink printed as unsigned 64-bit and a failed mmap of len -1 are counted, not summed', () => {
  const batches = probeBatches('growth', [
    tick(1),
    '{"type": "map", "data": {"@brk_bytes": {"100": 18446744073709416448, "101": -135168, "102": 135168}}}',
    '{"type": "map", "data": {"@mmap_bytes": {"100": 18446744073709551615, "101": 65536}}}',
    tick(2),
  ]);
  assert.ok(batches.length >= 1);
  const totals = foldBatches(batches);
  assert.equal(totals.badValues, 2);
  assert.equal(totals.byPid.get(100)?.brkBytes ?? 0, 0);
  assert.equal(totals.byPid.get(100)?.mmapBytes ?? 0, 0);
  assert.equal(totals.byPid.get(101)!.brkBytes, -135168);
  assert.equal(totals.byPid.get(101)!.mmapBytes, 65536);
  assert.equal(totals.byPid.get(102)!.brkBytes, 135168);
});
