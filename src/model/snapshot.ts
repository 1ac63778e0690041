// The data that flows out of the pipeline: one Snapshot per interval, Events for
// rare things, a Meta header. Types only. The wire schema is src/proto/faultline.proto;
// these shapes are its JSON form (what `faultline live --json` prints).
// Units are in the names: *Bytes, *Ns, *Ms, *PerSec. Counts are per interval.

export type ProcessKind = 'vm' | 'process';

/** Where a VM's identity came from (see src/host/qemu-identity.ts). */
export type IdentitySource = 'libvirt' | 'proxmox' | 'openstack' | 'qemu' | 'process';

/** Which path counts guest-RAM faults on this host: EPT violations under KVM, host
 * user faults on the guest-RAM mapping under TCG, or none seen yet. */
export type GuestFaultSource = 'kvm' | 'user-faults' | 'none';

export interface HostStats {
  memTotalBytes: number;
  memAvailableBytes: number;
  memFreeBytes: number;
  cachedBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
  zswapBytes: number;
  /** What the zswap pool holds, uncompressed (meminfo Zswapped, 5.19+; 0 when missing):
   * zswappedBytes / zswapBytes is its compression ratio. */
  zswappedBytes: number;
  /** Memory in hugetlb pools, all page sizes (meminfo Hugetlb): used, for MemAvailable,
   * whether or not anything maps it. */
  hugetlbBytes: number;
  /** Free pages of the default-size pool (HugePages_Free x Hugepagesize). */
  hugetlbFreeBytes: number;
  /** The default huge page size (Hugepagesize): /proc/sys/vm/nr_hugepages counts these. */
  hugepageSizeBytes: number;
  slabReclaimableBytes: number;
  slabUnreclaimableBytes: number;
  anonHugePagesBytes: number;
  /** PSI memory "some"/"full" avg10 (percent), -1 when /proc/pressure is missing. */
  psiMemSomeAvg10: number;
  psiMemFullAvg10: number;
  /** /proc/vmstat deltas over the interval. */
  vmstat: VmstatDelta;
  /** Host-wide reclaim seen by the probes this interval. */
  kswapdWakes: number;
  kswapdRunNs: number;
  lruPagesReclaimed: number;
  compactionStalls: number;
  compactionNs: number;
  /** MMU-notifier calls on an HVA range that no VM's guest RAM, or more than one VM's, contains. */
  mmuNotifierUnattributed: number;
  mmuNotifierAmbiguous: number;
  /** KSM: 'off', 'on', 'unmerge', or '' when unknown (no KSM, or an older recording);
   * pages_sharing (pages saved) and pages_shared. */
  ksmState: string;
  ksmPagesSharing: number;
  ksmPagesShared: number;
  /** CPU time ksmd (the KSM scanner, a kernel thread) used this interval, ms; 0 without it. */
  ksmdCpuMs: number;
  /** THP enabled and defrag modes (always, madvise, never, ...); '' when unknown. */
  thpEnabled: string;
  thpDefrag: string;
  /** Memory cgroups with a limit using at least half of it, anywhere in the hierarchy,
   * fullest first (src/host/limited-cgroups.ts; read every few intervals). */
  limitedCgroups: CgroupMemory[];
  /** The host's leak findings (src/detect/run-detectors.ts: kernel-memory, unreclaimable
   * slab); [] in recordings made before snapshots carried them. */
  findings: Finding[];
  /** Each memory node (src/host/numa-nodes.ts), by number; [] when unknown. */
  numaNodes: NumaNodeMemory[];
}

export interface VmstatDelta {
  pgfault: number;
  pgmajfault: number;
  pswpin: number;
  pswpout: number;
  pgscanDirect: number;
  pgscanKswapd: number;
  pgstealDirect: number;
  pgstealKswapd: number;
  compactStall: number;
  oomKill: number;
  thpFaultAlloc: number;
  /** Pages stored into / loaded from the zswap pool, and written back from it to the
   * swap device (0 on kernels without the counters; zswpwb since 6.8). */
  zswpin: number;
  zswpout: number;
  zswpwb: number;
}

