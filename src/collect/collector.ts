// The live source's middle: each interval, drain the probes' batches, read /proc
// and /sys, and hand everything to the pure snapshot builder. IO lives here and in
// src/host/; the decisions live in src/aggregate/.
import type { ProcessDetail, ProcessStat, VmIdentity, HostMemory } from '../model/host.js';
import type { FaultlineEvent, GuestFaultSource, PointStatus, ProbeCost, ProbeGroupStatus, Snapshot } from '../model/snapshot.js';
import type { ProbeBatch } from '../parse/probe-batch.js';
import { foldBatches, type ProbeTotals } from '../aggregate/probe-counters.js';
import { parseProbeEventLine, type ProbeEventLine, type ProcessExitLine } from '../aggregate/probe-events.js';
import { printsExitLine, processExitOf } from '../aggregate/process-exit.js';
import { selectProcesses } from '../aggregate/select-processes.js';
import { buildSnapshot, type TrackedProcess } from '../aggregate/build-snapshot.js';
import { makeEvent, type PidIndex } from '../aggregate/events.js';
import { ProcStatReader } from '../host/proc-stat-reader.js';
import { discoverVms, diffProcessSets, processId, type IdentityCache } from '../host/discover-vms.js';
import { readProcessCgroupMemory, readProcessDetail } from '../host/process-detail.js';
import { readHostMemory, vmstatDelta } from '../host/host-memory.js';
import { readLimitedCgroups } from '../host/limited-cgroups.js';
import { readNumaNodes, readVcpuCpus, threadsByNode, type NumaNode } from '../host/numa-nodes.js';
import { readVirtIsa } from '../host/virt-isa.js';
import type { VirtIsa } from '../model/host.js';
import { guestFaultSourceOf, readThreadNames } from '../host/vcpu-threads.js';
import { LeakTracker } from '../detect/run-detectors.js';
import { DiagnosisWindow } from '../diagnose/diagnosis-window.js';
import type { Thresholds } from '../diagnose/thresholds.js';
import { SlabinfoReader } from '../detect/slabinfo.js';
import { carriedGuestRam, choosePageWalks, PAGE_WALKS_PER_INTERVAL, pagesMovedBetween, unchangedWalkDue, WALK_STILL_PERIODS, WALK_UNCHANGED_PERIODS, type WalkBudget, type WalkCandidate, type WalkedValues } from './page-walks.js';
import { detailRead, MADVISE_POINT, MAPPING_CHANGE_POINTS, mayKeepMaps, ranSince, stampOf, statUnchanged, type DetailStamp } from './detail-reuse.js';
import type { CgroupMemory, NumaNodeBytes } from '../model/snapshot.js';
import { GuestMemoryReader } from './guest-memory-reader.js';
import { ExitLineWait } from './exit-line-wait.js';
import { readCounterTextOrNull } from '../host/read-proc-file.js';

/** /proc/PID/stat counts CPU time in ticks of 1/USER_HZ s: 100 on Linux, whatever the kernel's HZ. */
const USER_HZ = 100;

/** /proc/PID/stat counts RSS in pages of this size (x86-64). */
const PAGE_BYTES = 4096;

export interface CollectorOptions {
  intervalMs: number;
  procRoot?: string;
  cgroupRoot?: string;
  /** /sys for the NUMA nodes; default /sys with the real /proc, none with a /proc fixture. */
  sysRoot?: string | null;
  pinnedPids?: number[];
  /** Host processes reported besides VMs and pinned pids, busiest first. */
  busiestLimit?: number;
  /** Left out of the busiest with its bpftrace children (default: this process; 0: none). */
  selfPid?: number;
  hotspotLimit?: number;
  /** numa_maps walks page tables: read it every this many intervals. */
  numaEveryIntervals?: number;
  /** At most this many processes get a page-table walk (smaps for a VM, else
   * smaps_rollup) per interval; the rest carry their guest-RAM bytes forward
   * (src/collect/page-walks.ts). Default 8. */
  pageWalksPerInterval?: number;
  /** ...and at most this many ms of their estimated CPU (one walk always). Default 50. */
  pageWalkMsPerInterval?: number;
  /** A process whose faults and RSS in /proc/PID/stat did not move keeps its last
   * detail (its cgroup re-read if it used CPU), read in full again at least every this
   * many intervals (src/collect/detail-reuse.ts). Default 10; 1 reads every process
   * every interval. */
  detailRefreshEveryIntervals?: number;
  /** The leak detectors' window (src/detect/); default 10 min. */
  leakWindowMs?: number;
  /** /proc/slabinfo (for kernel-memory findings) is read every this many intervals. */
  slabinfoEveryIntervals?: number;
  /** The diagnosis's thresholds (src/diagnose/thresholds.ts); default the playbook's. */
  thresholds?: Thresholds;
  /** Every memory cgroup with a limit is looked at every this many intervals (default
   * 5; 0: never), the list carried in between. */
  cgroupScanEveryIntervals?: number;
  /** The guests' own view (`virsh domstats --balloon`, src/collect/guest-memory-reader.ts):
   * default a reader of the host's libvirt with the real /proc, none with a /proc
   * fixture; null: none. */
  guestMemory?: GuestMemoryReader | null;
  /** Warnings for a human (stderr in the CLI). */
  log?: (line: string) => void;
  now?: () => number;
}

