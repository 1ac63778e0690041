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

test('short-lived processes taking turns: each is kept while it has a point in the window, with its gaps, and no longer', () => {
  const h = new HistoryBuffer(20);
  // every snapshot: the VM, and a new process seen once (the next busiest); p0 comes back at 3
  for (let i = 0; i < 200; i++) h.push(snap(1000 * i, [vm('vm', 100 + i, 0), vm(`p${i}`, i, 0), ...(i === 3 ? [vm('p0', 7, 0)] : [])]));
  const out = h.toHistory();
  assert.equal(out.timeMs.length, 20);
  assert.deepEqual(out.vms.map((v) => v.id), ['vm', ...Array.from({ length: 20 }, (_, k) => `p${180 + k}`)]);
  for (const v of out.vms) assert.equal(v.rssBytes.length, 20, v.id);
  assert.deepEqual(out.vms[0]!.rssBytes, Array.from({ length: 20 }, (_, k) => 280 + k));
  const p185 = out.vms.find((v) => v.id === 'p185')!.rssBytes;
  assert.deepEqual(p185.map((x, k) => (Number.isNaN(x) ? null : [k, x])).filter(Boolean), [[5, 185]]);

  // a process back after a gap: NaN in the gap, in a window that still holds its first point
  const g = new HistoryBuffer(10);
  for (let i = 0; i < 6; i++) g.push(snap(1000 * i, i === 1 || i === 4 ? [vm('p', 10 * i, 0)] : []));
  assert.deepEqual(g.toHistory().vms[0]!.rssBytes, [Number.NaN, 10, Number.NaN, Number.NaN, 40, Number.NaN]);
});
