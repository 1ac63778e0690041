import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryBuffer } from '../../src/serve/history.js';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

function vm(id: string, rssBytes: number, minor: number): VmSnapshot {
  return {
    id, name: id, kind: 'vm', rss: { totalBytes: rssBytes, guestRamBytes: rssBytes / 2, ownAnonBytes: 1, fileBytes: 2, swapBytes: 0 },
    faults: { minor, major: 0, guestRam: 0 }, kvm: { eptFaults: 0 }, reclaim: { stallNs: 2e6 },
  } as unknown as VmSnapshot;
}
function snap(timeMs: number, vms: VmSnapshot[]): Snapshot {
  return {
    timeMs, intervalMs: 500, vms, events: [],
    host: { memAvailableBytes: timeMs, swapUsedBytes: 0, psiMemSomeAvg10: 0 }, probes: { lostEvents: 0 },
  } as unknown as Snapshot;
}

test('columns stay aligned: NaN where a VM was absent, rates per second, oldest points dropped', () => {
  const h = new HistoryBuffer(3);
  h.push(snap(1000, [vm('a', 100, 50)]));
  h.push(snap(1500, [vm('a', 200, 50), vm('b', 10, 5)]));
  h.push(snap(2000, [vm('b', 20, 5)]));
  let out = h.toHistory();
  assert.deepEqual(out.timeMs, [1000, 1500, 2000]);
  const a = out.vms.find((v) => v.id === 'a')!;
  const b = out.vms.find((v) => v.id === 'b')!;
  assert.deepEqual(a.rssBytes, [100, 200, Number.NaN]);
  assert.deepEqual(a.faultsPerSec, [100, 100, Number.NaN]);
  assert.deepEqual(b.rssBytes, [Number.NaN, 10, 20]);
  assert.deepEqual(a.stallMs.slice(0, 2), [2, 2]);
  h.push(snap(2500, [vm('b', 30, 5)]));
  h.push(snap(3000, [vm('b', 40, 5)]));
  out = h.toHistory();
  assert.deepEqual(out.timeMs, [2000, 2500, 3000]);
  assert.deepEqual(out.host.memAvailableBytes, [2000, 2500, 3000]);
  assert.equal(out.vms.find((v) => v.id === 'a'), undefined, 'a VM gone from the whole window is forgotten');
  assert.deepEqual(out.vms[0]!.rssBytes, [20, 30, 40]);
});