export interface ProbeGroupStatus {
  group: string;
  attached: boolean;
  /** Why it is not attached, or what it last said on stderr; empty when fine. */
  error: string;
  /** Totals since start of the bpftrace the group runs in: groups that share one show
   * the same numbers (bpftrace counts them for the process, not per program). */
  lostEvents: number;
  badLines: number;
  /** Each tracepoint the group's probe file names, and whether it attached here
   * (src/probe/probe-program.ts); empty from recordings made before points were
   * optional. */
  points: PointStatus[];
  /** The other groups its bpftrace runs (faultline runs all groups in one program,
   * src/probe/combine-programs.ts); empty when it runs alone or is not attached (and in
   * recordings made before). */
  sharesProcessWith: string[];
  /** Why it runs in a bpftrace of its own although other groups were asked for: what the
   * one program for all of them failed with (src/probe/probe-set.ts); '' otherwise. */
  ownProcessReason: string;
}

/** attached; missing (not on this kernel, or a field it reads is not); unused (present,
 * but the point it works with is missing, so it has nothing to do). */
export type PointState = 'attached' | 'missing' | 'unused';

export interface PointStatus {
  /** `GROUP:NAME` of the tracepoint, e.g. `filemap:mm_filemap_fault` */
  point: string;
  state: PointState;
  /** Why it is missing or unused ("not on this kernel", "no field anon_rss on this
   * kernel"), or for an attached point that fitted only in an older shape, which. */
  reason: string;
  /** What it needs, from the probe file's note (e.g. "Linux >= 6.11 (...)"); may be ''. */
  needs: string;
  /** What stands in for it when it is missing, from the probe file's note; may be ''. */
  fallback: string;
}

export interface ProbeStatus {
  /** Names of the probe groups whose bpftrace program is attached. */
  attached: string[];
  groups: ProbeGroupStatus[];
  /** Events the kernel dropped this interval (bpftrace lost_events), all groups. */
  lostEvents: number;
  /** Output lines that did not parse this interval, all groups, and map values that
   * cannot be (a negative count, a size beyond the address space: dropped, never
   * passed to a detector; aggregate/probe-counters.ts plausibleValue). */
  badLines: number;
  guestFaultSource: GuestFaultSource;
  bpftraceVersion: string;
  /** Per BPF program, when measured (bpf_stats); empty otherwise. */
  costs: ProbeCost[];
}

export interface ProbeCost {
  group: string;
  program: string;
  nsPerEvent: number;
  eventsPerSec: number;
}

export interface RssBreakdown {
  totalBytes: number;
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
  swapBytes: number;
  /** Resident bytes of the guest-RAM mapping (VMs only; from smaps of that mapping). */
  guestRamBytes: number;
  /** Anonymous resident bytes that are not guest RAM: QEMU's own heap, device buffers. */
  ownAnonBytes: number;
  /** AnonHugePages of the whole process (every mapping). */
  anonHugeBytes: number;
  /** The part of guestRamBytes in huge pages: THP, or hugetlbfs when guest RAM is a
   * file there (VMs only; smaps of the guest-RAM mapping). 0 in recordings made
   * before it was read. */
  guestRamHugeBytes: number;
}

export interface FaultCounts {
  /** From /proc/PID/stat deltas: exact, costs the fault path nothing. */
  minor: number;
  major: number;
  /** From the faults probe: exceptions:page_fault_user/kernel, filemap faults;
   * estimated from a 1-in-16 page sample (probes/faults.bt, SAMPLING). */
  user: number;
  kernel: number;
  file: number;
  /** Faults that populated guest RAM, from `guestRamSource`. */
  guestRam: number;
  guestRamSource: GuestFaultSource;
  /** Where `file` comes from: 'probe' (filemap:mm_filemap_fault, sampled) or, on
   * kernels without that tracepoint (before 6.11), 'proc-majflt' (= `major`, exact). */
  fileSource: FileFaultSource;
}

export type FileFaultSource = 'probe' | 'proc-majflt';

export interface KvmExitCount {
  /** Raw exit_reason: an SVM exit code on AMD, a VMX exit reason on Intel. */
  reason: number;
  /** The kernel's name for it (src/aggregate/kvm-exit-names.ts): "npf", "EPT_VIOLATION"; "exit N" when unknown. */
  name: string;
  count: number;
}

export interface KvmStats {
  eptFaults: number;
  asyncPf: number;
  asyncPfNotPresent: number;
  asyncPfReady: number;
  /** kvm_age_hva + kvm_unmap_hva_range calls whose HVA range is inside this VM's guest RAM. */
  mmuNotifier: number;
  mmuNotifierBytes: number;
  exits: KvmExitCount[];
  /** kvm_mmu_spte_requested by level. */
  map4k: number;
  map2m: number;
  map1g: number;
}

