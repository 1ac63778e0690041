// Records + the process table -> one Snapshot. Pure: the collector (src/collect/)
// does the reading and hands everything in.
import type { HostMemory, ProcessDetail, VmIdentity } from '../model/host.js';
import type {
  FaultlineEvent, GuestFaultSource, GuestMemory, HostStats, KvmExitCount, KvmStats, NumaNodeThreads, ProbeStatus, ProcessExit, ReclaimStats,
  Snapshot, VmSnapshot, VmstatDelta,
} from '../model/snapshot.js';
import { hostProcessName } from '../host/process-name.js';
import { emptyPidCounters, type PidCounters, type ProbeTotals } from './probe-counters.js';
import { guestRamUserFaults, hotspotsOf } from './hotspots.js';
import { attributeMmuNotifier } from './mmu-notifier.js';
import { machineKindFromArgv } from './guest-phys.js';
import { makeEvent, probeEvents, type PidIndex } from './events.js';
import { formatBytes } from '../format/quantities.js';
import { insertTopN } from './top-n.js';
import { exitReasonName, type VirtIsa } from './kvm-exit-names.js';
import { describeExit } from '../format/exit-words.js';

/** A process whose argv is not known: one array, so machineKindFromArgv's memo holds it once. */
const NO_ARGV: readonly string[] = [];

export interface TrackedProcess {
  id: string;
  pid: number;
  startTimeTicks: number;
  comm: string;
  identity: VmIdentity | null;
  detail: ProcessDetail | null;
  /** From /proc/PID/stat deltas over the interval. */
  minorFaults: number;
  majorFaults: number;
  /** How this VM's guest RAM faults show on this host ('none' for processes). */
  guestFaultSource: GuestFaultSource;
  /** Set when the process ended this interval (its detail is the last read). */
  exit?: ProcessExit;
  /** Where its vCPU threads last ran, by node (VMs on multi-node hosts). */
  vcpuNodes?: NumaNodeThreads[];
  /** The guest's own view (libvirt VMs, src/collect/guest-memory-reader.ts). */
  guestMemory?: GuestMemory | null;
}

export interface IntervalInput {
  seq: number;
  timeMs: number;
  intervalMs: number;
  totals: ProbeTotals;
  processes: TrackedProcess[];
  host: HostMemory;
  vmstat: VmstatDelta;
  probes: Omit<ProbeStatus, 'guestFaultSource' | 'lostEvents' | 'badLines' | 'costs'> & { badLines: number; costs?: ProbeStatus['costs'] };
  /** vm-start, vm-exit, probe errors: what the collector saw happen. */
  lifecycleEvents: FaultlineEvent[];
  /** pid -> id and comm of every live process, to name event subjects. */
  pidIndex: PidIndex;
  hotspotLimit: number;
  /** svm or vmx: which table names the exit reasons ('' when neither). */
  virtIsa?: VirtIsa;
}

/** State of a probe point: attached, missing, unused; 'attached' when the group does not
 * list its points (probes dirs of tests, recordings made before points were optional). */
function pointState(probes: IntervalInput['probes'], group: string, point: string): string {
  // loops, not find(): see the callbacks below
  for (const g of probes.groups) {
    if (g.group !== group) continue;
    if (!g.attached) return 'missing';
    for (const p of g.points ?? []) if (p.point === point) return p.state;
    return 'attached';
  }
  return 'missing';
}

const MADV_FREEING = new Set([4, 8, 9, 20, 21]);

const moreExits = (a: KvmExitCount, b: KvmExitCount): boolean => a.count > b.count;

/** The `limit` most frequent exit reasons, most first, ties in map order (as a stable
 * sort would give), without sorting or copying every reason. */
function topExits(exits: Map<number, number>, limit: number, isa: VirtIsa): KvmExitCount[] {
  const top: KvmExitCount[] = [];
  exits.forEach((count, reason) => {
    if (top.length === limit && !(count > top[limit - 1]!.count)) return;
    insertTopN(top, { reason, name: '', count }, limit, moreExits);
  });
  for (const e of top) e.name = exitReasonName(isa, e.reason);
  return top;
}