// The per-interval code passes module functions as callbacks, or loops, rather than
// arrows written in place: V8 keeps a function's optimized code only while one of its
// closures lives, so an arrow made anew each interval is compiled again after every
// full GC (docs/benchmarks.md, "The optimizing compiler").
const statById = (s: ProcessStat): [string, ProcessStat] => [processId(s), s];
const isTracked = (p: TrackedProcess | null): p is TrackedProcess => p !== null;
const isKsmd = (s: ProcessStat): boolean => s.comm === 'ksmd' && s.ppid === 2;
/** Faults since the previous table's line (all of them for a process new since). */
const minorFaultsSince = (s: ProcessStat, prev: ProcessStat | undefined): number => (prev ? Math.max(0, s.minflt - prev.minflt) : s.minflt);
const majorFaultsSince = (s: ProcessStat, prev: ProcessStat | undefined): number => (prev ? Math.max(0, s.majflt - prev.majflt) : s.majflt);
const isGrowthGroup = (g: ProbeGroupStatus): boolean => g.group === 'growth';
const isFaultsGroup = (g: ProbeGroupStatus): boolean => g.group === 'faults';
const EXIT_POINT = 'sched:sched_process_exit';
function isAttachedPoint(this: string, p: PointStatus): boolean {
  return p.point === this && p.state === 'attached';
}

/** The time a snapshot's deltas cover: since the reads they start from, as the clock
 * says, not the nominal interval. The first snapshot comes 0.5-1.5 intervals after
 * the priming reads, and one that follows a slow one folds the skipped boundaries in
 * (src/collect/live-session.ts): a rate over the nominal interval was then off by up
 * to 2x. The nominal interval when there is nothing to measure from (or a clock that
 * did not move). */
export function coveredMs(prevReadMs: number | null, timeMs: number, nominalMs: number): number {
  const elapsedMs = prevReadMs === null ? 0 : timeMs - prevReadMs;
  return elapsedMs > 0 ? elapsedMs : nominalMs;
}

/** The table entry of a VM that exited (its id is `pid@starttime`). */
function goneVm(vm: { id: string; pid: number; comm: string } | undefined): ProcessStat | null {
  if (!vm) return null;
  const startTimeTicks = Number(vm.id.slice(vm.id.indexOf('@') + 1));
  return { pid: vm.pid, comm: vm.comm, state: 'X', ppid: 0, minflt: 0, majflt: 0, startTimeTicks, rssPages: 0, cpuTicks: 0 };
}

/** A process that came and went between two reads of /proc. */
function goneProcess(pid: number, events: ProbeEventLine[]): ProcessStat {
  const comm = events.flatMap((e) => (e.pid === pid && 'comm' in e ? [e.comm] : []))[0] ?? `pid ${pid}`;
  return { pid, comm, state: 'X', ppid: 0, minflt: 0, majflt: 0, startTimeTicks: 0, rssPages: 0, cpuTicks: 0 };
}

interface TrackedVm {
  /** Its process id (`pid@starttime`). */
  id: string;
  identity: VmIdentity;
  comm: string;
  pid: number;
  /** Decided by its vCPU thread names; null while only guessed from argv. */
  faultSource: GuestFaultSource | null;
  /** The guess from argv and the interval its threads were last listed. */
  guessedSource?: { source: GuestFaultSource; seq: number };
}

export interface ProbeState {
  groups: ProbeGroupStatus[];
  bpftraceVersion: string;
  badLines: number;
  /** Per-program BPF cost this interval (--probe-cost), else absent. */
  costs?: ProbeCost[];
}