export interface HistBucket {
  /** Lower bound of the log2 bucket, inclusive. */
  lowNs: number;
  count: number;
}

export interface ReclaimStats {
  stalls: number;
  stallNs: number;
  directStalls: number;
  memcgStalls: number;
  maxStallNs: number;
  stallHistogram: HistBucket[];
  pagesReclaimed: number;
  compactionStalls: number;
  compactionNs: number;
}

export interface GrowthStats {
  mmapBytes: number;
  munmapBytes: number;
  brkBytes: number;
  /** madvise DONTNEED/FREE/REMOVE/COLD/PAGEOUT bytes. */
  madviseFreeBytes: number;
  /** The part of madviseFreeBytes that fell inside guest RAM: a balloon inflate. */
  balloonBytes: number;
}

export type RegionKind = 'guest-ram' | 'heap' | 'stack' | 'anon' | 'file' | 'other' | 'unmapped';

export interface Hotspot {
  /** What the region is: guest-ram, heap, stack, anon, file, other (vdso...), unmapped (gone since). */
  region: RegionKind;
  /** File path for file mappings, [heap]/[stack]/... names, empty for anonymous memory. */
  mapping: string;
  /** Host virtual address of the 2 MiB region. */
  startAddress: number;
  /** Guest-physical address of the region, for guest RAM (-1 otherwise). */
  guestPhysAddress: number;
  bytes: number;
  /** Estimated faults in the region this interval (sampled 1 in 16, scaled; see probes/faults.bt). */
  faults: number;
  /** 'user-faults' (host faults) or 'kvm' (EPT faults, keyed by guest-physical address). */
  source: GuestFaultSource;
}

export interface CgroupMemory {
  path: string;
  limitBytes: number;
  usageBytes: number;
  oomKills: number;
  /** memory.events "max"/failcnt: times the limit was hit. */
  limitHits: number;
  /** Swap charged to the cgroup: v2 memory.swap.current, v1 memory.memsw.usage_in_bytes
   * - memory.usage_in_bytes (swap accounting on); 0 when unknown. */
  swapBytes: number;
}

export interface NumaNodeBytes {
  node: number;
  bytes: number;
}

/** One NUMA node's memory: /sys/devices/system/node/nodeN/meminfo. */
export interface NumaNodeMemory {
  node: number;
  totalBytes: number;
  freeBytes: number;
  /** MemFree + file LRU + KReclaimable of the node: what could be had without swapping. */
  availableBytes: number;
  /** How many CPUs the node has (0: a memory-only node). */
  cpus: number;
}

/** How many of a VM's vCPU threads last ran on a CPU of this node. */
export interface NumaNodeThreads {
  node: number;
  threads: number;
}

export interface VmSnapshot {
  /** Stable identity: `${pid}@${startTimeTicks}`; a restarted VM is a new id. */
  id: string;
  kind: ProcessKind;
  name: string;
  uuid: string;
  pid: number;
  startTimeTicks: number;
  source: IdentitySource;
  /** Proxmox VMID or '' */
  vmid: string;
  comm: string;
  /** Configured guest memory (-m / memory-backend), 0 for processes. */
  memoryBytes: number;
  rss: RssBreakdown;
  faults: FaultCounts;
  kvm: KvmStats;
  reclaim: ReclaimStats;
  growth: GrowthStats;
  hotspots: Hotspot[];
  ksmMergedPages: number;
  numa: NumaNodeBytes[];
  /** Where its vCPU threads last ran, by node (VMs; read with numa, on hosts with more
   * than one node; [] otherwise). */
  vcpuNodes: NumaNodeThreads[];
  cgroup: CgroupMemory;
  /** Guest-RAM mapping in host virtual memory; 0/0 when unknown. */
  guestRamStart: number;
  guestRamEnd: number;
  /** Latest leak verdict (src/detect/); verdict '' when no detector ran. */
  leak: LeakVerdict;
  findings: Finding[];
  /** Set in a process's last row, the interval it ended in: its memory figures are
   * then the last read while it lived, its faults those the probes counted. null
   * while it lives (and for VMs: they have vm-exit events). */
  exit: ProcessExit | null;
  /** The guest's own view of its memory, from libvirt (`virsh domstats --balloon`,
   * read every 10 intervals: src/collect/guest-memory-reader.ts): the latest reading
   * of a libvirt VM; null for other rows, when libvirt is not there, and in recordings
   * made before faultline read it. */
  guestMemory: GuestMemory | null;
}

