// A real QEMU guest (TCG), started the way libvirt starts one, traced by the real
// CLI with every probe group attached: it appears as kind "vm" with its libvirt name,
// uuid and memory size; while the guest allocates, its guest-RAM bytes grow and its
// faults land in the guest-ram hotspot; when it stops, a vm-exit event names it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { kernelGate } from '../harness/kernel-gate.js';
import { startGuest, type Guest } from '../harness/qemu-guest.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import type { VmSnapshot } from '../../src/model/snapshot.js';

const MiB = 2 ** 20;
const skip = kernelGate({ qemu: true });
const UUID = '6f1c1a9e-3b2d-4c55-9e0a-0123456789ab';
let guest: Guest | null = null;
let live: LiveRun | null = null;
after(async () => {
  await guest?.stop();
  await live?.stop();
});

test('a libvirt-style QEMU guest is a VM whose guest RAM grows and faults in the guest-ram hotspot', { skip, timeout: 180_000 }, async (t) => {
  live = startLive(['--interval', '1s']);
  const first = await live.waitFor(() => true, 90_000, 'the first snapshot (probes attached)');
  t.diagnostic(`attached: ${first.probes.attached.join(',')}`);
  assert.deepEqual([...first.probes.attached].sort(), ['faults', 'growth', 'kvm', 'reclaim']);

  guest = await startGuest({ name: 'web01', uuid: UUID, memoryMiB: 512, hogMiB: 8, hogLimitMiB: 96, hogIntervalS: 1, disableThp: true, startPaused: true });
  const started = await live.waitFor((s) => s.events.some((e) => e.type === 'vm-start' && e.pid === guest!.pid), 15_000, 'a vm-start event');
  const row = (s: { vms: VmSnapshot[] }): VmSnapshot | undefined => s.vms.find((v) => v.pid === guest!.pid);
  const vm = row(started)!;
  assert.equal(vm.kind, 'vm');
  assert.equal(vm.name, 'web01');
  assert.equal(vm.uuid, UUID);
  assert.equal(vm.source, 'libvirt');
  assert.equal(vm.memoryBytes, 512 * MiB);
  assert.equal(vm.guestRamEnd - vm.guestRamStart, 512 * MiB, 'guest RAM is the 512 MiB mapping, not the TCG code cache');
  const guestRamBefore = vm.rss.guestRamBytes;

  await guest.cont();
  await guest.waitForConsole(/HOG: total=/, 60_000);
  // the guest touched ~150 MiB while booting; measure growth from its first allocation
  const seenAtFirstAlloc = live.snapshots.length;
  await live.waitFor((_s, all) => all.length > seenAtFirstAlloc, 5_000, 'a snapshot after the first allocation');
  const guestRamAtFirstAlloc = row(live.snapshots.at(-1)!)!.rss.guestRamBytes;
  await guest.waitForConsole(/HOG: done/, 90_000);
  const doneAt = live.snapshots.length;
  await live.waitFor((_s, all) => all.length >= doneAt + 2, 10_000, 'two snapshots after the guest allocated');
  const rows = live.snapshots.map(row).filter((v): v is VmSnapshot => v !== undefined);
  const guestRamAfter = Math.max(...rows.map((v) => v.rss.guestRamBytes));
  const guestRamFaults = rows.reduce((sum, v) => sum + v.faults.guestRam, 0);
  const hot = rows.flatMap((v) => v.hotspots).filter((h) => h.region === 'guest-ram');
  t.diagnostic(`guest RAM resident ${(guestRamBefore / MiB).toFixed(0)} MiB paused, ${(guestRamAtFirstAlloc / MiB).toFixed(0)} MiB at the first allocation, ${(guestRamAfter / MiB).toFixed(0)} MiB after 96 MiB; guest-RAM faults ${guestRamFaults}; guest-ram hotspot faults ${hot.reduce((s, h) => s + h.faults, 0)}`);
  assert.ok(guestRamAfter - guestRamAtFirstAlloc >= 56 * MiB, 'guest RAM grew by at least 56 of the 88 MiB allocated after the first step');
  assert.ok(rows.every((v) => v.faults.guestRamSource === 'user-faults'), 'under TCG guest-RAM faults come from host user faults');
  assert.ok(guestRamFaults >= (32 * MiB) / 4096, `guest-RAM faults ${guestRamFaults} too few for 96 MiB in 4 KiB pages`);
  assert.ok(hot.length > 0, 'no guest-ram hotspot');
  assert.ok(hot.every((h) => h.guestPhysAddress >= 0 && h.guestPhysAddress < 512 * MiB && h.startAddress >= vm.guestRamStart && h.startAddress < vm.guestRamEnd));
  assert.equal(live.snapshots.at(-1)!.probes.guestFaultSource, 'user-faults');

  // balloon inflate: the guest frees its memory, QEMU drops it with madvise(DONTNEED)
  await guest.ctl('freeall');
  await guest.qmp('balloon', { value: 128 * MiB });
  const ballooned = await live.waitFor((s) => (row(s)?.growth.balloonBytes ?? 0) > 0, 15_000, 'balloon bytes (madvise on guest RAM)');
  const balloonBytes = live.snapshots.reduce((sum, s) => sum + (row(s)?.growth.balloonBytes ?? 0), 0);
  t.diagnostic(`balloon: ${(balloonBytes / MiB).toFixed(0)} MiB of madvise(DONTNEED) on guest RAM, guest RAM now ${(row(ballooned)!.rss.guestRamBytes / MiB).toFixed(0)} MiB`);
  assert.ok(balloonBytes >= 32 * MiB, `only ${balloonBytes} bytes of balloon madvise seen`);

  const id = vm.id;
  await guest.stop();
  await live.waitFor((s) => s.events.some((e) => e.type === 'vm-exit' && e.vmId === id), 10_000, 'a vm-exit event');
});