export class Collector {
  private batches: ProbeBatch[] = [];
  private pendingEvents: FaultlineEvent[] = [];
  private seq = 0;
  private prevStats = new Map<string, ProcessStat>();
  private prevHost: HostMemory | null = null;
  /** When the reads the next snapshot's deltas start from began (prime or the last tick). */
  private prevReadMs: number | null = null;
  /** Host processes that had a row last interval: one that is gone gets a last row. */
  private prevProcessRows = new Set<string>();
  /** OOM victims by pid, with the interval of the kill (its process may be listed
   * for an interval more while the kernel tears it down). */
  private oomVictims = new Map<number, number>();
  /** Exit lines of the faults probe by pid, with the interval they came in: noted as
   * they arrive (noteEventLine), so an exit just before the /proc read is known when
   * the process is found gone; kept a few intervals (a zombie stays until reaped). */
  private exitLines = new Map<number, { line: ProcessExitLine; seq: number }>();
  /** A snapshot waiting for the exit lines of processes it found gone (src/collect/exit-line-wait.ts). */
  private readonly exitLineWait = new ExitLineWait();
  private vms = new Map<string, TrackedVm>();
  /** VMs that exited in this interval or the last few, with the interval they went
   * in: a row for one of them (its last probe counts, a reclaim stall at teardown,
   * even one that comes after its process left /proc) is still that VM, not a process
   * called "IO mon_iothread". */
  private recentlyExitedVms = new Map<string, { vm: TrackedVm; seq: number }>();
  private identities: IdentityCache = new Map();
  /** The refresh slot the next process read gets (src/collect/detail-reuse.ts). */
  private nextSlot = 0;
  /** The last detail read in full per process, with the stat line it was read at. */
  private details = new Map<string, { stamp: DetailStamp; detail: ProcessDetail; numa: NumaNodeBytes[]; numaSeq: number; numaStamp: DetailStamp | null; mapsSeq: number }>();
  private readonly procRoot: string;
  private readonly cgroupRoot: string;
  private readonly sysRoot: string | null;
  private readonly now: () => number;
  private readonly leaks: LeakTracker;
  private readonly diagnosis: DiagnosisWindow;
  private limitedCgroups: CgroupMemory[] = [];
  /** The memory nodes as last read, and each node's CPUs (read once). */
  private numaNodes: NumaNode[] = [];
  private readonly cpuLists = new Map<number, number[]>();
  private lastWalk = new Map<string, WalkedValues>();
  /** argv by `${id} ${comm}` (an exec changes comm), read once per process. */
  private argvOf = new Map<string, string[]>();
  /** The last interval the growth probe saw each pid map, unmap or move its break. */
  private mappingChanges = new Map<number, number>();
  /** Since when the growth probe has watched every mapping change, none lost; null: not now. */
  private mappingsWatchedSince: number | null = null;
  /** The last interval whose host read found KSM running (it may merge pages) or its
   * page counts (pages_shared, pages_sharing) moved since the read before; Infinity
   * while they cannot be read. A refresh is quiet only for a detail read after it
   * (src/collect/detail-reuse.ts, detailRead). */
  private ksmMovedSeq = Infinity;
  /** The last interval whose host read found the kernel moved pages on its own since the
   * read before (/proc/vmstat: migration, THP collapse and split; pagesMovedBetween);
   * Infinity before the first read. An unchanged process's page walk (smaps, numa_maps)
   * comes every WALK_UNCHANGED_PERIODS after one, else every WALK_STILL_PERIODS. */
  private pagesMovedSeq = Infinity;
  /** Set by noteWalkBudget (in the constructor, then after each host read). */
  private walkBudget!: WalkBudget;
  /** The last interval the growth probe saw each pid change a mapping or free memory
   * with madvise (DONTNEED on swapped-out pages lowers VmSwap, not RSS). */
  private detailChanges = new Map<number, number>();
  /** Since when the growth probe has watched all of those, none lost; null: not now. */
  private detailChangesWatchedSince: number | null = null;
  private readonly slabinfo: SlabinfoReader;
  private readonly statReader: ProcStatReader;
  /** statReader.readOne, bound once (passed to every detail read). */
  private readonly readStat: (pid: number) => ProcessStat | null;
  private virtIsa: VirtIsa = '';
  private readonly guestMemory: GuestMemoryReader | null;

  constructor(private readonly options: CollectorOptions) {
    this.procRoot = options.procRoot ?? '/proc';
    this.cgroupRoot = options.cgroupRoot ?? '/sys/fs/cgroup';
    this.sysRoot = options.sysRoot !== undefined ? options.sysRoot : this.procRoot === '/proc' ? '/sys' : null;
    this.now = options.now ?? Date.now;
    this.leaks = new LeakTracker({ leakWindowMs: options.leakWindowMs });
    this.diagnosis = new DiagnosisWindow(options.thresholds);
    this.slabinfo = new SlabinfoReader(this.procRoot);
    this.statReader = new ProcStatReader(this.procRoot);
    this.readStat = this.statReader.readOne.bind(this.statReader);
    this.guestMemory = options.guestMemory !== undefined ? options.guestMemory : this.procRoot === '/proc' ? new GuestMemoryReader({ log: options.log }) : null;
    this.noteWalkBudget();
  }

  /** Gives back the descriptors it holds (src/host/proc-stat-reader.ts). */
  close(): void {
    this.statReader.close();
  }

  hasPendingBatches(): boolean {
    return this.batches.some((b) => b.maps.size > 0 || b.hists.size > 0 || b.lines.length > 0 || b.lostEvents > 0);
  }

  addBatch(batch: ProbeBatch): void {
    this.batches.push(batch);
  }

