// Whole synthetic Snapshots for the LeakTracker tests: every field the schema has,
// zero unless given. Made up by hand, hence "synthetic".
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { MiB, T0 } from './synthetic.js';

export function vmRow(fields: Partial<VmSnapshot> & { id: string; pid: number }): VmSnapshot {
  return {
    kind: 'process', name: `p${fields.pid}`, uuid: '', startTimeTicks: 1, source: 'process', vmid: '', comm: `p${fields.pid}`,
    memoryBytes: 0,
    rss: { totalBytes: 0, anonBytes: 0, fileBytes: 0, shmemBytes: 0, swapBytes: 0, guestRamBytes: 0, ownAnonBytes: 0, anonHugeBytes: 0, guestRamHugeBytes: 0 },
    faults: { minor: 0, major: 0, user: 0, kernel: 0, file: 0, guestRam: 0, guestRamSource: 'none', fileSource: 'probe' },
    kvm: { eptFaults: 0, asyncPf: 0, asyncPfNotPresent: 0, asyncPfReady: 0, mmuNotifier: 0, mmuNotifierBytes: 0, exits: [], map4k: 0, map2m: 0, map1g: 0 },
    reclaim: { stalls: 0, stallNs: 0, directStalls: 0, memcgStalls: 0, maxStallNs: 0, stallHistogram: [], pagesReclaimed: 0, compactionStalls: 0, compactionNs: 0 },
    growth: { mmapBytes: 0, munmapBytes: 0, brkBytes: 0, madviseFreeBytes: 0, balloonBytes: 0 },
    hotspots: [], ksmMergedPages: 0, numa: [], vcpuNodes: [],
    cgroup: { path: '', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
    guestRamStart: 0, guestRamEnd: 0,
    leak: { verdict: '', growthBytesPerSec: 0, windowMs: 0, fit: 0 },
    findings: [],
    exit: null,
    guestMemory: null,
    ...fields,
  };
}

export function snapshotAt(seq: number, tMs: number, intervalMs: number, vms: VmSnapshot[], host: Partial<Snapshot['host']> = {}, lostEvents = 0): Snapshot {
  return {
    seq, timeMs: T0 + tMs, intervalMs,
    host: {
      memTotalBytes: 64 * 1024 * MiB, memAvailableBytes: 40 * 1024 * MiB, memFreeBytes: 0, cachedBytes: 0,
      swapTotalBytes: 0, swapUsedBytes: 0, zswapBytes: 0, zswappedBytes: 0, hugetlbBytes: 0, hugetlbFreeBytes: 0, hugepageSizeBytes: 2097152, slabReclaimableBytes: 0, slabUnreclaimableBytes: 100 * MiB,
      anonHugePagesBytes: 0, psiMemSomeAvg10: 0, psiMemFullAvg10: 0,
      vmstat: { pgfault: 0, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
      kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0, compactionStalls: 0, compactionNs: 0,
      mmuNotifierUnattributed: 0, mmuNotifierAmbiguous: 0,
      ksmState: '', ksmPagesSharing: 0, ksmPagesShared: 0, ksmdCpuMs: 0, thpEnabled: '', thpDefrag: '', limitedCgroups: [], numaNodes: [], findings: [],
      ...host,
    },
    probes: { attached: ['faults', 'kvm', 'reclaim', 'growth'], groups: [], lostEvents, badLines: 0, guestFaultSource: 'none', bpftraceVersion: 'v0.17.0', costs: [] },
    vms,
    events: [],
    diagnosis: null,
  };
}
