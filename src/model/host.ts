// What the /proc and /sys readers (src/host/) return. Types only.
import type { CgroupMemory, IdentitySource, NumaNodeBytes, NumaNodeMemory } from './snapshot.js';

/** One line of /proc/PID/stat, the fields we use. */
export interface ProcessStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  minflt: number;
  majflt: number;
  /** Field 22, in clock ticks since boot: with pid, the identity of a process. */
  startTimeTicks: number;
  rssPages: number;
  /** utime + stime (fields 14-15), clock ticks: a process whose detail is carried
   * (src/collect/detail-reuse.ts) has its cgroup re-read when this moved. */
  cpuTicks: number;
}

/** Who a QEMU process is, from its command line (and cgroup). */
export interface VmIdentity {
  name: string;
  uuid: string;
  /** Guest memory size: -m, or the memory-backend object's size. 0 when unknown. */
  memoryBytes: number;
  source: IdentitySource;
  /** Proxmox VMID, '' elsewhere. */
  vmid: string;
}

/** /proc/PID/status memory lines, in bytes. */
export interface ProcStatus {
  rssBytes: number;
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
  swapBytes: number;
}

/** One line of /proc/PID/maps. */
export interface Mapping {
  start: number;
  end: number;
  perms: string;
  offset: number;
  inode: number;
  /** File path, [heap], [stack], [vdso]..., or '' for anonymous memory. */
  path: string;
}

/** Everything read about one process we report in detail this interval. */
export interface ProcessDetail {
  pid: number;
  startTimeTicks: number;
  argv: string[];
  status: ProcStatus;
  mappings: Mapping[];
  /** The VM's guest-RAM mapping, null for processes or when no mapping matches. */
  guestRam: Mapping | null;
  guestRamResidentBytes: number;
  /** The part of guest RAM's resident bytes in huge pages (THP or hugetlbfs). */
  guestRamHugeBytes: number;
  anonHugeBytes: number;
  ksmMergedPages: number;
  /** Empty when not sampled this interval (numa_maps is read every few intervals). */
  numa: NumaNodeBytes[];
  cgroup: CgroupMemory;
}

/** Host-wide memory state at one instant. */
export interface HostMemory {
  meminfoBytes: Record<string, number>;
  vmstat: Record<string, number>;
  psiMemSomeAvg10: number;
  psiMemFullAvg10: number;
  /** KSM and THP settings (/sys/kernel/mm); absent when not read (a /proc fixture). */
  mm?: MmSettings;
  /** Memory cgroups near their limits (src/host/limited-cgroups.ts); absent when not read. */
  limitedCgroups?: CgroupMemory[];
  /** Each memory node (src/host/numa-nodes.ts); absent when not read. */
  numaNodes?: NumaNodeMemory[];
  /** ksmd's CPU time this interval, ms (from its /proc/PID/stat); absent when not read. */
  ksmdCpuMs?: number;
}

export interface MmSettings {
  /** /sys/kernel/mm/ksm/run: 'off' (0), 'on' (1), 'unmerge' (2); '' without KSM. */
  ksmState: string;
  /** Pages KSM shares (pages_sharing: how many it saves) and the shared pages they use. */
  ksmPagesSharing: number;
  ksmPagesShared: number;
  /** The selected mode of transparent_hugepage/enabled and /defrag ('' without THP). */
  thpEnabled: string;
  thpDefrag: string;
}

/** Hardware virtualization of this host's CPU: AMD SVM, Intel VMX, or neither. */
export type VirtIsa = 'svm' | 'vmx' | '';