function kvmStats(c: PidCounters, notifier: { calls: number; bytes: number } | undefined, isa: VirtIsa): KvmStats {
  return {
    eptFaults: c.kvmFaults,
    asyncPf: c.asyncPf.get(1) ?? 0,
    asyncPfNotPresent: c.asyncPf.get(1) ?? 0,
    asyncPfReady: c.asyncPf.get(2) ?? 0,
    mmuNotifier: notifier?.calls ?? 0,
    mmuNotifierBytes: notifier?.bytes ?? 0,
    exits: topExits(c.kvmExits, 8, isa),
    map4k: c.kvmLevels.get(1) ?? 0,
    map2m: c.kvmLevels.get(2) ?? 0,
    map1g: c.kvmLevels.get(3) ?? 0,
  };
}

function reclaimStats(c: PidCounters): ReclaimStats {
  return {
    stalls: c.reclaimDirectCount + c.reclaimMemcgCount,
    stallNs: c.reclaimDirectNs + c.reclaimMemcgNs,
    directStalls: c.reclaimDirectCount,
    memcgStalls: c.reclaimMemcgCount,
    maxStallNs: Math.max(c.reclaimDirectMaxNs, c.reclaimMemcgMaxNs),
    stallHistogram: [...c.stallHistogram].map(([lowNs, count]) => ({ lowNs, count })).sort((a, b) => a.lowNs - b.lowNs),
    pagesReclaimed: c.reclaimPages,
    compactionStalls: c.compactionCount,
    compactionNs: c.compactionNs,
  };
}

function madviseBytes(c: PidCounters, guestRam: { start: number; end: number } | null): { free: number; balloon: number } {
  let free = 0;
  let balloon = 0;
  for (const [key, bytes] of c.madviseBytes) {
    const [behavior = 0, region = 0] = key.split(':').map(Number);
    if (!MADV_FREEING.has(behavior)) continue;
    free += bytes;
    const start = region * 2 ** 21;
    if (guestRam && start < guestRam.end && start + 2 ** 21 > guestRam.start) balloon += bytes;
  }
  return { free, balloon };
}