/** A libvirt VM's balloon and the guest's /proc/meminfo as its balloon driver reports
 * them (virtio-balloon stats, polled when the domain has `<stats period>`). A figure
 * the guest does not report is -1. */
export interface GuestMemory {
  /** What the guest has now (balloon.current) and the most it may have (balloon.maximum, `<memory>`). */
  balloonCurrentBytes: number;
  balloonMaximumBytes: number;
  /** The guest's MemTotal, MemFree and MemAvailable. libvirt names them balloon.available,
   * balloon.unused and balloon.usable: its "available" is MemTotal. */
  memTotalBytes: number;
  memFreeBytes: number;
  memAvailableBytes: number;
  /** The guest's file pages (balloon.disk_caches: page cache, shmem and tmpfs included). */
  diskCachesBytes: number;
  /** Swapped in and out since the guest booted (balloon.swap_in / swap_out). */
  swapInBytes: number;
  swapOutBytes: number;
  /** Page faults in the guest since it booted (balloon.major_fault / minor_fault). */
  majorFaults: number;
  minorFaults: number;
  /** Swap traffic since the previous reading that saw the guest update its stats, in 4 KiB
   * pages per second; -1 before there are two such readings, or when the counters restarted. */
  swapInPagesPerSec: number;
  swapOutPagesPerSec: number;
  /** When the guest last updated its stats (balloon.last-update, whole seconds, as ms);
   * 0 when it never has (no stats period set, or no balloon driver in the guest). */
  guestUpdatedMs: number;
  /** When faultline read them (the virsh call's end). */
  readAtMs: number;
}

export interface ProcessExit {
  atMs: number;
  /** 'oom-kill': the OOM killer chose it; 'signal': killed by `signal`; 'exit': exited
   * by itself with `code`; 'ended': gone, and how was not seen (the exit probe is not
   * attached here, or the recording predates it). */
  cause: 'oom-kill' | 'signal' | 'exit' | 'ended';
  /** Exit status (cause 'exit'), else 0. */
  code: number;
  /** The signal that killed it (cause 'signal'; SIGKILL for 'oom-kill' when seen), else 0. */
  signal: number;
  /** The last interval's faults are the kernel's totals at exit less the last /proc
   * read (true), or the probes' sampled count (false: the exit was not seen). */
  faultsAtExit: boolean;
}

export type Verdict = 'leak' | 'suspect' | 'ok' | 'insufficient-data';

export interface LeakVerdict {
  verdict: Verdict | '';
  growthBytesPerSec: number;
  windowMs: number;
  /** Fit quality, 0..1. */
  fit: number;
}

export interface Finding {
  detector: string;
  verdict: Verdict;
  message: string;
  growthBytesPerSec: number;
  windowMs: number;
  fit: number;
  sinceMs: number;
  /** Projected time until limitBytes is reached; -1 when no limit is known. */
  timeToLimitMs: number;
  limitBytes: number;
  limitName: string;
  /** The numbers behind the message, by name, for readers that need them (the
   * diagnosis): balloon's `balloonedBytes`, `beforeBytes`, `nowBytes`, `lowestBytes`;
   * kernel-memory's `cachesOverMs` and `cache:NAME` (bytes each slab cache grew).
   * Absent or empty for the other detectors. */
  quantities?: Quantity[];
}

/** A named number behind a finding's message. */
export interface Quantity {
  name: string;
  value: number;
}

export type EventType =
  | 'oom-kill'
  | 'reclaim-stall'
  | 'vm-start'
  | 'vm-exit'
  | 'process-exit'
  | 'lost-events'
  | 'probe-error'
  | 'probe-attached'
  | 'probe-restart'
  | 'leak-finding'
  | 'gap';

export interface FaultlineEvent {
  type: EventType;
  timeMs: number;
  pid: number;
  vmId: string;
  comm: string;
  /** Human text: what happened, with numbers. */
  message: string;
  /** oom-kill: RSS of the victim by kind. */
  anonRssBytes: number;
  fileRssBytes: number;
  shmemRssBytes: number;
  /** reclaim-stall: its duration; lost-events: 0. */
  durationNs: number;
  /** lost-events: how many; otherwise 0. */
  count: number;
  group: string;
}

