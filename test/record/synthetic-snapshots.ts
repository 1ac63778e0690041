// Synthetic snapshots for the recording tests and bench/recording-size.ts: a host of
// N KVM guests (plus a few host processes) whose counters move the way a busy host's
// do, built with the real snapshot builder (src/aggregate/build-snapshot.ts) from
// made-up probe counters and /proc details. Seeded: the same options give the same
// snapshots. Made up, not captured: real captures are in samples/ and test/fixtures/.
//
// Per interval each VM is one of: idle (a few faults, RSS flat), steady (faults,
// EPT faults in a few guest-RAM regions, KVM exits, RSS creeping up) or busy (all of
// that tenfold, reclaim stalls with a histogram, mmap churn). `activity` picks the
// mix.
import type { Mapping, ProcessDetail } from '../../src/model/host.js';
import type { FaultlineEvent, Snapshot } from '../../src/model/snapshot.js';
import { buildSnapshot, type TrackedProcess } from '../../src/aggregate/build-snapshot.js';
import { emptyPidCounters, type PidCounters, type ProbeTotals } from '../../src/aggregate/probe-counters.js';
import { makeEvent } from '../../src/aggregate/events.js';
import { mulberry32 } from '../harness/seeded-random.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const PAGE = 4096;

export type Activity = 'idle' | 'mixed' | 'busy';

export interface SyntheticOptions {
  vms: number;
  /** host processes reported besides the VMs */
  processes?: number;
  snapshots: number;
  intervalMs?: number;
  startTimeMs?: number;
  seed?: number;
  activity?: Activity;
  /** per VM-second chance of a reclaim-stall event (default 1e-4) */
  stallEventRate?: number;
}

interface SimProcess {
  pid: number;
  startTimeTicks: number;
  name: string;
  uuid: string;
  isVm: boolean;
  memoryBytes: number;
  guestRam: Mapping | null;
  mappings: Mapping[];
  guestResidentBytes: number;
  ownAnonBytes: number;
  fileBytes: number;
  swapBytes: number;
  level: 0 | 1 | 2;
  hotRegions: number[];
}

function uuidOf(rand: () => number): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

function makeProcess(i: number, isVm: boolean, rand: () => number, activity: Activity): SimProcess {
  const memoryBytes = isVm ? [2, 4, 8, 16][i % 4]! * GiB : 0;
  const base = 0x7f00_0000_0000 + i * 64 * GiB;
  const guestRam = isVm ? { start: base, end: base + memoryBytes, perms: 'rw-p', offset: 0, inode: 0, path: '' } : null;
  const mappings: Mapping[] = [
    { start: 0x55_0000_0000, end: 0x55_0400_0000, perms: 'rw-p', offset: 0, inode: 0, path: '[heap]' },
    ...(guestRam ? [guestRam] : []),
    { start: base + 32 * GiB, end: base + 32 * GiB + 64 * MiB, perms: 'r-xp', offset: 0, inode: 1234, path: '/usr/bin/qemu-system-x86_64' },
  ];
  const level = activity === 'idle' ? 0 : activity === 'busy' ? 2 : ((i % 3) as 0 | 1 | 2);
  return {
    pid: 10_000 + i * 7,
    startTimeTicks: 123_456 + i * 100,
    name: isVm ? `synthetic-vm-${String(i).padStart(2, "0")}` : `synth-proc-${i}`,
    uuid: isVm ? uuidOf(rand) : '',
    isVm,
    memoryBytes,
    guestRam,
    mappings,
    guestResidentBytes: isVm ? Math.round((memoryBytes * (0.2 + rand() * 0.5)) / PAGE) * PAGE : 0,
    ownAnonBytes: Math.round((60 + rand() * 200) * MiB / PAGE) * PAGE,
    fileBytes: Math.round((20 + rand() * 30) * MiB / PAGE) * PAGE,
    swapBytes: 0,
    level,
    hotRegions: Array.from({ length: 12 }, () => Math.floor((rand() * (memoryBytes || GiB)) / 2 ** 21)),
  };
}

function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  // normal approximation is plenty for counters
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * (rand() + rand() + rand() - 1.5) * 2));
}

