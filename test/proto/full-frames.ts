// One Frame of each kind with every field of faultline.proto set to a value that is
// not its default (MADE UP, typed by src/model/snapshot.ts), so a byte comparison of
// two encoders covers every field. test/proto/codec.test.ts checks that none is left
// at its default, so a field added to the schema must be added here too.
import type { FaultlineEvent, Frame, History, Meta, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

const GiB = 2 ** 30;

export const FULL_META: Meta = {
  formatVersion: 2, hostname: 'kvm-host-7', kernel: '6.1.0-27-amd64', bpftraceVersion: '0.17.0',
  probeGroups: ['faults', 'kvm'], intervalMs: 1000, startTimeMs: 1764140000123.5, faultlineVersion: '0.9.1',
  mode: 'live', endTimeMs: 1764140900123, historyMs: 900_000, deepLeaks: true,
};

export const FULL_EVENT: FaultlineEvent = {
  type: 'oom-kill', timeMs: 1764140000456.25, pid: 4242, vmId: '4242@77', comm: 'qemu-system-x86',
  message: 'OOM killer chose VM web01 (3.9 GiB anon) – ünïcode', anonRssBytes: 3.9 * GiB, fileRssBytes: 12_345_678,
  shmemRssBytes: 4096, durationNs: 2 ** 40 + 3, count: 7, group: 'reclaim',
};

function fullVm(i: number): VmSnapshot {
  return {
    id: `${4242 + i}@77`, kind: i === 0 ? 'vm' : 'process', name: `web0${i}`, uuid: '6f1c1a9e-3b2d-4c55-9e0a-0123456789ab',
    pid: 4242 + i, startTimeTicks: 2 ** 33 + 77, source: 'libvirt', vmid: '101', comm: 'qemu-system-x86',
    memoryBytes: 4 * GiB,
    rss: { totalBytes: 2.5 * GiB, anonBytes: 2.25 * GiB, fileBytes: 50 * 2 ** 20, shmemBytes: 8192, swapBytes: 1 * GiB, guestRamBytes: 2 * GiB, ownAnonBytes: 0.25 * GiB, anonHugeBytes: 1 * GiB, guestRamHugeBytes: 0.75 * GiB },
    faults: { minor: 5000, major: 3, user: 4800, kernel: 160, file: 32, guestRam: 4000, guestRamSource: 'kvm', fileSource: 'probe' },
    kvm: {
      eptFaults: 4000, asyncPf: 5, asyncPfNotPresent: 5, asyncPfReady: 4, mmuNotifier: 30, mmuNotifierBytes: 30 * 4096,
      exits: [{ reason: 48, name: 'EPT_VIOLATION', count: 9000 }, { reason: 1, name: 'EXTERNAL_INTERRUPT', count: 12 }], map4k: 3900, map2m: 100, map1g: 1,
    },
    reclaim: {
      stalls: 3, stallNs: 3_400_000, directStalls: 2, memcgStalls: 1, maxStallNs: 2_000_000,
      stallHistogram: [{ lowNs: 2 ** 20, count: 2 }, { lowNs: 2 ** 21, count: 1 }], pagesReclaimed: 4000, compactionStalls: 1, compactionNs: 50_000,
    },
    growth: { mmapBytes: 2 ** 21, munmapBytes: 4096, brkBytes: -8192, madviseFreeBytes: 2 ** 22, balloonBytes: 2 ** 21 },
    hotspots: [
      { region: 'guest-ram', mapping: '', startAddress: 0x7f12_3460_0000, guestPhysAddress: 0x1_0020_0000, bytes: 2 ** 21, faults: 1600, source: 'kvm' },
      { region: 'file', mapping: '/usr/lib/x86_64-linux-gnu/libc.so.6', startAddress: 0x7f99_0000_0000, guestPhysAddress: -1, bytes: 2 ** 21, faults: 16, source: 'user-faults' },
    ],
    ksmMergedPages: 1234,
    numa: [{ node: 0, bytes: 1 * GiB }, { node: 1, bytes: 1.5 * GiB }],
    vcpuNodes: [{ node: 0, threads: 3 }, { node: 1, threads: 1 }],
    cgroup: { path: '/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope', limitBytes: 5 * GiB, usageBytes: 2.6 * GiB, oomKills: 1, limitHits: 2, swapBytes: 0.5 * GiB },
    guestRamStart: 0x7f12_0000_0000, guestRamEnd: 0x7f13_0000_0000,
    leak: { verdict: 'suspect', growthBytesPerSec: 1234.5, windowMs: 600_000, fit: 0.87 },
    findings: [{
      detector: 'qemu-own', verdict: 'suspect', message: 'QEMU heap grows 1.2 KiB/s', growthBytesPerSec: 1234.5, windowMs: 600_000,
      fit: 0.87, sinceMs: 1764139000000, timeToLimitMs: 3.6e6, limitBytes: 5 * GiB, limitName: 'memory.max',
      quantities: [{ name: 'balloonedBytes', value: 2 ** 28 }],
    }],
    exit: { atMs: 1764140000000.5, cause: 'oom-kill', code: 3, signal: 9, faultsAtExit: true },
    guestMemory: {
      balloonCurrentBytes: 3 * GiB, balloonMaximumBytes: 4 * GiB, memTotalBytes: 3.8 * GiB, memFreeBytes: 0.5 * GiB, memAvailableBytes: 1.25 * GiB,
      diskCachesBytes: 0.5 * GiB + 4096, swapInBytes: 2 ** 35, swapOutBytes: 3 * 2 ** 33, majorFaults: 2 ** 33 + 5, minorFaults: 123_456_789,
      swapInPagesPerSec: 12.5, swapOutPagesPerSec: 0.25, guestUpdatedMs: 1764140000000, readAtMs: 1764140000100.5,
    },
  };
}

export const FULL_SNAPSHOT: Snapshot = {
  seq: 2 ** 40 + 1, timeMs: 1764140000123.5, intervalMs: 1000,
  host: {
    memTotalBytes: 256 * GiB, memAvailableBytes: 64 * GiB, memFreeBytes: 8 * GiB, cachedBytes: 30 * GiB, swapTotalBytes: 8 * GiB,
    swapUsedBytes: 1 * GiB, zswapBytes: 2 ** 28, zswappedBytes: 2 ** 30, hugetlbBytes: 4 * GiB, hugetlbFreeBytes: GiB, hugepageSizeBytes: 2 ** 21, slabReclaimableBytes: 2 ** 29, slabUnreclaimableBytes: 2 ** 27, anonHugePagesBytes: 40 * GiB,
    psiMemSomeAvg10: 0.25, psiMemFullAvg10: 0.01,
    vmstat: { pgfault: 1e6, pgmajfault: 10, pswpin: 3, pswpout: 4, pgscanDirect: 5, pgscanKswapd: 6, pgstealDirect: 7, pgstealKswapd: 8, compactStall: 9, oomKill: 1, thpFaultAlloc: 11, zswpin: 12, zswpout: 13, zswpwb: 14 },
    kswapdWakes: 4, kswapdRunNs: 12_000_000, lruPagesReclaimed: 90_000, compactionStalls: 2, compactionNs: 80_000,
    mmuNotifierUnattributed: 5, mmuNotifierAmbiguous: 1,
    ksmState: 'on', ksmPagesSharing: 4096, ksmPagesShared: 512, ksmdCpuMs: 12.5, thpEnabled: 'madvise', thpDefrag: 'defer+madvise',
    limitedCgroups: [{ path: '/system.slice/build.service', limitBytes: 2 ** 30, usageBytes: 1e9, oomKills: 1, limitHits: 7, swapBytes: 2 ** 26 }],
    findings: [{
      detector: 'kernel-memory', verdict: 'leak', message: 'unreclaimable kernel slab (SUnreclaim) grew 2 MiB/s', growthBytesPerSec: 2 * 2 ** 20, windowMs: 600_000,
      fit: 0.97, sinceMs: 1764139500000, timeToLimitMs: 7.2e6, limitBytes: 64 * GiB, limitName: 'host MemAvailable',
      quantities: [{ name: 'cache:vm_area_struct', value: 2 ** 25 }, { name: 'cachesOverMs', value: 10_000.5 }],
    }],
    numaNodes: [
      { node: 0, totalBytes: 16 * GiB, freeBytes: 2 * GiB, availableBytes: 5 * GiB, cpus: 8 },
      { node: 1, totalBytes: 16 * GiB, freeBytes: 12 * GiB, availableBytes: 13 * GiB, cpus: 0 },
    ],
  },
  probes: {
    attached: ['faults', 'kvm'],
    groups: [{ group: 'faults', attached: true, error: 'stderr: warning', lostEvents: 3, badLines: 1, points: [{ point: 'filemap:mm_filemap_fault', state: 'missing', reason: 'not on this kernel', needs: 'Linux >= 6.11', fallback: 'major faults' }], sharesProcessWith: ['kvm'], ownProcessReason: 'one bpftrace for faults, kvm did not start' }],
    lostEvents: 3, badLines: 1, guestFaultSource: 'kvm', bpftraceVersion: '0.17.0',
    costs: [{ group: 'faults', program: 'tracepoint:exceptions:page_fault_user', nsPerEvent: 210.5, eventsPerSec: 48_000 }],
  },
  vms: [fullVm(0), fullVm(1)],
  events: [FULL_EVENT],
  diagnosis: {
    status: 'warning',
    headline: 'warning: web-0 (VM)\'s memory cgroup is at 93.1% of its limit (above 90%)',
    causes: [{
      cause: 'cgroup-near-limit', severity: 'warning', subject: 'web-0', subjectId: '4242@77', pid: 4242,
      title: 'web-0 (VM)\'s memory cgroup is at 93.1% of its limit (above 90%)',
      evidence: ['cgroup /machine.slice/x.scope: usage 953 MiB of limit 1 GiB', 'limit hit 3 times'],
      remedy: 'raise /machine.slice/x.scope\'s limit', score: 1.034,
    }],
    window: { fromMs: 1764140000000.5, toMs: 1764140010000.5, snapshots: 10 },
  },
};

export const FULL_HISTORY: History = {
  timeMs: [1764140000000, 1764140001000.5],
  host: { memAvailableBytes: [64 * GiB, 63 * GiB], swapUsedBytes: [0, 4096], psiMemSomeAvg10: [0.25, Number.NaN], lostEvents: [0, 3], oomKills: [0, 1] },
  vms: [{
    id: '4242@77', name: 'web01', kind: 'vm', rssBytes: [Number.NaN, 2.5 * GiB], guestRamBytes: [Number.NaN, 2 * GiB],
    ownAnonBytes: [Number.NaN, 0.25 * GiB], fileBytes: [Number.NaN, 5e7], swapBytes: [Number.NaN, 0], faultsPerSec: [Number.NaN, 5003.5],
    guestRamFaultsPerSec: [Number.NaN, 4000], eptFaultsPerSec: [Number.NaN, 4000], stallMs: [Number.NaN, 3.4],
  }],
};

export const FULL_FRAMES: Array<[string, Frame]> = [
  ['meta', { meta: FULL_META }],
  ['snapshot', { snapshot: FULL_SNAPSHOT }],
  ['event', { event: FULL_EVENT }],
  ['history', { history: FULL_HISTORY }],
];
