// KVM events are SYNTHETIC here (no /dev/kvm): built from the tracepoint formats by
// test/harness/synthetic-kvm.ts, then run through the real parser, batcher and
// snapshot builder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvmProbeLines, tracepointFields, type SyntheticKvmEvent } from '../harness/synthetic-kvm.js';
import { probeBatches } from '../harness/probe-batches.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';
import { buildSnapshot, type TrackedProcess } from '../../src/aggregate/build-snapshot.js';
import type { Mapping, ProcessDetail } from '../../src/model/host.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;


function vm(pid: number, name: string, ramStart: number, memoryBytes: number, argv: string[]): TrackedProcess {
  const guestRam: Mapping = { start: ramStart, end: ramStart + memoryBytes, perms: 'rw-p', offset: 0, inode: 0, path: '' };
  const detail: ProcessDetail = {
    pid, startTimeTicks: 100, argv,
    status: { rssBytes: 300 * MiB, anonBytes: 280 * MiB, fileBytes: 20 * MiB, shmemBytes: 0, swapBytes: 0 },
    mappings: [guestRam], guestRam, guestRamResidentBytes: 200 * MiB, guestRamHugeBytes: 0, anonHugeBytes: 0, ksmMergedPages: 0, numa: [],
    cgroup: { path: '/', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
  };
  return {
    id: `${pid}@100`, pid, startTimeTicks: 100, comm: 'qemu-system-x86', detail,
    identity: { name, uuid: `uuid-${name}`, memoryBytes, source: 'libvirt', vmid: '' },
    minorFaults: 0, majorFaults: 0, guestFaultSource: 'kvm',
  };
}

function snapshotOf(events: SyntheticKvmEvent[], processes: TrackedProcess[]) {
  return buildSnapshot({
    seq: 0, timeMs: 1, intervalMs: 1000, totals: foldBatches(probeBatches('kvm', kvmProbeLines(events))), processes,
    host: { meminfoBytes: {}, vmstat: {}, psiMemSomeAvg10: 0, psiMemFullAvg10: 0 },
    vmstat: { pgfault: 0, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
    probes: { attached: ['kvm'], groups: [], bpftraceVersion: '0.17.0', badLines: 0 },
    lifecycleEvents: [], pidIndex: new Map(), hotspotLimit: 8, virtIsa: 'vmx',
  });
}

test('synthetic events use only fields the kernel format files define', () => {
  assert.ok(tracepointFields('kvm:kvm_page_fault').includes('fault_address'));
  assert.ok(tracepointFields('kvmmmu:kvm_mmu_spte_requested').includes('level'));
  assert.throws(() => kvmProbeLines([{ tracepoint: 'kvm:kvm_page_fault', pid: 1, fields: { gpa: 0 } }]), /no field "gpa"/);
});

test('EPT faults, exits, mapping levels and async PFs land on the VM whose vCPU raised them', () => {
  const web = vm(1001, 'web01', 0x7f0000000000, 4 * GiB, ['qemu-system-x86_64', '-machine', 'pc-q35-8.2']);
  const db = vm(1002, 'db01', 0x7e0000000000, 1 * GiB, ['qemu-system-x86_64', '-machine', 'pc']);
  const events: SyntheticKvmEvent[] = [
    // web01: 3 faults in the 2 MiB region at GPA 1 GiB, 1 above 4 GiB (q35, 4 GiB RAM: 2 GiB low)
    ...[0, 4096, 8192].map((o) => ({ tracepoint: 'kvm:kvm_page_fault' as const, pid: 1001, fields: { fault_address: GiB + o, error_code: 0x182 } })),
    { tracepoint: 'kvm:kvm_page_fault', pid: 1001, fields: { fault_address: 4 * GiB + 2 * MiB, error_code: 0x182 } },
    { tracepoint: 'kvm:kvm_exit', pid: 1001, fields: { exit_reason: 48, vcpu_id: 0 } },
    { tracepoint: 'kvm:kvm_exit', pid: 1001, fields: { exit_reason: 48, vcpu_id: 1 } },
    { tracepoint: 'kvmmmu:kvm_mmu_spte_requested', pid: 1001, fields: { gfn: 262144, level: 2 } },
    { tracepoint: 'kvmmmu:kvm_mmu_spte_requested', pid: 1001, fields: { gfn: 262145, level: 1 } },
    { tracepoint: 'kvm:kvm_async_pf_not_present', pid: 1002, fields: { token: 1, gva: 4096 } },
    { tracepoint: 'kvm:kvm_page_fault', pid: 1002, fields: { fault_address: 16 * MiB, error_code: 0x181 } },
  ];
  const s = snapshotOf(events, [web, db]);
  const rowWeb = s.vms.find((v) => v.name === 'web01')!;
  const rowDb = s.vms.find((v) => v.name === 'db01')!;
  assert.equal(rowWeb.kvm.eptFaults, 4);
  assert.equal(rowWeb.faults.guestRam, 4);
  assert.equal(rowWeb.faults.guestRamSource, 'kvm');
  assert.deepEqual(rowWeb.kvm.exits, [{ reason: 48, name: 'EPT_VIOLATION', count: 2 }]);
  assert.equal(rowWeb.kvm.map2m, 1);
  assert.equal(rowWeb.kvm.map4k, 1);
  const [top, second] = rowWeb.hotspots;
  assert.equal(top!.region, 'guest-ram');
  assert.equal(top!.faults, 3);
  assert.equal(top!.guestPhysAddress, GiB);
  assert.equal(top!.startAddress, 0x7f0000000000 + GiB);
  // GPA 4 GiB + 2 MiB is RAM offset 2 GiB + 2 MiB on q35 with 4 GiB
  assert.equal(second!.startAddress, 0x7f0000000000 + 2 * GiB + 2 * MiB);
  assert.equal(rowDb.kvm.eptFaults, 1);
  assert.equal(rowDb.kvm.asyncPfNotPresent, 1);
  assert.equal(rowDb.hotspots[0]!.guestPhysAddress, 16 * MiB);
  assert.equal(s.probes.guestFaultSource, 'kvm');
});

test('NPT faults outside guest RAM (firmware ROM, device MMIO) are hotspots, never labelled guest RAM', () => {
  // the L2 guests in the lab fault at these GPAs at boot (256 MiB pc guest): BIOS at 0xffe00000, IOAPIC/LAPIC at 0xfec00000
  const small = vm(3001, 'small', 0x7f0000000000, 256 * MiB, ['qemu-system-x86_64', '-machine', 'pc']);
  const events: SyntheticKvmEvent[] = [
    ...[0, 1, 2].map((i) => ({ tracepoint: 'kvm:kvm_page_fault' as const, pid: 3001, fields: { fault_address: 0xffe00000 + i * 4096, error_code: 0x181 } })),
    ...[0, 1].map((i) => ({ tracepoint: 'kvm:kvm_page_fault' as const, pid: 3001, fields: { fault_address: 0xfec00000 + i * 4096, error_code: 0x181 } })),
    { tracepoint: 'kvm:kvm_page_fault', pid: 3001, fields: { fault_address: 0x200000, error_code: 0x182 } },
  ];
  const row = snapshotOf(events, [small]).vms[0]!;
  assert.deepEqual(row.hotspots.map((h) => [h.guestPhysAddress, h.region, h.mapping]), [
    [0xffe00000, 'other', 'firmware ROM (BIOS flash)'],
    [0xfec00000, 'other', 'device MMIO (IOAPIC, HPET, local APIC)'],
    [0x200000, 'guest-ram', ''],
  ]);
});

test('MMU-notifier ranges are attributed by guest-RAM mapping, not by the task that ran them', () => {
  const a = vm(2001, 'a', 0x7f0000000000, GiB, []);
  const b = vm(2002, 'b', 0x7e0000000000, GiB, []);
  const kswapd = 77; // reclaim runs in kswapd, not in QEMU
  const s = snapshotOf(
    [
      { tracepoint: 'kvm:kvm_age_hva', pid: kswapd, fields: { start: 0x7f0000000000 + 10 * MiB, end: 0x7f0000000000 + 12 * MiB } },
      { tracepoint: 'kvm:kvm_unmap_hva_range', pid: kswapd, fields: { start: 0x7e0000000000, end: 0x7e0000000000 + 4096 } },
      { tracepoint: 'kvm:kvm_unmap_hva_range', pid: kswapd, fields: { start: 0x100000, end: 0x101000 } },
    ],
    [a, b],
  );
  assert.deepEqual([s.vms[0]!.name, s.vms[0]!.kvm.mmuNotifier, s.vms[0]!.kvm.mmuNotifierBytes], ['a', 1, 2 * MiB]);
  assert.deepEqual([s.vms[1]!.name, s.vms[1]!.kvm.mmuNotifier, s.vms[1]!.kvm.mmuNotifierBytes], ['b', 1, 4096]);
  assert.equal(s.host.mmuNotifierUnattributed, 1);
  assert.equal(s.host.mmuNotifierAmbiguous, 0);
});

test('a range that falls in two VMs\' guest RAM (separate address spaces) is ambiguous, never guessed', () => {
  const a = vm(3001, 'a', 0x7f0000000000, GiB, []);
  const b = vm(3002, 'b', 0x7f0000000000 + 512 * MiB, GiB, []);
  const s = snapshotOf([{ tracepoint: 'kvm:kvm_age_hva', pid: 1, fields: { start: 0x7f0000000000 + 600 * MiB, end: 0x7f0000000000 + 601 * MiB } }], [a, b]);
  assert.equal(s.host.mmuNotifierAmbiguous, 1);
  assert.equal(s.vms.every((v) => v.kvm.mmuNotifier === 0), true);
});