function step(p: SimProcess, rand: () => number, intervalS: number): PidCounters {
  const c = emptyPidCounters();
  const scale = [0.02, 1, 10][p.level]! * intervalS;
  const grow = p.level === 0 ? 0 : Math.round((rand() * [0, 2, 16][p.level]! * MiB * intervalS) / PAGE) * PAGE;
  p.guestResidentBytes = Math.min(p.memoryBytes, p.guestResidentBytes + grow);
  if (p.level > 0 && rand() < 0.3) p.ownAnonBytes += Math.round(((rand() - 0.45) * 2 * MiB) / PAGE) * PAGE;
  if (p.level === 2 && rand() < 0.1) p.fileBytes += Math.round(((rand() - 0.5) * 4 * MiB) / PAGE) * PAGE;
  c.faultUser = poisson(rand, 200 * scale);
  c.faultKernel = poisson(rand, 20 * scale);
  c.faultFile = poisson(rand, 5 * scale);
  if (p.isVm) {
    c.kvmFaults = p.level === 0 ? 0 : poisson(rand, 400 * scale) + grow / PAGE;
    const regions = [0, 3, 8][p.level]!;
    for (let r = 0; r < regions; r++) c.kvmRegions.set(p.hotRegions[r]!, poisson(rand, (c.kvmFaults / (r + 1.5)) / 3));
    for (const [reason, mean] of [[1, 900], [12, 400], [30, 150], [32, 300], [48, 60], [49, 40], [28, 20], [10, 5]] as const) {
      const n = poisson(rand, mean * scale);
      if (n > 0) c.kvmExits.set(reason, n);
    }
    if (c.kvmFaults > 0) c.kvmLevels.set(1, c.kvmFaults);
  }
  for (let r = 0; r < [1, 2, 4][p.level]!; r++) c.regionSamples.set(p.mappings[0]!.start / 2 ** 21 + r, poisson(rand, 3 * scale) + 1);
  if (p.level === 2 && rand() < 0.3) {
    const stalls = 1 + Math.floor(rand() * 20);
    for (let s = 0; s < stalls; s++) {
      const ns = Math.round(2 ** (14 + rand() * 10));
      c.reclaimDirectCount += 1;
      c.reclaimDirectNs += ns;
      c.reclaimDirectMaxNs = Math.max(c.reclaimDirectMaxNs, ns);
      const low = 2 ** Math.floor(Math.log2(ns));
      c.stallHistogram.set(low, (c.stallHistogram.get(low) ?? 0) + 1);
    }
    c.reclaimPages = poisson(rand, 500);
  }
  if (p.level > 0 && rand() < 0.2) c.mmapBytes = Math.round(rand() * 64) * PAGE;
  if (p.level > 0 && rand() < 0.2) c.munmapBytes = Math.round(rand() * 64) * PAGE;
  return c;
}

