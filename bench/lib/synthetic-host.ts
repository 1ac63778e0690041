// A made-up KVM host for the collector benchmark (SYNTHETIC): N VMs, each a QEMU
// process with ~300 mappings around its guest RAM (the shape of the real QEMU in
// test/fixtures/proc/real-debian12-qemu-tcg), and the TrackedProcess rows the
// collector would hand to buildSnapshot for them.
import type { Mapping, ProcessDetail } from '../../src/model/host.js';
import type { TrackedProcess } from '../../src/aggregate/build-snapshot.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface SyntheticVm {
  pid: number;
  name: string;
  uuid: string;
  memoryBytes: number;
  guestRam: Mapping;
  mappings: Mapping[];
}

export function syntheticVms(count: number): SyntheticVm[] {
  return Array.from({ length: count }, (_, i) => {
    const memoryBytes = [2, 4, 8, 16][i % 4]! * GiB;
    const base = 0x7f00_0000_0000 - (i + 1) * 64 * GiB;
    const guestRam: Mapping = { start: base, end: base + memoryBytes, perms: 'rw-p', offset: 0, inode: 0, path: '' };
    const mappings: Mapping[] = [{ start: 0x5555_5555_4000, end: 0x5555_5600_0000, perms: 'r-xp', offset: 0, inode: 77, path: '/usr/bin/qemu-system-x86_64' }];
    mappings.push({ start: 0x5555_5700_0000, end: 0x5555_5f00_0000, perms: 'rw-p', offset: 0, inode: 0, path: '[heap]' });
    mappings.push(guestRam);
    // libraries, thread stacks and small anonymous areas above guest RAM
    for (let m = 0; m < 296; m++) {
      const start = base + 32 * GiB + m * 4 * MiB;
      mappings.push({ start, end: start + 2 * MiB, perms: m % 3 ? 'rw-p' : 'r-xp', offset: 0, inode: m % 3 ? 0 : 1000 + m, path: m % 3 ? '' : `/usr/lib/x86_64-linux-gnu/lib${m}.so` });
    }
    mappings.sort((a, b) => a.start - b.start);
    const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
    return { pid: 20_000 + i * 13, name: `bench-vm-${String(i).padStart(3, '0')}`, uuid: `${hex(i, 8)}-0000-4000-8000-${hex(i, 12)}`, memoryBytes, guestRam, mappings };
  });
}

export function trackedProcesses(vms: SyntheticVm[]): TrackedProcess[] {
  return vms.map((vm, i) => {
    const detail: ProcessDetail = {
      pid: vm.pid,
      startTimeTicks: 1000 + i,
      argv: ['qemu-system-x86_64', '-name', `guest=${vm.name},debug-threads=on`, '-uuid', vm.uuid, '-machine', 'pc-q35-7.2', '-m', String(vm.memoryBytes / MiB)],
      status: { rssBytes: vm.memoryBytes / 2 + 300 * MiB, anonBytes: vm.memoryBytes / 2 + 250 * MiB, fileBytes: 50 * MiB, shmemBytes: 0, swapBytes: 0 },
      mappings: vm.mappings,
      guestRam: vm.guestRam,
      guestRamResidentBytes: vm.memoryBytes / 2,
      guestRamHugeBytes: vm.memoryBytes / 4,
      anonHugeBytes: vm.memoryBytes / 4,
      ksmMergedPages: 0,
      numa: [],
      cgroup: { path: `/machine.slice/machine-qemu\\x2d${i + 1}\\x2d${vm.name}.scope`, limitBytes: 0, usageBytes: vm.memoryBytes / 2 + 300 * MiB, oomKills: 0, limitHits: 0, swapBytes: 0 },
    };
    return {
      id: `${vm.pid}@${1000 + i}`,
      pid: vm.pid,
      startTimeTicks: 1000 + i,
      comm: 'qemu-system-x86',
      identity: { name: vm.name, uuid: vm.uuid, memoryBytes: vm.memoryBytes, source: 'libvirt', vmid: '' },
      detail,
      minorFaults: 5000 + i,
      majorFaults: i % 7,
      guestFaultSource: 'kvm',
    };
  });
}
