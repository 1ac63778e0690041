// The scale benchmark's breakdown of a V8 CPU profile (bench/lib/profile-sources.ts), on
// a synthetic profile (hand-made nodes and samples, not a capture).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuBySource, hottestFunctions, type CpuProfile } from '../../bench/lib/profile-sources.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
// root -> tick (dist/collect) -> readAll (dist/host) -> readSync (node:fs); root -> (idle); root -> (garbage collector)
const synthetic: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('tick', 'file:///opt/faultline/dist/collect/collector.js', 9), children: [3] },
    { id: 3, callFrame: frame('readAll', 'file:///opt/faultline/dist/host/proc-stat-reader.js', 41), children: [4] },
    { id: 4, callFrame: frame('readSync', 'node:fs', 700) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // a sample's delta is the time since the one before: one in the 1 s of warm-up
  // (skipped), then 1 s: 300 ms in readSync, 100 ms in tick, 100 ms GC, 500 ms idle
  samples: [2, 4, 4, 4, 2, 6, 5],
  timeDeltas: [900_000, 100_000, 100_000, 100_000, 100_000, 100_000, 500_000],
};

test('hottest functions: self time per second of the window, warm-up and idle left out, named by file and line', () => {
  const top = hottestFunctions(synthetic, 1_000_000, 10);
  assert.deepEqual(top.map((f) => [f.frame, Math.round(f.msPerSecond)]), [
    ['readSync (node:fs:701)', 300],
    ['tick (collect/collector.js:10)', 100],
    ['(garbage collector)', 100],
  ]);
  assert.equal(top[0]!.share, 0.6);
  assert.equal(hottestFunctions(synthetic, 1_000_000, 1).length, 1);
});

test('by source: a Node frame counts for the faultline directory that called it', () => {
  const sources = cpuBySource(synthetic, 1_000_000);
  assert.deepEqual(sources.map((s) => [s.source, Math.round(s.msPerSecond)]), [
    ['/proc and /sys reads (src/host)', 300],
    ['collector (src/collect)', 100],
    ['garbage collection', 100],
  ]);
});