  /** An event line as soon as a probe printed it, before its batch is complete: an
   * exit, or the OOM killer's choice, is then known when /proc next shows the process
   * gone. (A victim chosen after the interval's tick line and reaped before the /proc
   * read, a window of about a ms, has its oom_victim line in the next batch: its last
   * row would say "killed by SIGKILL". Not seen in 16 OOM kills timed around
   * snapshots; the exit lines' race, seen, is in src/collect/exit-line-wait.ts.) */
  noteEventLine(line: string): void {
    if (!line.startsWith('process_exit ') && !line.startsWith('oom_victim ')) return;
    const e = parseProbeEventLine(line);
    if (e?.type === 'oom_victim') this.oomVictims.set(e.pid, this.seq);
    if (e?.type !== 'process_exit') return;
    this.exitLines.set(e.pid, { line: e, seq: this.seq });
    this.exitLineWait.noted(e.pid);
  }

  /** Something the supervisor saw (a probe died, lost events...), for the next snapshot. */
  addEvent(event: FaultlineEvent): void {
    this.pendingEvents.push(event);
  }

  /** First read of the process table and counters, so the first snapshot has deltas. */
  async prime(): Promise<void> {
    this.prevReadMs = this.now();
    this.virtIsa = await readVirtIsa(this.procRoot);
    // the guests' own view, in the background: the first reading for the first snapshots
    this.guestMemory?.poll();
    const stats = await this.statReader.readAll();
    await this.trackVms(stats, this.now(), true);
    this.prevStats = new Map(stats.map(statById));
    this.prevHost = await readHostMemory(this.procRoot);
    this.noteKsmMoved(null, this.prevHost);
    // what moved before this first read is unknown: as if it moved now
    this.pagesMovedSeq = this.seq;
    this.noteWalkBudget();
  }

  private async trackVms(stats: ProcessStat[], timeMs: number, quiet: boolean): Promise<FaultlineEvent[]> {
    const identities = await discoverVms(this.procRoot, stats, this.identities);
    const current = new Map<string, { stat: ProcessStat; identity: VmIdentity }>();
    for (const stat of stats) {
      const identity = identities.get(stat.pid);
      if (identity) current.set(processId(stat), { stat, identity });
    }
    const { started, exited } = diffProcessSets(new Set(this.vms.keys()), new Set(current.keys()));
    const events: FaultlineEvent[] = [];
    for (const id of exited) {
      const vm = this.vms.get(id)!;
      this.recentlyExitedVms.set(id, { vm, seq: this.seq });
      events.push(makeEvent('vm-exit', timeMs, { pid: vm.pid, vmId: id, comm: vm.comm, message: `VM ${vm.identity.name} (pid ${vm.pid}) exited` }));
      this.vms.delete(id);
    }
    for (const id of started) {
      const { stat, identity } = current.get(id)!;
      this.vms.set(id, { id, identity, comm: stat.comm, pid: stat.pid, faultSource: null });
      if (!quiet) {
        const size = identity.memoryBytes ? `${Math.round(identity.memoryBytes / 2 ** 20)} MiB` : 'unknown size';
        events.push(makeEvent('vm-start', timeMs, { pid: stat.pid, vmId: id, comm: stat.comm, message: `VM ${identity.name} (pid ${stat.pid}, ${size}) appeared` }));
      }
    }
    return events;
  }