export interface Snapshot {
  seq: number;
  timeMs: number;
  /** What this snapshot's counts cover, in ms: since the previous snapshot by the
   * clock (live), about the nominal interval (Meta.intervalMs) but longer after a late
   * or skipped tick. Rates divide by this. */
  intervalMs: number;
  host: HostStats;
  probes: ProbeStatus;
  vms: VmSnapshot[];
  events: FaultlineEvent[];
  /** The playbook over the last window of snapshots, this one included
   * (src/diagnose/); null in recordings made before faultline diagnosed. */
  diagnosis: Diagnosis | null;
}

export type Severity = 'critical' | 'warning';
export type HealthStatus = 'healthy' | Severity;

/** One reason the host is short of memory (docs/diagnosis.md). */
export interface Cause {
  /** memory-low, paging, pressure, overcommit, oom-kill, reclaim-stall,
   * cgroup-near-limit, leak */
  cause: string;
  severity: Severity;
  /** 'host', or the VM / process it is about (its row's name). */
  subject: string;
  /** The row's id and pid when the subject is one; '' and 0 for the host. */
  subjectId: string;
  pid: number;
  /** One line: what is wrong. */
  title: string;
  /** The numbers behind it. */
  evidence: string[];
  /** What to do, naming the VM or process. */
  remedy: string;
  /** How far past its threshold (1 = at it): ranks causes of the same severity. */
  score: number;
}

export interface Diagnosis {
  status: HealthStatus;
  /** One line: "healthy: ..." or the first cause's title. */
  headline: string;
  /** Ranked: critical first, then by how far past the threshold. */
  causes: Cause[];
  window: { fromMs: number; toMs: number; snapshots: number };
}

export interface Meta {
  formatVersion: number;
  hostname: string;
  kernel: string;
  bpftraceVersion: string;
  probeGroups: string[];
  intervalMs: number;
  startTimeMs: number;
  faultlineVersion: string;
  mode: 'live' | 'replay';
  /** Replay: time of the recording's last snapshot; 0 live. */
  endTimeMs: number;
  /** Live: how much chart history the server keeps; 0 when not serving. */
  historyMs: number;
  /** Live: the server offers deep leak mode (POST /api/leaks, `live --allow-leaks`). */
  deepLeaks: boolean;
}

export interface HostSeries {
  memAvailableBytes: number[];
  swapUsedBytes: number[];
  psiMemSomeAvg10: number[];
  lostEvents: number[];
  oomKills: number[];
}

export interface VmSeries {
  id: string;
  name: string;
  kind: ProcessKind;
  rssBytes: number[];
  guestRamBytes: number[];
  ownAnonBytes: number[];
  fileBytes: number[];
  swapBytes: number[];
  faultsPerSec: number[];
  guestRamFaultsPerSec: number[];
  eptFaultsPerSec: number[];
  stallMs: number[];
}

/** Columnar chart data: every series aligned with timeMs; NaN where a VM was absent. */
export interface History {
  timeMs: number[];
  host: HostSeries;
  vms: VmSeries[];
}

/** One VM's guest-RAM faults per guest-physical region and KVM mappings by level, summed
 * since sinceMs (src/aggregate/guest-heat.ts). */
export interface VmHeat {
  vmId: string;
  sinceMs: number;
  /** Size of one region (2 MiB); region r covers [r * regionBytes, (r + 1) * regionBytes). */
  regionBytes: number;
  /** Region indexes with faults, ascending; faults[i] belongs to regions[i]. */
  regions: number[];
  /** Estimated faults per region (sampled and scaled, so not whole numbers). */
  faults: number[];
  /** faults summed over the regions. */
  totalFaults: number;
  map4k: number;
  map2m: number;
  map1g: number;
}

/** The server's running totals for the heat strip and mapping split. reset: replaces
 * everything a client holds (connect, replay seek); otherwise only the VMs listed changed. */
export interface HeatFrame {
  reset: boolean;
  sinceMs: number;
  vms: VmHeat[];
}

export type Frame = { meta: Meta } | { snapshot: Snapshot } | { event: FaultlineEvent } | { history: History } | { heat: HeatFrame };
