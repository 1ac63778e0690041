// Memory-cgroup swap (CgroupMemory.swapBytes) in the paging cause's evidence, on
// SYNTHETIC snapshots: a process holding swap in its own memory cgroup is shown with
// its cgroup's swap; the root cgroup and a cgroup without swap are not. The real
// counterpart (swapBytes against the cgroup's files and VmSwap):
// test/kernel/diagnosis-balloon.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CgroupMemory, Snapshot } from '../../src/model/snapshot.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/thresholds.js';
import { snapshotAt, vmRow } from '../detect/snapshots.js';

const MiB = 2 ** 20;

/** Ten 1 s snapshots paging 12 pages/s, one process holding 60 MiB of swap in `cgroup`. */
function paging(cgroup: Partial<CgroupMemory>): Snapshot[] {
  const base = vmRow({ id: '42@1', pid: 42 });
  const row = { ...base, name: 'page-cycle', rss: { ...base.rss, swapBytes: 60 * MiB }, cgroup: { ...base.cgroup, ...cgroup } };
  return Array.from({ length: 10 }, (_, k) => {
    const s = snapshotAt(k, (k + 1) * 1000, 1000, [row]);
    s.host.vmstat = { ...s.host.vmstat, pswpin: 6, pswpout: 6 };
    return s;
  });
}

const swappedOut = (w: Snapshot[]): string | undefined => diagnose(w, DEFAULT_THRESHOLDS).causes.find((c) => c.cause === 'paging')?.evidence.find((e) => e.startsWith('swapped out: '));

test('paging names the process\'s memory cgroup and the swap charged to it', () => {
  assert.equal(swappedOut(paging({ path: '/faultline-paging-7', limitBytes: 64 * MiB, swapBytes: 58.5 * MiB })),
    'swapped out: page-cycle (pid 42) 60 MiB (its memory cgroup /faultline-paging-7: 58.5 MiB)');
  assert.equal(swappedOut(paging({ path: '/faultline-paging-7', swapBytes: 0 })), 'swapped out: page-cycle (pid 42) 60 MiB', 'no swap charged (or no swap accounting)');
  assert.equal(swappedOut(paging({ path: '/', swapBytes: 2048 * MiB })), 'swapped out: page-cycle (pid 42) 60 MiB', 'the root cgroup is the whole host');
});
