// How a VM's guest-RAM faults show on this host. QEMU names its vCPU threads
// "CPU n/KVM" under KVM and "CPU n/TCG" under TCG (with debug-threads=on, which
// libvirt and Proxmox pass). Under KVM a guest's first touch of a page is an EPT
// violation handled in the kernel (kvm:kvm_page_fault); under TCG the vCPU thread
// writes guest RAM from user mode, so it shows as host user faults.
import { readdir } from 'node:fs/promises';
import type { GuestFaultSource } from '../model/snapshot.js';
import { readCounterTextOrNull } from './read-proc-file.js';

/** A QEMU vCPU thread's name: "CPU n/KVM" or "CPU n/TCG" (debug-threads=on). */
export function isVcpuThreadName(name: string): boolean {
  return /^CPU \d+\/(KVM|TCG)$/.test(name);
}

export function guestFaultSourceOf(threadNames: string[], argv: string[]): GuestFaultSource {
  if (threadNames.some((n) => /^CPU \d+\/KVM$/.test(n))) return 'kvm';
  if (threadNames.some((n) => /^CPU \d+\/TCG$/.test(n))) return 'user-faults';
  const joined = argv.join(' ');
  if (/-enable-kvm|accel[= ]kvm|accel=kvm/.test(joined) || /(^|\/)kvm$/.test(argv[0] ?? '')) return 'kvm';
  return 'user-faults';
}

export async function readThreadNames(procRoot: string, pid: number): Promise<string[]> {
  try {
    const tids = await readdir(`${procRoot}/${pid}/task`);
    const names = tids.map((tid) => readCounterTextOrNull(`${procRoot}/${pid}/task/${tid}/comm`)?.trim() ?? '');
    return names.filter((n) => n !== '');
  } catch {
    return [];
  }
}
