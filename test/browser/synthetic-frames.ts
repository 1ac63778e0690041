// Synthetic frames for the UI tests that run without a kernel: a host with N VMs and a
// few host processes, made up (deterministically, from a seed) in the shapes of
// src/model/snapshot.ts. Not a capture: the real-guest tests are in live-ui.test.ts.
import type { FaultlineEvent, Hotspot, Meta, PointStatus, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/thresholds.js';
import { mulberry32 } from '../harness/seeded-random.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
export const XSS_NAME = '<img src=x onerror=alert(1)>';
export const XSS_PATH = '/var/lib/images/<script>alert(2)</script>.qcow2';
export const XSS_COMM = '<b>bold</b>';


export function syntheticMeta(mode: 'live' | 'replay', startTimeMs: number, endTimeMs = 0, intervalMs = 1000): Meta {
  return {
    formatVersion: 1, hostname: 'synthetic-host', kernel: '6.1.0-synthetic', bpftraceVersion: '0.17.0',
    probeGroups: ['faults', 'kvm', 'reclaim', 'growth'], intervalMs, startTimeMs, faultlineVersion: '0.1.0',
    mode, endTimeMs, historyMs: 0, deepLeaks: false,
  };
}

export interface SyntheticHost {
  vmCount: number;
  processCount: number;
  seed: number;
}

function vmRow(host: SyntheticHost, i: number, seq: number, rand: () => number): VmSnapshot {
  const isVm = i < host.vmCount;
  const memoryBytes = isVm ? (2 + (i % 4) * 2) * GiB : 0;
  const guestRamBytes = isVm ? Math.min(memoryBytes, (200 + i * 3) * MiB + seq * 4 * MiB) : 0;
  const ownAnonBytes = (60 + (i % 7) * 10) * MiB + seq * 64 * 1024;
  const fileBytes = (20 + (i % 5)) * MiB;
  const name = isVm ? (i === 3 ? XSS_NAME : `vm-${String(i).padStart(3, '0')}`) : i === host.vmCount ? XSS_COMM : `proc-${i}`;
  const guestRamStart = 0x7f00_0000_0000 + i * 0x10_0000_0000;
  const hotspots: Hotspot[] = isVm
    ? [0, 1, 2].map((k) => ({
        region: 'guest-ram', mapping: '', startAddress: guestRamStart + (seq * 3 + k) * 2 * MiB,
        guestPhysAddress: ((seq * 3 + k) * 2 * MiB) % memoryBytes, bytes: 2 * MiB, faults: Math.round(200 + rand() * 800), source: 'kvm',
      }))
    : [];
  if (isVm && i % 2 === 1) {
    hotspots.push({ region: 'file', mapping: XSS_PATH, startAddress: 0x5555_0000_0000, guestPhysAddress: -1, bytes: 2 * MiB, faults: 40, source: 'user-faults' });
  }
  const faultsMinor = Math.round(1000 + rand() * 5000);
  return {
    id: `${1000 + i}@${50_000 + i}`, kind: isVm ? 'vm' : 'process', name, uuid: isVm ? `6f1c1a9e-3b2d-4c55-9e0a-${String(i).padStart(12, '0')}` : '',
    pid: 1000 + i, startTimeTicks: 50_000 + i, source: isVm ? 'libvirt' : 'process', vmid: '', comm: isVm ? 'qemu-system-x86' : name,
    memoryBytes,
    rss: { totalBytes: guestRamBytes + ownAnonBytes + fileBytes, anonBytes: guestRamBytes + ownAnonBytes, fileBytes, shmemBytes: 0, swapBytes: i % 10 === 0 ? 16 * MiB : 0, guestRamBytes, ownAnonBytes, anonHugeBytes: 0, guestRamHugeBytes: 0 },
    faults: { minor: faultsMinor, major: Math.round(rand() * 3), user: faultsMinor, kernel: 10, file: 5, guestRam: isVm ? Math.round(faultsMinor * 0.8) : 0, guestRamSource: isVm ? 'kvm' : 'none', fileSource: 'proc-majflt' },
    kvm: { eptFaults: isVm ? Math.round(faultsMinor * 0.8) : 0, asyncPf: 0, asyncPfNotPresent: 0, asyncPfReady: 0, mmuNotifier: 0, mmuNotifierBytes: 0, exits: isVm ? [{ reason: 1024, name: 'npf', count: 40 + i }, { reason: 123, name: 'io', count: 12 }] : [], map4k: isVm ? 300 : 0, map2m: isVm ? 100 : 0, map1g: 0 },
    reclaim: { stalls: i === 5 ? 2 : 0, stallNs: i === 5 ? 12_000_000 : 0, directStalls: 0, memcgStalls: 0, maxStallNs: 0, stallHistogram: [], pagesReclaimed: 0, compactionStalls: 0, compactionNs: 0 },
    growth: { mmapBytes: 0, munmapBytes: 0, brkBytes: 0, madviseFreeBytes: 0, balloonBytes: 0 },
    hotspots, ksmMergedPages: 0, numa: [], vcpuNodes: [],
    // the VM with the hostile name sits at 95% of its cgroup's limit: a diagnosis cause about it
    cgroup: { path: isVm ? `/machine.slice/machine-qemu\\x2d${i}\\x2dvm.scope` : '', limitBytes: i === 3 ? 2 * GiB : 0, usageBytes: i === 3 ? 1.9 * GiB : 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
    guestRamStart: isVm ? guestRamStart : 0, guestRamEnd: isVm ? guestRamStart + memoryBytes : 0,
    leak: { verdict: i === 7 ? 'suspect' : '', growthBytesPerSec: 0, windowMs: 0, fit: 0 },
    findings: i === 7 ? [{ detector: 'rss-growth', verdict: 'suspect', message: 'RSS grows 64 KiB/s', growthBytesPerSec: 65536, windowMs: 60_000, fit: 0.9, sinceMs: 0, timeToLimitMs: -1, limitBytes: 0, limitName: '' }] : [],
    // the last process row is the interval's OOM victim, in its last row
    exit: i === host.vmCount + host.processCount - 1 && !isVm ? { atMs: 0, cause: 'oom-kill', code: 0, signal: 9, faultsAtExit: true } : null,
    // the guest's own view (libvirt's virsh domstats) for the VM with the hostile name
    guestMemory: isVm && i === 3 ? {
      balloonCurrentBytes: 3 * GiB, balloonMaximumBytes: 4 * GiB, memTotalBytes: 2.9 * GiB, memFreeBytes: 0.5 * GiB, memAvailableBytes: 1.2 * GiB,
      diskCachesBytes: 0.6 * GiB, swapInBytes: 0, swapOutBytes: 4 * MiB, majorFaults: 12, minorFaults: 34_567, swapInPagesPerSec: 0, swapOutPagesPerSec: 2,
      guestUpdatedMs: 1_764_140_000_000 + seq * 1000, readAtMs: 1_764_140_000_500 + seq * 1000,
    } : null,
  };
}

function event(type: FaultlineEvent['type'], timeMs: number, vm: VmSnapshot | null, message: string): FaultlineEvent {
  return { type, timeMs, pid: vm?.pid ?? 0, vmId: vm?.id ?? '', comm: vm?.comm ?? '', message, anonRssBytes: 0, fileRssBytes: 0, shmemRssBytes: 0, durationNs: 0, count: 0, group: '' };
}

export function syntheticSnapshot(host: SyntheticHost, seq: number, timeMs: number, intervalMs = 1000): Snapshot {
  const rand = mulberry32(host.seed * 1_000_003 + seq);
  const vms = Array.from({ length: host.vmCount + host.processCount }, (_, i) => vmRow(host, i, seq, rand));
  const events: FaultlineEvent[] = [];
  if (seq === 1) events.push(event('vm-start', timeMs, vms[3]!, `VM ${XSS_NAME} appeared`));
  if (seq % 7 === 0) events.push(event('reclaim-stall', timeMs, vms[5]!, 'direct reclaim stalled 12 ms'));
  if (seq % 11 === 0) events.push(event('oom-kill', timeMs, vms[host.vmCount] ?? null, `OOM killed pid ${vms[host.vmCount]?.pid} (${XSS_COMM})`));
  const snapshot: Snapshot = {
    seq, timeMs, intervalMs,
    host: {
      memTotalBytes: 256 * GiB, memAvailableBytes: (40 - (seq % 10)) * GiB, memFreeBytes: 10 * GiB, cachedBytes: 30 * GiB,
      swapTotalBytes: 8 * GiB, swapUsedBytes: 1 * GiB, zswapBytes: 0, zswappedBytes: 0, hugetlbBytes: 0, hugetlbFreeBytes: 0, hugepageSizeBytes: 2097152, slabReclaimableBytes: GiB, slabUnreclaimableBytes: GiB / 2, anonHugePagesBytes: 0,
      psiMemSomeAvg10: 2.5, psiMemFullAvg10: 0.4,
      vmstat: { pgfault: 200_000, pgmajfault: 3, pswpin: 0, pswpout: 12, pgscanDirect: 0, pgscanKswapd: 4000, pgstealDirect: 0, pgstealKswapd: 3500, compactStall: 0, oomKill: seq % 11 === 0 ? 1 : 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
      kswapdWakes: 2, kswapdRunNs: 5_000_000, lruPagesReclaimed: 3500, compactionStalls: 0, compactionNs: 0, mmuNotifierUnattributed: 0, mmuNotifierAmbiguous: 0,
      ksmState: '', ksmPagesSharing: 0, ksmPagesShared: 0, ksmdCpuMs: 0, thpEnabled: '', thpDefrag: '', limitedCgroups: [], numaNodes: [], findings: [],
    },
    probes: {
      attached: ['faults', 'kvm', 'reclaim', 'growth'],
      // as on a 6.1 kernel (Debian 12): the faults group runs without its file-fault point
      groups: ['faults', 'kvm', 'reclaim', 'growth'].map((group, _, all) => ({
        group, attached: true, error: '', lostEvents: 0, badLines: 0, points: group === 'faults' ? FAULTS_POINTS_6_1 : [],
        sharesProcessWith: all.filter((g) => g !== group), ownProcessReason: '',
      })),
      lostEvents: 0, badLines: 0, guestFaultSource: 'kvm', bpftraceVersion: '0.17.0',
      costs: [{ group: 'faults', program: 'page_fault_user', nsPerEvent: 410, eventsPerSec: 52_000 }],
    },
    vms,
    events,
    diagnosis: null,
  };
  // the real engine over this one snapshot
  snapshot.diagnosis = diagnose([snapshot], DEFAULT_THRESHOLDS);
  return snapshot;
}

/** The faults group's points as a 6.1 kernel reports them (the lab's real 6.1 run). */
const FAULTS_POINTS_6_1: PointStatus[] = [
  { point: 'exceptions:page_fault_user', state: 'attached', reason: '', needs: '', fallback: '' },
  { point: 'exceptions:page_fault_kernel', state: 'attached', reason: '', needs: '', fallback: '' },
  { point: 'filemap:mm_filemap_fault', state: 'missing', reason: 'not on this kernel', needs: 'Linux >= 6.11', fallback: 'file faults are the major faults of /proc/PID/stat (exact, majflt)' },
];

/** Snapshots seq 1..count, one per interval, the last at endMs. */
export function syntheticSnapshots(host: SyntheticHost, count: number, endMs: number, intervalMs = 1000): Snapshot[] {
  return Array.from({ length: count }, (_, k) => syntheticSnapshot(host, k + 1, endMs - (count - 1 - k) * intervalMs, intervalMs));
}