  private async faultSourceOf(id: string, pid: number, argv: string[]): Promise<GuestFaultSource> {
    const vm = this.vms.get(id);
    if (vm?.faultSource) return vm.faultSource;
    // a guess from argv (no debug-threads names) is re-checked once a refresh period
    const guess = vm?.guessedSource;
    if (guess && this.seq - guess.seq < this.refreshEvery) return guess.source;
    const threads = await readThreadNames(this.procRoot, pid);
    const source = guestFaultSourceOf(threads, argv);
    // thread names decide for good
    if (vm && threads.some((t) => /^CPU \d+\//.test(t))) vm.faultSource = source;
    else if (vm) vm.guessedSource = { source, seq: this.seq };
    return source;
  }

  /** Whether KSM shared pages at the last host read (unknown before the first: true). */
  private get ksmShares(): boolean {
    const mm = this.prevHost?.mm;
    return mm === undefined || mm.ksmPagesShared > 0 || mm.ksmPagesSharing > 0;
  }

  private get refreshEvery(): number {
    return this.options.detailRefreshEveryIntervals ?? 10;
  }

  private async readDetail(stat: ProcessStat, id: string, memoryBytes: number, readNuma: boolean, readPageWalks: boolean, cgroupReads: Map<string, Promise<CgroupMemory>>): Promise<ProcessDetail | null> {
    const argvKey = `${id} ${stat.comm}`;
    const cached = this.details.get(id);
    const unchanged = cached !== undefined && statUnchanged(cached.stamp, stat);
    // a refresh of a process that took no fault since keeps its maps, for a while; for
    // longer while the growth probe saw none of its mapping changes
    const keepMaps = unchanged && mayKeepMaps({ mapsSeq: cached.mapsSeq, changeSeq: this.mappingChanges.get(stat.pid), watchedSince: this.mappingsWatchedSince }, this.seq, this.refreshEvery);
    const knownMappings = keepMaps ? cached.detail.mappings : undefined;
    // numa_maps walks page tables too: for one that took no fault since numa_maps was
    // read (not only since its detail was: it may have grown in between), as rarely as smaps
    const keepNuma = readNuma && cached !== undefined && cached.numaStamp !== null && statUnchanged(cached.numaStamp, stat) && !unchangedWalkDue(cached.numaSeq, this.seq, this.walkBudget);
    const read = await readProcessDetail(this.procRoot, this.cgroupRoot, stat, { memoryBytes, readNuma: readNuma && !keepNuma, readPageWalks, knownArgv: this.argvOf.get(argvKey), knownMappings, cgroupReads, readStat: this.readStat, ksmShares: this.ksmShares });
    const detail = this.withPageWalk(id, read && keepNuma ? { ...read, numa: cached.numa } : read, memoryBytes);
    if (detail) {
      this.argvOf.set(argvKey, detail.argv);
      // read this time (an empty reading too: a kernel without NUMA, an unreadable file)
      const numaRead = readNuma && !keepNuma;
      this.details.set(id, {
        stamp: stampOf(stat, this.seq, cached?.stamp.slot ?? this.nextSlot++ % this.refreshEvery),
        detail,
        numa: numaRead ? detail.numa : (cached?.numa ?? []),
        numaSeq: numaRead ? this.seq : (cached?.numaSeq ?? -Infinity),
        numaStamp: numaRead ? stampOf(stat, this.seq, 0) : (cached?.numaStamp ?? null),
        mapsSeq: keepMaps ? cached.mapsSeq : this.seq,
      });
    }
    return detail;
  }

  /** The last detail of a process whose faults and RSS did not move, and whether its
   * cgroup is due to be read again (a quiet refresh); null when it must be read in full. */
  private reusableDetail(stat: ProcessStat, id: string, readNuma: boolean): { detail: ProcessDetail; cgroupDue: boolean } | null {
    const cached = this.details.get(id);
    if (!cached) return null;
    const read = detailRead(cached.stamp, stat, this.seq, this.refreshEvery, this.quietSince(stat.pid, id, cached.stamp.seq));
    if (read === 'all') return null;
    // a numa interval needs numa_maps as of now: read it when the process moved since
    if (readNuma && (cached.numaStamp === null || !statUnchanged(cached.numaStamp, stat))) return null;
    // numa is reported on its sampling intervals only, as for a process read in full
    return { detail: { ...cached.detail, numa: readNuma ? cached.numa : [] }, cgroupDue: read === 'cgroup' };
  }

  /** Whether nothing that moves a detail with no fault and no RSS change (KSM, a mapping
   * change, memory freed with madvise) happened to the process since its full read at
   * `readSeq`, as far as we watch (src/collect/detail-reuse.ts, detailRead), and its page
   * walk is not due: a walk comes only with a full read (a fleet's first walks, 8 an
   * interval, are made at their refreshes, and an unchanged process's every 300 intervals,
   * 1,800 while the kernel moves no page on its own: src/collect/page-walks.ts). */
  private quietSince(pid: number, id: string, readSeq: number): boolean {
    const walk = this.lastWalk.get(id);
    if (!walk || unchangedWalkDue(walk.seq, this.seq, this.walkBudget)) return false;
    if (this.ksmMovedSeq >= readSeq) return false;
    if (this.detailChangesWatchedSince === null || this.detailChangesWatchedSince > readSeq) return false;
    return (this.detailChanges.get(pid) ?? -Infinity) <= readSeq;
  }

  /** Remembers a walked process's page-table values, or fills a skipped one's in. */
  private withPageWalk(id: string, detail: ProcessDetail | null, memoryBytes: number): ProcessDetail | null {
    if (!detail) return null;
    const anonShmemBytes = detail.status.anonBytes + detail.status.shmemBytes;
    if (detail.guestRamResidentBytes >= 0) {
      this.lastWalk.set(id, { seq: this.seq, guestRamResidentBytes: detail.guestRamResidentBytes, guestRamHugeBytes: detail.guestRamHugeBytes, anonHugeBytes: detail.anonHugeBytes, anonShmemBytes });
      return detail;
    }
    const last = this.lastWalk.get(id);
    const guestRamResidentBytes = last && detail.guestRam ? carriedGuestRam(last, anonShmemBytes, memoryBytes) : 0;
    return {
      ...detail,
      guestRamResidentBytes,
      // the last walk's huge pages, as long as guest RAM still holds that much
      guestRamHugeBytes: Math.min(last?.guestRamHugeBytes ?? 0, guestRamResidentBytes),
      anonHugeBytes: last?.anonHugeBytes ?? 0,
    };
  }

  async tick(probes: ProbeState): Promise<Snapshot> {
    const timeMs = this.now();
    const batches = this.batches;
    this.batches = [];
    const totals = foldBatches(batches);
    this.noteMappingChanges(probes, totals);
    this.guestMemory?.poll();
    const stats = await this.statReader.readAll();
    const lifecycle = [...this.pendingEvents.splice(0), ...(await this.trackVms(stats, timeMs, false))];

    const faultDeltaByPid = new Map<number, number>();
    const alive = new Set<number>();
    for (const s of stats) {
      const prev = this.prevStats.get(processId(s));
      faultDeltaByPid.set(s.pid, minorFaultsSince(s, prev) + majorFaultsSince(s, prev));
      alive.add(s.pid);
    }
    for (const [id, { seq }] of this.recentlyExitedVms) if (this.seq - seq > 5) this.recentlyExitedVms.delete(id);
    const vmByPid = new Map<number, TrackedVm>();
    for (const { vm } of this.recentlyExitedVms.values()) vmByPid.set(vm.pid, vm);
    for (const vm of this.vms.values()) vmByPid.set(vm.pid, vm);
    const vmPids = new Set<number>();
    for (const vm of this.vms.values()) vmPids.add(vm.pid);
    for (const e of totals.events) if (e.type === 'oom_victim') this.oomVictims.set(e.pid, this.seq);
    for (const [pid, seq] of this.oomVictims) if (this.seq - seq > 5) this.oomVictims.delete(pid);
    for (const e of totals.events) if (e.type === 'process_exit' && !this.exitLines.has(e.pid)) this.exitLines.set(e.pid, { line: e, seq: this.seq });
    for (const [pid, { seq }] of this.exitLines) if (this.seq - seq > 10) this.exitLines.delete(pid);
    const listed = new Set(stats.map(processId));
    // a host process that had a row and is gone: one last row, marked as ended
    const ended = [...this.prevProcessRows].filter((id) => !listed.has(id)).map((id) => this.prevStats.get(id)!).filter(Boolean);
    await this.exitLineWait.until(this.exitLinesDue(ended, probes, timeMs));
    const chosen = selectProcesses({
      stats,
      faultDeltaByPid,
      vmPids,
      pinnedPids: new Set(this.options.pinnedPids ?? []),
      totals,
      busiestLimit: this.options.busiestLimit ?? 5,
      selfPid: this.options.selfPid ?? process.pid,
    });
    // a pid that stalled and died during the interval is still reported, from the
    // previous table (or the OOM event's comm), with no /proc detail
    const statByPid = new Map<number, ProcessStat>();
    for (const s of this.prevStats.values()) statByPid.set(s.pid, s);
    for (const s of stats) statByPid.set(s.pid, s);
    const readNuma = this.seq % (this.options.numaEveryIntervals ?? 10) === 0;
    for (const s of ended) if (!chosen.includes(s.pid) && !alive.has(s.pid)) chosen.push(s.pid);
    const chosenStats: ProcessStat[] = [];
    for (const pid of chosen) chosenStats.push(statByPid.get(pid) ?? goneVm(vmByPid.get(pid)) ?? goneProcess(pid, totals.events));
    const reused = new Map<string, ProcessDetail>();
    const cgroupReads = new Map<string, Promise<CgroupMemory>>();
    for (const s of chosenStats) {
      const id = processId(s);
      const reuse = alive.has(s.pid) ? this.reusableDetail(s, id, readNuma) : null;
      if (!reuse) continue;
      // one that ran may have charged page cache to its cgroup, and another process may
      // have, for any: that, read again (the second at its refresh slot)
      const ran = ranSince(this.details.get(id)!.stamp, s);
      const cgroup = ran || reuse.cgroupDue ? await readProcessCgroupMemory(this.procRoot, this.cgroupRoot, s.pid, cgroupReads) : reuse.detail.cgroup;
      if (cgroup) reused.set(id, { ...reuse.detail, cgroup });
    }
    // only live processes read in full have page tables to walk: the dead and the
    // unchanged take no budget
    const walkCandidates: WalkCandidate[] = [];
    for (const s of chosenStats) {
      const id = processId(s);
      if (!alive.has(s.pid) || reused.has(id)) continue;
      const stamp = this.details.get(id)?.stamp;
      walkCandidates.push({ id, residentBytes: s.rssPages * PAGE_BYTES, statUnchanged: stamp !== undefined && statUnchanged(stamp, s) });
    }
    const walks = choosePageWalks(walkCandidates, this.lastWalk, this.walkBudget, this.seq);
    const processes = (
      await Promise.all(
        chosenStats.map(async (stat): Promise<TrackedProcess | null> => {
          const pid = stat.pid;
          const id = processId(stat);
          // the same process only: a pid reused since is not that VM
          const vm = vmByPid.get(pid)?.id === id ? vmByPid.get(pid) : undefined;
          const memoryBytes = vm?.identity.memoryBytes ?? 0;
          const gone = !alive.has(pid);
          // a host process that ended keeps the last detail read while it lived (its
          // RSS and cgroup, not zeros), marked as ended in its row; a VM that exited
          // has its vm-exit event and no detail
          const lastRead = gone && !vm ? (this.details.get(id)?.detail ?? null) : null;
          const detail = gone ? lastRead : (reused.get(id) ?? (await this.readDetail(stat, id, memoryBytes, readNuma, walks.has(id), cgroupReads)));
          // how it ended, and its last interval's faults from the kernel's totals at exit
          const exitLine = gone && !vm ? this.exitLines.get(pid)?.line : undefined;
          const exit = gone && !vm ? processExitOf(timeMs, exitLine, this.oomVictims.has(pid)) : undefined;
          if (exitLine) this.exitLines.delete(pid);
          // a live one: since the last table (stat is this interval's)
          const prev = gone ? undefined : this.prevStats.get(id);
          const faults = exitLine
            ? { minor: Math.max(0, exitLine.minorFaults - stat.minflt), major: Math.max(0, exitLine.majorFaults - stat.majflt) }
            : gone ? undefined : { minor: minorFaultsSince(stat, prev), major: majorFaultsSince(stat, prev) };
          return {
            id,
            pid,
            startTimeTicks: stat.startTimeTicks,
            comm: stat.comm,
            identity: vm?.identity ?? null,
            detail,
            minorFaults: faults?.minor ?? 0,
            majorFaults: faults?.major ?? 0,
            guestFaultSource: vm ? await this.faultSourceOf(id, pid, detail?.argv ?? []) : 'none',
            exit,
            // where its vCPUs run, next to where its memory is (numa_maps): only where
            // there is more than one node to run on
            vcpuNodes: vm && !gone && readNuma && this.numaNodes.length > 1 ? threadsByNode(await readVcpuCpus(this.procRoot, pid), this.numaNodes) : [],
            guestMemory: vm && !gone ? (this.guestMemory?.readingFor(pid, vm.identity) ?? null) : null,
          };
        }),
      )
    ).filter(isTracked);

    const host = await readHostMemory(this.procRoot);
    this.noteKsmMoved(this.prevHost, host);
    if (this.prevHost === null || pagesMovedBetween(this.prevHost.vmstat, host.vmstat)) this.pagesMovedSeq = this.seq;
    this.noteWalkBudget();
    if (this.sysRoot !== null) this.numaNodes = await readNumaNodes(this.sysRoot, this.cpuLists);
    // what KSM's scanner costs: ksmd is a kernel thread, in the process table read above
    const ksmd = stats.find(isKsmd);
    const ksmdBefore = ksmd ? this.prevStats.get(processId(ksmd)) : undefined;
    host.ksmdCpuMs = ksmd && ksmdBefore ? ((ksmd.cpuTicks - ksmdBefore.cpuTicks) * 1000) / USER_HZ : 0;
    host.numaNodes = this.numaNodes;
    // memory cgroups near their limits, wherever they are (a walk of the hierarchy)
    const scanEvery = this.options.cgroupScanEveryIntervals ?? 5;
    if (scanEvery > 0 && this.seq % scanEvery === 0) this.limitedCgroups = await readLimitedCgroups({ cgroupRoot: this.cgroupRoot });
    host.limitedCgroups = this.limitedCgroups;
    // named only for the pids this interval's events name (a few), not for every process
    const pidIndex: PidIndex = {
      get: (pid) => {
        const s = statByPid.get(pid);
        return s && { id: processId(s), comm: s.comm };
      },
    };
    const snapshot = buildSnapshot({
      seq: this.seq,
      timeMs,
      intervalMs: coveredMs(this.prevReadMs, timeMs, this.options.intervalMs),
      totals,
      processes,
      host,
      vmstat: vmstatDelta(this.prevHost?.vmstat ?? host.vmstat, host.vmstat),
      probes: {
        attached: probes.groups.filter((g) => g.attached).map((g) => g.group),
        groups: probes.groups,
        bpftraceVersion: probes.bpftraceVersion,
        badLines: probes.badLines,
        costs: probes.costs,
      },
      lifecycleEvents: lifecycle,
      // the previous table too: an OOM victim is usually gone by now
      pidIndex,
      hotspotLimit: this.options.hotspotLimit ?? 8,
      virtIsa: this.virtIsa,
    });
    // leak verdicts and findings on each row, leak-finding events when one turns
    const slab = this.seq % (this.options.slabinfoEveryIntervals ?? 10) === 0 ? await this.slabinfo.read() : null;
    const judged = this.leaks.annotate(snapshot, slab);
    // why the host is short of memory, over the last window of snapshots
    judged.diagnosis = this.diagnosis.add(judged);
    this.seq += 1;
    this.prevStats = new Map(stats.map(statById));
    this.prevProcessRows = new Set();
    for (const v of judged.vms) if (v.kind === 'process' && !v.exit) this.prevProcessRows.add(v.id);
    this.prevHost = host;
    this.prevReadMs = timeMs;
    for (const id of this.lastWalk.keys()) if (!this.prevStats.has(id)) this.lastWalk.delete(id);
    for (const id of this.details.keys()) if (!this.prevStats.has(id)) this.details.delete(id);
    for (const key of this.argvOf.keys()) if (!this.prevStats.has(key.slice(0, key.indexOf(' ')))) this.argvOf.delete(key);
    for (const pid of this.mappingChanges.keys()) if (!alive.has(pid)) this.mappingChanges.delete(pid);
    for (const pid of this.detailChanges.keys()) if (!alive.has(pid)) this.detailChanges.delete(pid);
    return judged;
  }

  /** How many page walks an interval may make, and how often an unchanged process's
   * (src/collect/page-walks.ts): KSM merging moves pages too. After each host read. */
  private noteWalkBudget(): void {
    this.walkBudget = {
      maxWalks: this.options.pageWalksPerInterval ?? PAGE_WALKS_PER_INTERVAL,
      maxCostMs: this.options.pageWalkMsPerInterval ?? 50,
      unchangedEveryIntervals: WALK_UNCHANGED_PERIODS * this.refreshEvery,
      stillEveryIntervals: WALK_STILL_PERIODS * this.refreshEvery,
      pagesMovedSeq: Math.max(this.pagesMovedSeq, this.ksmMovedSeq),
    };
  }

  /** KSM as the host read `now` found it against `before` (null: the first read). */
  private noteKsmMoved(before: HostMemory | null, now: HostMemory): void {
    const [was, is] = [before?.mm, now.mm];
    // '' is a kernel without KSM; 'unmerge' undoes merges
    const running = is !== undefined && is.ksmState !== 'off' && is.ksmState !== '';
    if (!is) this.ksmMovedSeq = Infinity;
    else if (before === null) this.ksmMovedSeq = running ? this.seq : -1;
    else if (running || !was || was.ksmPagesShared !== is.ksmPagesShared || was.ksmPagesSharing !== is.ksmPagesSharing) this.ksmMovedSeq = this.seq;
  }

  /** The pids of ended processes whose exit line the faults probe printed (they lived
   * an interval or more) and that has not come in yet. */
  private exitLinesDue(ended: readonly ProcessStat[], probes: ProbeState, timeMs: number): number[] {
    const missing = ended.filter((s) => !this.exitLines.has(s.pid));
    if (missing.length === 0 || !probes.groups.find(isFaultsGroup)?.points.some(isAttachedPoint, EXIT_POINT)) return [];
    const uptime = readCounterTextOrNull(`${this.procRoot}/uptime`);
    if (uptime === null) return [];
    // the boot clock at the last read that listed them
    const lastListedAtBootMs = Number.parseFloat(uptime) * 1000 - (timeMs - (this.prevReadMs ?? timeMs));
    const due: number[] = [];
    for (const s of missing) if (printsExitLine((s.startTimeTicks * 1000) / USER_HZ, lastListedAtBootMs, this.options.intervalMs)) due.push(s.pid);
    return due;
  }

  /** Which processes the growth probe saw change their mappings in this batch, and
   * whether it watched them all (its mmap, munmap and brk points attached, no event lost). */
  private noteMappingChanges(probes: ProbeState, totals: ProbeTotals): void {
    const growth = probes.groups.find(isGrowthGroup);
    let attached = growth !== undefined && growth.attached;
    for (const point of MAPPING_CHANGE_POINTS) if (!growth?.points.some(isAttachedPoint, point)) attached = false;
    let lost = false;
    for (const [groups, n] of totals.lostByGroup) if (n > 0 && groups.split(',').includes('growth')) lost = true;
    // maps read from now on are watched: every change after the read is in a later batch
    if (!attached || lost) this.mappingsWatchedSince = null;
    else this.mappingsWatchedSince ??= this.seq;
    // and for quiet refreshes, memory freed with madvise too
    const adviceWatched = attached && growth!.points.some(isAttachedPoint, MADVISE_POINT);
    if (!adviceWatched || lost) this.detailChangesWatchedSince = null;
    else this.detailChangesWatchedSince ??= this.seq;
    for (const [pid, c] of totals.byPid) {
      const mapped = c.mmapBytes > 0 || c.munmapBytes > 0 || c.brkBytes !== 0;
      if (mapped) this.mappingChanges.set(pid, this.seq);
      if (mapped || c.madviseBytes.size > 0) this.detailChanges.set(pid, this.seq);
    }
  }
}
