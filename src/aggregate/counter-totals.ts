// Counters added up over snapshots. A snapshot's counts are per interval
// (model/snapshot.ts); the report (totals over a recording) and /metrics (Prometheus
// counters since faultline started) both sum them, with these two functions, so the
// two cannot disagree about what a total holds. Pure: each returns a new total.
import type { FaultCounts, HostStats, VmSnapshot } from '../model/snapshot.js';

/** A VM's (or host process's) faults: the row's FaultCounts plus KVM EPT faults. */
export interface FaultTotals extends Omit<FaultCounts, 'guestRamSource' | 'fileSource'> {
  eptFaults: number;
}

/** Host-wide counters: /proc/vmstat deltas and what the reclaim probe saw. */
export interface HostCounterTotals {
  pageFaults: number;
  majorPageFaults: number;
  swapInPages: number;
  swapOutPages: number;
  zswapInPages: number;
  zswapOutPages: number;
  zswapWrittenBackPages: number;
  oomKills: number;
  compactionStalls: number;
  kswapdWakes: number;
  kswapdRunNs: number;
}

export const NO_FAULTS: Readonly<FaultTotals> = Object.freeze({ minor: 0, major: 0, user: 0, kernel: 0, file: 0, guestRam: 0, eptFaults: 0 });

export const NO_HOST_COUNTS: Readonly<HostCounterTotals> = Object.freeze({
  pageFaults: 0, majorPageFaults: 0, swapInPages: 0, swapOutPages: 0, zswapInPages: 0, zswapOutPages: 0, zswapWrittenBackPages: 0, oomKills: 0, compactionStalls: 0, kswapdWakes: 0, kswapdRunNs: 0,
});

/** `total` plus one snapshot row's faults. */
export function addFaults(total: Readonly<FaultTotals>, row: VmSnapshot): FaultTotals {
  const f = row.faults;
  return {
    minor: total.minor + f.minor,
    major: total.major + f.major,
    user: total.user + f.user,
    kernel: total.kernel + f.kernel,
    file: total.file + f.file,
    guestRam: total.guestRam + f.guestRam,
    eptFaults: total.eptFaults + row.kvm.eptFaults,
  };
}

/** `total` plus one snapshot's host counters. */
export function addHostCounts(total: Readonly<HostCounterTotals>, host: HostStats): HostCounterTotals {
  const v = host.vmstat;
  return {
    pageFaults: total.pageFaults + v.pgfault,
    majorPageFaults: total.majorPageFaults + v.pgmajfault,
    swapInPages: total.swapInPages + v.pswpin,
    swapOutPages: total.swapOutPages + v.pswpout,
    // recordings made before these counters decode them as 0
    zswapInPages: total.zswapInPages + (v.zswpin ?? 0),
    zswapOutPages: total.zswapOutPages + (v.zswpout ?? 0),
    zswapWrittenBackPages: total.zswapWrittenBackPages + (v.zswpwb ?? 0),
    oomKills: total.oomKills + v.oomKill,
    compactionStalls: total.compactionStalls + v.compactStall,
    kswapdWakes: total.kswapdWakes + host.kswapdWakes,
    kswapdRunNs: total.kswapdRunNs + host.kswapdRunNs,
  };
}
