import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectProcesses } from '../../src/aggregate/select-processes.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';
import type { ProcessStat } from '../../src/model/host.js';

const stat = (pid: number, ppid = 1, comm = `p${pid}`): ProcessStat => ({ pid, comm, state: 'S', ppid, minflt: 0, majflt: 0, startTimeTicks: 1, rssPages: 0, cpuTicks: 0 });

test('VMs, pinned pids and stalled pids always; then the busiest by faults; never kernel threads or the dead', () => {
  const totals = foldBatches([{
    group: 'x', complete: true, lines: [], lostEvents: 0, hists: new Map(),
    maps: new Map([
      ['@fault_user', { keyWidth: 1, keys: [10, 11, 3], values: [500, 50, 9999] }],
      ['@reclaim_memcg_count', { keyWidth: 1, keys: [12], values: [1] }],
    ]),
  }]);
  const chosen = selectProcesses({
    stats: [stat(3, 2), stat(10), stat(11), stat(12), stat(13), stat(20), stat(21)],
    faultDeltaByPid: new Map([[13, 100], [21, 0]]),
    vmPids: new Set([20, 999]),
    pinnedPids: new Set([21]),
    totals,
    busiestLimit: 2,
  });
  assert.deepEqual(chosen.sort((a, b) => a - b), [10, 12, 13, 20, 21]);
});

test('faultline itself and the bpftrace it started are never the busiest; its other children and pinned self are', () => {
  const totals = foldBatches([{
    group: 'x', complete: true, lines: [], lostEvents: 0, hists: new Map(),
    maps: new Map([['@fault_user', { keyWidth: 1, keys: [500, 501, 502, 503, 600], values: [9000, 8000, 7000, 6000, 10] }]]),
  }]);
  const stats = [stat(500, 1, 'node'), stat(501, 500, 'bpftrace'), stat(502, 500, 'fault-loop'), stat(503, 1, 'bpftrace'), stat(600)];
  const input = { stats, faultDeltaByPid: new Map<number, number>(), vmPids: new Set<number>(), pinnedPids: new Set<number>(), totals, busiestLimit: 5 };
  assert.deepEqual(selectProcesses({ ...input, selfPid: 500 }).sort((a, b) => a - b), [502, 503, 600], 'a workload it started and a bpftrace of someone else stay');
  assert.deepEqual(selectProcesses({ ...input, selfPid: 0 }).sort((a, b) => a - b), [500, 501, 502, 503, 600], 'selfPid 0 leaves nothing out');
  assert.deepEqual(selectProcesses({ ...input, selfPid: 500, pinnedPids: new Set([500]) }).sort((a, b) => a - b), [500, 502, 503, 600], '--pid of itself is honoured');
});

test('a task stalled in direct compaction gets a row; kcompactd (a kernel thread) does not', () => {
  const totals = foldBatches([{
    group: 'x', complete: true, lines: [], lostEvents: 0, hists: new Map(),
    maps: new Map([['@compaction_count', { keyWidth: 1, keys: [40, 41], values: [3, 7] }]]),
  }]);
  const chosen = selectProcesses({
    stats: [stat(40), stat(41, 2, 'kcompactd0'), stat(42)],
    faultDeltaByPid: new Map(),
    vmPids: new Set(),
    pinnedPids: new Set(),
    totals,
    busiestLimit: 0,
  });
  assert.deepEqual(chosen, [40]);
});