function detailOf(p: SimProcess, seq: number): ProcessDetail {
  const anonBytes = p.guestResidentBytes + p.ownAnonBytes;
  return {
    pid: p.pid,
    startTimeTicks: p.startTimeTicks,
    argv: p.isVm ? ['qemu-system-x86_64', '-name', `guest=${p.name},debug-threads=on`, '-machine', 'pc-q35-7.2', '-m', String(p.memoryBytes / MiB)] : [p.name],
    status: { rssBytes: anonBytes + p.fileBytes, anonBytes, fileBytes: p.fileBytes, shmemBytes: 0, swapBytes: p.swapBytes },
    mappings: p.mappings,
    guestRam: p.guestRam,
    guestRamResidentBytes: p.guestResidentBytes,
    guestRamHugeBytes: 0,
    anonHugeBytes: 0,
    ksmMergedPages: 0,
    numa: seq % 10 === 0 ? [{ node: 0, bytes: anonBytes }] : [],
    cgroup: p.isVm
      ? { path: `/machine.slice/machine-qemu\\x2d${p.pid}\\x2d${p.name}.scope`, limitBytes: 0, usageBytes: anonBytes + p.fileBytes, oomKills: 0, limitHits: 0, swapBytes: 0 }
      : { path: '/system.slice/synthetic.service', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
  };
}

/** Snapshots of a synthetic host, one per interval, made on demand (a day of 50 VMs
 * never sits in memory). */
export function* syntheticSnapshots(options: SyntheticOptions): Generator<Snapshot> {
  const rand = mulberry32(options.seed ?? 1);
  const intervalMs = options.intervalMs ?? 1000;
  const startTimeMs = options.startTimeMs ?? 1_764_000_000_000;
  const activity = options.activity ?? 'mixed';
  const stallEventRate = options.stallEventRate ?? 1e-4;
  const procs = [
    ...Array.from({ length: options.vms }, (_, i) => makeProcess(i, true, rand, activity)),
    ...Array.from({ length: options.processes ?? 3 }, (_, i) => makeProcess(options.vms + i, false, rand, activity)),
  ];
  let memAvailable = 96 * GiB;
  for (let seq = 0; seq < options.snapshots; seq++) {
    const timeMs = startTimeMs + (seq + 1) * intervalMs;
    const totals: ProbeTotals = {
      byPid: new Map(), kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0,
      mmuNotifier: [], events: [], lostByGroup: new Map(), unknownLines: 0, badValues: 0,
    };
    const lifecycle: FaultlineEvent[] = [];
    const processes: TrackedProcess[] = procs.map((p) => {
      const counters = step(p, rand, intervalMs / 1000);
      totals.byPid.set(p.pid, counters);
      if (p.isVm && rand() < stallEventRate * (intervalMs / 1000)) {
        totals.events.push({ type: 'reclaim_stall', pid: p.pid, tid: p.pid + 1, comm: 'CPU 0/KVM', kind: 'direct', ns: 12_000_000 + Math.round(rand() * 1e8) });
      }
      return {
        id: `${p.pid}@${p.startTimeTicks}`,
        pid: p.pid,
        startTimeTicks: p.startTimeTicks,
        comm: p.isVm ? 'qemu-system-x86' : p.name.slice(0, 15),
        identity: p.isVm ? { name: p.name, uuid: p.uuid, memoryBytes: p.memoryBytes, source: 'libvirt', vmid: '' } : null,
        detail: detailOf(p, seq),
        minorFaults: counters.faultUser + counters.kvmFaults,
        majorFaults: Math.round(counters.faultFile / 10),
        guestFaultSource: p.isVm ? 'kvm' : 'none',
      };
    });
    if (seq === 0) {
      for (const p of procs.filter((q) => q.isVm)) {
        lifecycle.push(makeEvent('vm-start', timeMs, { pid: p.pid, vmId: `${p.pid}@${p.startTimeTicks}`, comm: 'qemu-system-x86', message: `VM ${p.name} (pid ${p.pid}) appeared` }));
      }
    }
    memAvailable = Math.max(4 * GiB, memAvailable - Math.round(rand() * 8 * MiB) + (rand() < 0.01 ? 512 * MiB : 0));
    totals.kswapdWakes = rand() < 0.05 ? 1 : 0;
    yield buildSnapshot({
      seq,
      timeMs,
      intervalMs,
      totals,
      processes,
      host: {
        meminfoBytes: {
          MemTotal: 128 * GiB, MemAvailable: memAvailable, MemFree: memAvailable - 8 * GiB, Cached: 6 * GiB,
          SwapTotal: 8 * GiB, SwapFree: 8 * GiB - 64 * MiB, SReclaimable: 512 * MiB, SUnreclaim: 256 * MiB,
        },
        vmstat: {},
        psiMemSomeAvg10: Math.round(rand() * 50) / 100,
        psiMemFullAvg10: 0,
      },
      vmstat: {
        pgfault: poisson(rand, 40_000), pgmajfault: poisson(rand, 10), pswpin: 0, pswpout: 0,
        pgscanDirect: 0, pgscanKswapd: poisson(rand, 100), pgstealDirect: 0, pgstealKswapd: poisson(rand, 90),
        compactStall: 0, oomKill: 0, thpFaultAlloc: poisson(rand, 5), zswpin: 0, zswpout: 0, zswpwb: 0,
      },
      probes: {
        attached: ['faults', 'kvm', 'reclaim', 'growth'],
        groups: ['faults', 'kvm', 'reclaim', 'growth'].map((group) => ({ group, attached: true, error: '', lostEvents: 0, badLines: 0, points: [], sharesProcessWith: [], ownProcessReason: '' })),
        bpftraceVersion: 'v0.17.0',
        badLines: 0,
      },
      lifecycleEvents: lifecycle,
      pidIndex: new Map(procs.map((p) => [p.pid, { id: `${p.pid}@${p.startTimeTicks}`, comm: p.isVm ? 'qemu-system-x86' : p.name }])),
      hotspotLimit: 8,
    });
  }
}
