import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectProcesses } from '../../src/aggregate/select-processes.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';
import type { ProcessStat } from '../../src/model/host.js';

const stat = (pid: number, ppid = 1): ProcessStat => ({ pid, comm: `p${pid}`, state: 'S', ppid, minflt: 0, majflt: 0, startTimeTicks: 1, rssPages: 0 });

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
