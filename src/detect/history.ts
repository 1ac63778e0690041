// What the detectors read: per VM/process, a short history of the few numbers they
// need from each Snapshot row; per host, the same for host memory. Types and the
// pure conversions from a Snapshot. The runner (run-detectors.ts) keeps them.
import type { Snapshot, VmSnapshot } from '../model/snapshot.js';
import type { Point } from './robust-trend.js';

export interface VmHistoryPoint {
  timeMs: number;
  /** Time this point covers (several snapshots when the runner merged them). */
  intervalMs: number;
  anonBytes: number;
  swapBytes: number;
  fileBytes: number;
  guestRamBytes: number;
  ownAnonBytes: number;
  /** Configured guest memory, 0 for processes. */
  memoryBytes: number;
  /** The guest-RAM mapping was found (guestRamEnd > guestRamStart). */
  guestRamKnown: boolean;
  /** Sums over the covered time, from the growth probe. */
  mmapBytes: number;
  munmapBytes: number;
  brkBytes: number;
  balloonBytes: number;
  /** Events the kernel dropped (all probe groups) over the covered time. */
  lostEvents: number;
  /** The growth probe group was attached for the whole covered time. */
  growthProbe: boolean;
}

export interface HostHistoryPoint {
  timeMs: number;
  intervalMs: number;
  memTotalBytes: number;
  memAvailableBytes: number;
  slabUnreclaimableBytes: number;
  psiMemSomeAvg10: number;
}

/** What a detector knows besides the series: the latest host and cgroup state. */
export interface DetectContext {
  hostMemAvailableBytes: number;
  hostMemTotalBytes: number;
  /** PSI memory "some" avg10 in percent, -1 when unknown. */
  psiMemSomeAvg10: number;
  /** The process's memory cgroup limit, 0 when none. */
  cgroupLimitBytes: number;
  cgroupUsageBytes: number;
  /** Configured guest memory, 0 for processes. */
  vmMemoryBytes: number;
  /** Events the probes dropped within the detector's window. */
  lostEventsInWindow: number;
}

export function vmPoint(row: VmSnapshot, snapshot: Snapshot): VmHistoryPoint {
  return {
    timeMs: snapshot.timeMs,
    intervalMs: snapshot.intervalMs,
    anonBytes: row.rss.anonBytes,
    swapBytes: row.rss.swapBytes,
    fileBytes: row.rss.fileBytes,
    guestRamBytes: row.rss.guestRamBytes,
    ownAnonBytes: row.rss.ownAnonBytes,
    memoryBytes: row.memoryBytes,
    guestRamKnown: row.guestRamEnd > row.guestRamStart,
    mmapBytes: row.growth.mmapBytes,
    munmapBytes: row.growth.munmapBytes,
    brkBytes: row.growth.brkBytes,
    balloonBytes: row.growth.balloonBytes,
    lostEvents: snapshot.probes.lostEvents,
    growthProbe: snapshot.probes.attached.includes('growth'),
  };
}

export function hostPoint(snapshot: Snapshot): HostHistoryPoint {
  return {
    timeMs: snapshot.timeMs,
    intervalMs: snapshot.intervalMs,
    memTotalBytes: snapshot.host.memTotalBytes,
    memAvailableBytes: snapshot.host.memAvailableBytes,
    slabUnreclaimableBytes: snapshot.host.slabUnreclaimableBytes,
    psiMemSomeAvg10: snapshot.host.psiMemSomeAvg10,
  };
}

export function contextOf(row: VmSnapshot, snapshot: Snapshot, lostEventsInWindow: number): DetectContext {
  return {
    hostMemAvailableBytes: snapshot.host.memAvailableBytes,
    hostMemTotalBytes: snapshot.host.memTotalBytes,
    psiMemSomeAvg10: snapshot.host.psiMemSomeAvg10,
    cgroupLimitBytes: row.cgroup.limitBytes,
    cgroupUsageBytes: row.cgroup.usageBytes,
    vmMemoryBytes: row.memoryBytes,
    lostEventsInWindow,
  };
}

/** One series as detector points. Pass a module function as `value`, not an arrow
 * written at the call: the detectors run every few intervals, and V8 compiles such an
 * arrow again after every full GC (see src/collect/collector.ts). */
export function seriesOf<T extends { timeMs: number }>(history: readonly T[], value: (p: T) => number): Point[] {
  const out: Point[] = new Array(history.length);
  for (let i = 0; i < history.length; i++) out[i] = { tMs: history[i]!.timeMs, value: value(history[i]!) };
  return out;
}

/** Running sum of a per-interval quantity: the net bytes mapped since the first point. */
export function cumulativeOf<T extends { timeMs: number }>(history: readonly T[], delta: (p: T) => number): Point[] {
  let sum = 0;
  const out: Point[] = new Array(history.length);
  for (let i = 0; i < history.length; i++) out[i] = { tMs: history[i]!.timeMs, value: (sum += delta(history[i]!)) };
  return out;
}

export function lostEventsSince(history: readonly VmHistoryPoint[], fromMs: number): number {
  // from the newest back to fromMs: a history is in time order, and a full one holds
  // three windows (this ran over all 361 points of every row at every judgment)
  let lost = 0;
  for (let i = history.length - 1; i >= 0 && history[i]!.timeMs >= fromMs; i--) lost += history[i]!.lostEvents;
  return lost;
}

/** Whether a point of the history at or after fromMs had no growth probe attached. */
export function growthProbeMissingSince(history: readonly VmHistoryPoint[], fromMs: number): boolean {
  for (const p of history) if (p.timeMs >= fromMs && !p.growthProbe) return true;
  return false;
}
