// Columnar chart history: the last N snapshots as one aligned time axis and, per VM,
// one array per series (NaN where the VM was absent). The server keeps it so a
// client that connects mid-session gets filled charts, and replay builds it from a
// whole recording. Pure.
import type { History, Snapshot, VmSeries, VmSnapshot } from '../model/snapshot.js';

type VmValues = Omit<VmSeries, 'id' | 'name' | 'kind'>;
const VM_FIELDS: Array<keyof VmValues> = [
  'rssBytes', 'guestRamBytes', 'ownAnonBytes', 'fileBytes', 'swapBytes',
  'faultsPerSec', 'guestRamFaultsPerSec', 'eptFaultsPerSec', 'stallMs',
];

export function vmPoint(v: VmSnapshot, intervalMs: number): Record<keyof VmValues, number> {
  const perSec = (n: number): number => (n * 1000) / intervalMs;
  return {
    rssBytes: v.rss.totalBytes,
    guestRamBytes: v.rss.guestRamBytes,
    ownAnonBytes: v.rss.ownAnonBytes,
    fileBytes: v.rss.fileBytes,
    swapBytes: v.rss.swapBytes,
    faultsPerSec: perSec(v.faults.minor + v.faults.major),
    guestRamFaultsPerSec: perSec(v.faults.guestRam),
    eptFaultsPerSec: perSec(v.kvm.eptFaults),
    stallMs: v.reclaim.stallNs / 1e6,
  };
}

function emptyVmSeries(v: VmSnapshot): VmSeries {
  const series = { id: v.id, name: v.name, kind: v.kind } as VmSeries;
  for (const f of VM_FIELDS) series[f] = [];
  return series;
}

/** A VM's columns from absolute point `start` to its last point, NaN where it was absent
 * in between: a process seen once is not padded with NaN every interval after (with
 * short-lived processes taking turns as the busiest, thousands of ids were: one new row
 * an interval cost 11.9 ms a snapshot, `npm run bench -- history-cost`). */
interface StoredSeries {
  series: VmSeries;
  start: number;
}

/** Drops the first `count` points (one, every push once full: a shift, which V8 does by
 * moving the array's start instead of copying the rest). */
function dropFront(column: number[], count: number): void {
  if (count === 1) column.shift();
  else column.splice(0, count);
}

const nanColumn = (n: number): number[] => new Array<number>(Math.max(0, n)).fill(Number.NaN);

export class HistoryBuffer {
  private timeMs: number[] = [];
  private host = { memAvailableBytes: [] as number[], swapUsedBytes: [] as number[], psiMemSomeAvg10: [] as number[], lostEvents: [] as number[], oomKills: [] as number[] };
  /** The absolute index (snapshots pushed before it) of timeMs[0]. */
  private first = 0;
  private vms = new Map<string, StoredSeries>();
  /** Points dropped from the window that a VM's columns may still hold: they are cut
   * in one splice when this many have gathered, not one shift per series per push. */
  private readonly trimSlack: number;

  /** maxPoints: how many snapshots to keep (10 minutes at 1 s = 600). */
  constructor(private readonly maxPoints: number) {
    this.trimSlack = Math.max(1, Math.min(64, Math.floor(maxPoints / 4)));
  }

  get length(): number {
    return this.timeMs.length;
  }

  push(s: Snapshot): void {
    const index = this.first + this.timeMs.length;
    this.timeMs.push(s.timeMs);
    this.host.memAvailableBytes.push(s.host.memAvailableBytes);
    this.host.swapUsedBytes.push(s.host.swapUsedBytes);
    this.host.psiMemSomeAvg10.push(s.host.psiMemSomeAvg10);
    this.host.lostEvents.push(s.probes.lostEvents);
    this.host.oomKills.push(s.events.filter((e) => e.type === 'oom-kill').length);
    for (const v of s.vms) {
      let stored = this.vms.get(v.id);
      if (!stored) this.vms.set(v.id, (stored = { series: emptyVmSeries(v), start: index }));
      const { series } = stored;
      series.name = v.name;
      const point = vmPoint(v, s.intervalMs);
      const absent = index - (stored.start + series.rssBytes.length);
      for (const f of VM_FIELDS) {
        const column = series[f];
        for (let k = 0; k < absent; k++) column.push(Number.NaN);
        column.push(point[f]);
      }
    }
    if (this.timeMs.length > this.maxPoints) this.dropOldest(this.timeMs.length - this.maxPoints);
  }

  private dropOldest(count: number): void {
    dropFront(this.timeMs, count);
    for (const column of Object.values(this.host)) dropFront(column, count);
    this.first += count;
    for (const [id, stored] of this.vms) {
      // a VM with no point left in the window is forgotten
      if (stored.start + stored.series.rssBytes.length <= this.first) {
        this.vms.delete(id);
        continue;
      }
      const stale = this.first - stored.start;
      if (stale >= this.trimSlack) {
        for (const f of VM_FIELDS) stored.series[f].splice(0, stale);
        stored.start = this.first;
      }
    }
  }

  toHistory(): History {
    const length = this.timeMs.length;
    return {
      timeMs: [...this.timeMs],
      host: {
        memAvailableBytes: [...this.host.memAvailableBytes],
        swapUsedBytes: [...this.host.swapUsedBytes],
        psiMemSomeAvg10: [...this.host.psiMemSomeAvg10],
        lostEvents: [...this.host.lostEvents],
        oomKills: [...this.host.oomKills],
      },
      vms: [...this.vms.values()].map(({ series, start }) => {
        const copy = { ...series };
        // aligned with timeMs: NaN before its first point in the window and after its last
        const skip = Math.max(0, this.first - start);
        const before = Math.max(0, start - this.first);
        for (const f of VM_FIELDS) {
          const kept = series[f].slice(skip);
          copy[f] = [...nanColumn(before), ...kept, ...nanColumn(length - before - kept.length)];
        }
        return copy;
      }),
    };
  }
}