function vmRow(p: TrackedProcess, c: PidCounters, input: IntervalInput, notifier: { calls: number; bytes: number } | undefined): VmSnapshot {
  const d = p.detail;
  const guestRam = d?.guestRam ?? null;
  const kind = p.identity ? 'vm' : 'process';
  const source: GuestFaultSource = kind === 'vm' ? p.guestFaultSource : 'none';
  const guestRamFaults = source === 'kvm' ? c.kvmFaults : source === 'user-faults' ? guestRamUserFaults(c, guestRam) : 0;
  const status = d?.status ?? { rssBytes: 0, anonBytes: 0, fileBytes: 0, shmemBytes: 0, swapBytes: 0 };
  const guestRamBytes = d?.guestRamResidentBytes ?? 0;
  const madvise = madviseBytes(c, guestRam);
  // on kernels without filemap:mm_filemap_fault the exact major faults stand in
  const fileFromProbe = pointState(input.probes, 'faults', 'filemap:mm_filemap_fault') === 'attached';
  return {
    id: p.id,
    kind,
    name: p.identity?.name || hostProcessName(p.comm, d?.argv ?? []),
    uuid: p.identity?.uuid ?? '',
    pid: p.pid,
    startTimeTicks: p.startTimeTicks,
    source: p.identity?.source ?? 'process',
    vmid: p.identity?.vmid ?? '',
    comm: p.comm,
    memoryBytes: p.identity?.memoryBytes ?? 0,
    rss: {
      totalBytes: status.rssBytes,
      anonBytes: status.anonBytes,
      fileBytes: status.fileBytes,
      shmemBytes: status.shmemBytes,
      swapBytes: status.swapBytes,
      guestRamBytes,
      ownAnonBytes: Math.max(0, status.anonBytes + status.shmemBytes - guestRamBytes),
      anonHugeBytes: d?.anonHugeBytes ?? 0,
      guestRamHugeBytes: d?.guestRamHugeBytes ?? 0,
    },
    faults: {
      // one that ended has no /proc to read the interval's faults from: its totals at
      // exit do (faultsAtExit), else the probes' count of its page faults stands in
      // (minor, as most are)
      minor: p.exit && !p.exit.faultsAtExit ? Math.max(p.minorFaults, c.faultUser + c.faultKernel) : p.minorFaults,
      major: p.majorFaults,
      user: c.faultUser,
      kernel: c.faultKernel,
      file: fileFromProbe ? c.faultFile : p.majorFaults,
      guestRam: guestRamFaults,
      guestRamSource: source,
      fileSource: fileFromProbe ? 'probe' : 'proc-majflt',
    },
    kvm: kvmStats(c, notifier, input.virtIsa ?? ''),
    reclaim: reclaimStats(c),
    growth: {
      mmapBytes: c.mmapBytes,
      munmapBytes: c.munmapBytes,
      brkBytes: c.brkBytes,
      madviseFreeBytes: madvise.free,
      balloonBytes: madvise.balloon,
    },
    hotspots: hotspotsOf(c, {
      mappings: d?.mappings ?? [],
      guestRam,
      machine: machineKindFromArgv(d?.argv ?? NO_ARGV),
      limit: input.hotspotLimit,
    }),
    ksmMergedPages: d?.ksmMergedPages ?? 0,
    numa: d?.numa ?? [],
    vcpuNodes: p.vcpuNodes ?? [],
    cgroup: d?.cgroup ?? { path: '', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
    guestRamStart: guestRam?.start ?? 0,
    guestRamEnd: guestRam?.end ?? 0,
    leak: { verdict: '', growthBytesPerSec: 0, windowMs: 0, fit: 0 },
    findings: [],
    exit: p.exit ?? null,
    guestMemory: p.guestMemory ?? null,
  };
}

function hostStats(input: IntervalInput, unattributed: number, ambiguous: number): HostStats {
  const m = (key: string): number => input.host.meminfoBytes[key] ?? 0;
  let compactionStalls = 0;
  let compactionNs = 0;
  for (const c of input.totals.byPid.values()) {
    compactionStalls += c.compactionCount;
    compactionNs += c.compactionNs;
  }
  return {
    memTotalBytes: m('MemTotal'),
    memAvailableBytes: m('MemAvailable'),
    memFreeBytes: m('MemFree'),
    cachedBytes: m('Cached'),
    swapTotalBytes: m('SwapTotal'),
    swapUsedBytes: Math.max(0, m('SwapTotal') - m('SwapFree')),
    zswapBytes: m('Zswap'),
    zswappedBytes: m('Zswapped'),
    // Hugetlb (5.16+) counts every page size; before it, the default pool alone
    hugetlbBytes: input.host.meminfoBytes.Hugetlb ?? m('HugePages_Total') * m('Hugepagesize'),
    hugetlbFreeBytes: m('HugePages_Free') * m('Hugepagesize'),
    hugepageSizeBytes: m('Hugepagesize'),
    slabReclaimableBytes: m('SReclaimable'),
    slabUnreclaimableBytes: m('SUnreclaim'),
    anonHugePagesBytes: m('AnonHugePages'),
    psiMemSomeAvg10: input.host.psiMemSomeAvg10,
    psiMemFullAvg10: input.host.psiMemFullAvg10,
    vmstat: input.vmstat,
    kswapdWakes: input.totals.kswapdWakes,
    kswapdRunNs: input.totals.kswapdRunNs,
    lruPagesReclaimed: input.totals.lruPagesReclaimed,
    compactionStalls,
    compactionNs,
    mmuNotifierUnattributed: unattributed,
    mmuNotifierAmbiguous: ambiguous,
    ksmState: input.host.mm?.ksmState ?? '',
    ksmPagesSharing: input.host.mm?.ksmPagesSharing ?? 0,
    ksmPagesShared: input.host.mm?.ksmPagesShared ?? 0,
    ksmdCpuMs: input.host.ksmdCpuMs ?? 0,
    thpEnabled: input.host.mm?.thpEnabled ?? '',
    thpDefrag: input.host.mm?.thpDefrag ?? '',
    limitedCgroups: input.host.limitedCgroups ?? [],
    // filled in by the leak detectors (LeakTracker.annotate)
    findings: [],
    numaNodes: (input.host.numaNodes ?? []).map(({ node, totalBytes, freeBytes, availableBytes, cpus }) => ({ node, totalBytes, freeBytes, availableBytes, cpus })),
  };
}

function hostGuestFaultSource(rows: VmSnapshot[]): GuestFaultSource {
  let userFaults = false;
  for (const r of rows) {
    if (r.kind !== 'vm') continue;
    if (r.faults.guestRamSource === 'kvm') return 'kvm';
    userFaults ||= r.faults.guestRamSource === 'user-faults';
  }
  return userFaults ? 'user-faults' : 'none';
}

// Built once per interval: callbacks are module functions and the rest loops, not
// arrows made per call (V8 compiles such an arrow again after every full GC; see
// src/collect/collector.ts).
/** VMs first, then processes; each by name. */
const vmsFirstByName = (a: VmSnapshot, b: VmSnapshot): number =>
  Number(a.kind === 'process') - Number(b.kind === 'process') || a.name.localeCompare(b.name) || a.pid - b.pid;
const hasExit = (r: VmSnapshot): boolean => Boolean(r.exit);

/** The counters of a process the probes saw nothing of: one, read only (vmRow never
 * writes to its counters), not six new Maps per row and interval. */
const NO_COUNTERS: Readonly<PidCounters> = emptyPidCounters();

export function buildSnapshot(input: IntervalInput): Snapshot {
  const ranges: { vmId: string; start: number; end: number }[] = [];
  for (const p of input.processes) {
    const guestRam = p.identity ? p.detail?.guestRam : undefined;
    if (guestRam) ranges.push({ vmId: p.id, start: guestRam.start, end: guestRam.end });
  }
  const notifier = attributeMmuNotifier(input.totals.mmuNotifier, ranges);
  const rows: VmSnapshot[] = [];
  for (const p of input.processes) rows.push(vmRow(p, input.totals.byPid.get(p.pid) ?? NO_COUNTERS, input, notifier.byVm.get(p.id)));
  rows.sort(vmsFirstByName);
  let lostEvents = 0;
  for (const n of input.totals.lostByGroup.values()) lostEvents += n;
  return {
    seq: input.seq,
    timeMs: input.timeMs,
    intervalMs: input.intervalMs,
    host: hostStats(input, notifier.unattributedCalls, notifier.ambiguousCalls),
    probes: {
      ...input.probes,
      costs: input.probes.costs ?? [],
      lostEvents,
      badLines: input.probes.badLines + input.totals.unknownLines + input.totals.badValues,
      guestFaultSource: hostGuestFaultSource(rows),
    },
    vms: rows,
    events: [
      ...input.lifecycleEvents,
      ...probeEvents(input.totals, input.timeMs, input.pidIndex),
      ...rows.filter(hasExit).map(processExitEvent),
    ],
    diagnosis: null,
  };
}

/** "node leaker.js (pid 42) killed by the OOM killer; last RSS read 1.2 GiB" */
function processExitEvent(row: VmSnapshot): FaultlineEvent {
  const how = describeExit(row.exit!);
  return makeEvent('process-exit', row.exit!.atMs, {
    pid: row.pid, vmId: row.id, comm: row.comm,
    anonRssBytes: row.rss.anonBytes, fileRssBytes: row.rss.fileBytes, shmemRssBytes: row.rss.shmemBytes,
    message: `${row.name} (pid ${row.pid}) ${how}; last RSS read ${formatBytes(row.rss.totalBytes)}${row.cgroup.path ? `, cgroup ${row.cgroup.path}` : ''}`,
  });
}


