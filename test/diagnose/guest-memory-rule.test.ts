// The guest-memory rule (src/diagnose/guest-memory-rule.ts) on SYNTHETIC snapshots:
// a libvirt VM whose guest reports its own memory (the row's guestMemory, as
// `virsh domstats --balloon` gives it). Each threshold at, just below and just above
// its boundary; the remedy's size; MemFree for guests without MemAvailable; stale and
// missing reports not judged; the guest's view in the VM's other causes. The real
// counterpart: test/kernel/libvirt-guest.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GuestMemory, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { neededBalloonBytes } from '../../src/diagnose/guest-memory-rule.js';
import { DEFAULT_THRESHOLDS, thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { frameToJson } from '../../src/proto/codec.js';
import { snapshotAt, vmRow } from '../detect/snapshots.js';
import { T0 } from '../detect/synthetic.js';

const MiB = 2 ** 20;
const T = DEFAULT_THRESHOLDS;
const READ_AT = T0 + 10_000;

function guest(fields: Partial<GuestMemory> = {}): GuestMemory {
  return {
    balloonCurrentBytes: 1000 * MiB, balloonMaximumBytes: 2000 * MiB, memTotalBytes: 980 * MiB, memFreeBytes: 300 * MiB, memAvailableBytes: 400 * MiB,
    diskCachesBytes: 120 * MiB, swapInBytes: 0, swapOutBytes: 0, majorFaults: 3, minorFaults: 1000, swapInPagesPerSec: 0, swapOutPagesPerSec: 0,
    guestUpdatedMs: READ_AT - 1000, readAtMs: READ_AT, ...fields,
  };
}

function vm(g: GuestMemory | null, fields: Partial<VmSnapshot> = {}): VmSnapshot {
  const base = vmRow({ id: '4242@7', pid: 4242 });
  return {
    ...base, kind: 'vm', name: 'web01', source: 'libvirt', comm: 'qemu-system-x86', memoryBytes: 2000 * MiB,
    rss: { ...base.rss, totalBytes: 1100 * MiB, guestRamBytes: 1000 * MiB }, guestMemory: g, ...fields,
  };
}

/** Ten 1 s snapshots of the row. */
const windowOf = (row: VmSnapshot): Snapshot[] => Array.from({ length: 10 }, (_, k) => snapshotAt(k, (k + 1) * 1000, 1000, [row]));
const causes = (row: VmSnapshot, t = T) => diagnose(windowOf(row), t).causes.filter((c) => c.cause === 'guest-memory-low');

test('guestAvailableWarningPct: at 10% of the balloon nothing; a page below, the cause; a page above, nothing', () => {
  assert.equal(T.guestAvailableWarningPct, 10);
  assert.deepEqual(causes(vm(guest({ memAvailableBytes: 100 * MiB }))), []);
  assert.deepEqual(causes(vm(guest({ memAvailableBytes: 100 * MiB + 4096 }))), []);
  const [c, ...more] = causes(vm(guest({ memAvailableBytes: 100 * MiB - 4096 })));
  assert.equal(more.length, 0);
  assert.deepEqual([c!.severity, c!.subject, c!.subjectId, c!.pid], ['warning', 'web01', '4242@7', 4242]);
  assert.equal(c!.title, 'web01 (VM): the guest has 10% of its memory available (below 10%)');
  // a threshold from the user's file moves the boundary
  assert.equal(causes(vm(guest({ memAvailableBytes: 150 * MiB })), thresholdsFrom({ guestAvailableWarningPct: 15.1 }, 'test')).length, 1);
});

test('guestSwapWarningPagesPerSec: at 10 pages/s (in + out) nothing; just above, the cause; just below, nothing', () => {
  assert.equal(T.guestSwapWarningPagesPerSec, 10);
  assert.deepEqual(causes(vm(guest({ swapInPagesPerSec: 4, swapOutPagesPerSec: 6 }))), []);
  assert.deepEqual(causes(vm(guest({ swapInPagesPerSec: 4, swapOutPagesPerSec: 5.99 }))), []);
  const [c] = causes(vm(guest({ swapInPagesPerSec: 4, swapOutPagesPerSec: 6.01, swapInBytes: 5 * MiB, swapOutBytes: 9 * MiB })));
  assert.equal(c!.title, 'web01 (VM): the guest swaps 10 pages/s (above 10)');
  assert.ok(Math.abs(c!.score - 1.001) < 1e-9, `score ${c!.score}`);
  assert.equal(c!.evidence[1], 'since the guest booted: swapped 5 MiB in, 9 MiB out, 3 major faults');
  // swapping with room to spare: a quarter more memory, rounded up to 64 MiB
  assert.match(c!.remedy, /^give the guest memory back through its balloon: `virsh setmem web01 1280M --live`/);
  // unknown rates (a first reading) are not swapping
  assert.deepEqual(causes(vm(guest({ swapInPagesPerSec: -1, swapOutPagesPerSec: -1 }))), []);
  // both at once: one cause, both said, the worse one scores
  const [both] = causes(vm(guest({ memAvailableBytes: 50 * MiB, swapInPagesPerSec: 100, swapOutPagesPerSec: 0 })));
  assert.equal(both!.title, 'web01 (VM): the guest has 5% of its memory available (below 10%) and swaps 100 pages/s (above 10)');
  assert.equal(both!.score, 10);
});

test('the evidence in numbers and a setmem that brings MemAvailable above the threshold, rounded up to 64 MiB', () => {
  const [c] = causes(vm(guest({ memAvailableBytes: 50 * MiB, memFreeBytes: 20 * MiB })));
  assert.deepEqual(c!.evidence, [
    'the guest\'s own view (virsh domstats, reported 1 s before it was read): MemAvailable 50 MiB of the 1000 MiB its balloon gives it (5%; maximum 1.95 GiB), ' +
      'MemFree 20 MiB, MemTotal 980 MiB, file pages 120 MiB, swapping 0 pages/s in, 0 out',
    'since the guest booted: swapped 0 B in, 0 B out, 3 major faults',
    'on the host: resident guest RAM 1000 MiB of the 1.95 GiB configured',
  ]);
  // (0.1 x 1000 - 50) / 0.9 = 55.6 MiB more, + 1 MiB: 1056.6 -> 1088 MiB
  assert.equal(c!.remedy, 'give the guest memory back through its balloon: `virsh setmem web01 1088M --live` (the host gives it 88 MiB more); ' +
    'or find what fills the guest\'s memory (inside it: `top -o %MEM`, /proc/meminfo)');
  const g = guest({ memAvailableBytes: 50 * MiB });
  const size = neededBalloonBytes(g, 10);
  assert.ok((50 * MiB + size - g.balloonCurrentBytes) / size > 0.1, 'MemAvailable above 10% of the new balloon');
  assert.equal(size % (64 * MiB), 0);
  assert.equal(c!.score, 2);
});

test('capped at the maximum, and at the maximum: setmaxmem and setmem for the next boot', () => {
  const [capped] = causes(vm(guest({ memAvailableBytes: 50 * MiB, balloonMaximumBytes: 1024 * MiB })));
  assert.match(capped!.remedy, /^give the guest memory back through its balloon: `virsh setmem web01 1024M --live`; that is its maximum: for more, `virsh setmaxmem web01 1088M --config` and `virsh setmem web01 1088M --config`, then restart it \(the host gives it 24 MiB more\)/);
  const [atMax] = causes(vm(guest({ memAvailableBytes: 50 * MiB, balloonMaximumBytes: 1000 * MiB })));
  assert.match(atMax!.remedy, /^its balloon is at its maximum \(1000 MiB\): `virsh setmaxmem web01 1088M --config` and `virsh setmem web01 1088M --config`, then restart it; or find what fills/);
});

test('a guest without MemAvailable (Linux before 4.16) is judged by MemFree', () => {
  const [c] = causes(vm(guest({ memAvailableBytes: -1, memFreeBytes: 99 * MiB })));
  assert.equal(c!.title, 'web01 (VM): the guest has 9.9% of its memory available (below 10%)');
  assert.match(c!.evidence[0]!, /: MemFree 99 MiB of the 1000 MiB its balloon gives it \(9\.9%; maximum 1\.95 GiB\), MemTotal 980 MiB/);
  assert.deepEqual(causes(vm(guest({ memAvailableBytes: -1, memFreeBytes: 100 * MiB }))), []);
});

test('not judged: no reading, a guest that never reported, a report more than 5 min older than the reading, an exited VM', () => {
  assert.deepEqual(causes(vm(null)), []);
  assert.deepEqual(causes(vm(guest({ memAvailableBytes: -1, memFreeBytes: -1 }))), []);
  const low = { memAvailableBytes: 10 * MiB };
  assert.deepEqual(causes(vm(guest({ ...low, guestUpdatedMs: 0 }))), []);
  assert.equal(causes(vm(guest({ ...low, guestUpdatedMs: READ_AT - 300_000 }))).length, 1, 'exactly 5 min old');
  assert.deepEqual(causes(vm(guest({ ...low, guestUpdatedMs: READ_AT - 300_001 }))), []);
  assert.deepEqual(causes(vm(guest(low), { exit: { atMs: 1, cause: 'exit', code: 0, signal: 0, faultsAtExit: false } })), []);
});

test('the VM\'s other causes carry the guest\'s view in their evidence; the cause survives the wire', () => {
  const cgroup = { path: '/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope', limitBytes: 1200 * MiB, usageBytes: 1150 * MiB, oomKills: 0, limitHits: 0, swapBytes: 0 };
  const window = windowOf(vm(guest({ memAvailableBytes: 50 * MiB }), { cgroup }));
  const d = diagnose(window, T);
  const near = d.causes.find((c) => c.cause === 'cgroup-near-limit')!;
  assert.match(near.evidence.at(-1)!, /^the guest's own view \(virsh domstats, reported 1 s before it was read\): MemAvailable 50 MiB of the 1000 MiB/);
  const own = d.causes.find((c) => c.cause === 'guest-memory-low')!;
  assert.equal(own.evidence.filter((e) => e.startsWith('the guest\'s own view')).length, 1, 'said once in its own cause');
  // a VM without a reading: its causes as they were
  const plain = diagnose(windowOf(vm(null, { cgroup })), T).causes.find((c) => c.cause === 'cgroup-near-limit')!;
  assert.equal(plain.evidence.length, 1);
  const decoded = (frameToJson({ snapshot: { ...window.at(-1)!, diagnosis: d } }) as { snapshot: Snapshot }).snapshot;
  assert.deepEqual(decoded.vms[0]!.guestMemory, guest({ memAvailableBytes: 50 * MiB }));
  assert.deepEqual(decoded.diagnosis!.causes.find((c) => c.cause === 'guest-memory-low'), own);
});
