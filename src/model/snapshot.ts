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
  /** THP enabled and defrag modes (always, madvise, never, ...); '' when unknown. */
  thpEnabled: string;
  thpDefrag: string;
  /** Memory cgroups with a limit using at least half of it, anywhere in the hierarchy,
   * fullest first (src/host/limited-cgroups.ts; read every few intervals). */
  limitedCgroups: CgroupMemory[];
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
  lostEvents: number;
  badLines: number;
  /** Each tracepoint the group's probe file names, and whether it attached here
   * (src/probe/probe-program.ts); empty from recordings made before points were
   * optional. */
  points: PointStatus[];
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
  anonHugeBytes: number;
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
}

export interface NumaNodeBytes {
  node: number;
  bytes: number;
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
