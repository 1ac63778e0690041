// Chart data, columnar as uPlot takes it. It starts as the server's History (every
// array aligned with timeMs, NaN where a VM was absent: null here, which uPlot draws
// as a gap); in live mode each new Snapshot appends one point per column and the
// oldest points fall off beyond the capacity. No aggregation beyond that: a point is
// one snapshot's own value, as the server computes it for History
// (src/serve/history.ts): per-interval counts become per-second rates.
import type { History, Snapshot, VmSeries, VmSnapshot } from '../../src/model/snapshot.js';

export type Column = (number | null)[];

/** The per-VM series, by their History names. */
export const VM_SERIES = [
  'rssBytes',
  'guestRamBytes',
  'ownAnonBytes',
  'fileBytes',
  'swapBytes',
  'faultsPerSec',
  'guestRamFaultsPerSec',
  'eptFaultsPerSec',
  'stallMs',
] as const;
export type VmSeriesName = (typeof VM_SERIES)[number];

export const HOST_SERIES = ['memAvailableBytes', 'swapUsedBytes', 'psiMemSomeAvg10', 'lostEvents', 'oomKills'] as const;
export type HostSeriesName = (typeof HOST_SERIES)[number];

export interface VmColumns extends Record<VmSeriesName, Column> {
  id: string;
  name: string;
  kind: string;
}

export interface Columns {
  timeMs: number[];
  host: Record<HostSeriesName, Column>;
  vms: Map<string, VmColumns>;
  /** Most points kept; the oldest are dropped beyond it. */
  capacity: number;
}

const nullIfNaN = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function columnsFromHistory(history: History, minCapacity: number): Columns {
  const host = {} as Record<HostSeriesName, Column>;
  for (const name of HOST_SERIES) host[name] = (history.host?.[name] ?? []).map(nullIfNaN);
  const vms = new Map<string, VmColumns>();
  for (const series of history.vms) vms.set(series.id, vmColumnsFromSeries(series, history.timeMs.length));
  return { timeMs: [...history.timeMs], host, vms, capacity: Math.max(minCapacity, history.timeMs.length) };
}

function vmColumnsFromSeries(series: VmSeries, length: number): VmColumns {
  const vm = { id: series.id, name: series.name, kind: series.kind } as VmColumns;
  for (const name of VM_SERIES) {
    const values = series[name].map(nullIfNaN);
    while (values.length < length) values.unshift(null); // tolerate a short series
    vm[name] = values;
  }
  return vm;
}

/** One snapshot's value for each VM series: what one History point holds. */
export function vmPoint(vm: VmSnapshot, intervalMs: number): Record<VmSeriesName, number> {
  const perSec = intervalMs > 0 ? 1000 / intervalMs : 0;
  return {
    rssBytes: vm.rss.totalBytes,
    guestRamBytes: vm.rss.guestRamBytes,
    ownAnonBytes: vm.rss.ownAnonBytes,
    fileBytes: vm.rss.fileBytes,
    swapBytes: vm.rss.swapBytes,
    faultsPerSec: (vm.faults.minor + vm.faults.major) * perSec,
    guestRamFaultsPerSec: vm.faults.guestRam * perSec,
    eptFaultsPerSec: vm.kvm.eptFaults * perSec,
    stallMs: vm.reclaim.stallNs / 1e6,
  };
}

export function hostPoint(snapshot: Snapshot): Record<HostSeriesName, number> {
  return {
    memAvailableBytes: snapshot.host.memAvailableBytes,
    swapUsedBytes: snapshot.host.swapUsedBytes,
    psiMemSomeAvg10: snapshot.host.psiMemSomeAvg10,
    lostEvents: snapshot.probes.lostEvents,
    oomKills: snapshot.events.filter((e) => e.type === 'oom-kill').length,
  };
}

/** Appends the snapshot as one point of every column (null for VMs not in it). */
export function appendSnapshot(columns: Columns, snapshot: Snapshot): void {
  const last = columns.timeMs.at(-1);
  if (last !== undefined && snapshot.timeMs <= last) return; // already in the history
  const length = columns.timeMs.length;
  columns.timeMs.push(snapshot.timeMs);
  const host = hostPoint(snapshot);
  for (const name of HOST_SERIES) columns.host[name].push(host[name]);
  const seen = new Set<string>();
  for (const vm of snapshot.vms) {
    seen.add(vm.id);
    let series = columns.vms.get(vm.id);
    if (!series) {
      series = { id: vm.id, name: vm.name, kind: vm.kind } as VmColumns;
      for (const name of VM_SERIES) series[name] = new Array<number | null>(length).fill(null);
      columns.vms.set(vm.id, series);
    }
    const point = vmPoint(vm, snapshot.intervalMs);
    for (const name of VM_SERIES) series[name].push(point[name]);
  }
  for (const [id, series] of columns.vms) {
    if (!seen.has(id)) for (const name of VM_SERIES) series[name].push(null);
  }
  trim(columns);
}

function trim(columns: Columns): void {
  const excess = columns.timeMs.length - columns.capacity;
  if (excess <= 0) return;
  columns.timeMs.splice(0, excess);
  for (const name of HOST_SERIES) columns.host[name].splice(0, excess);
  for (const [id, series] of columns.vms) {
    for (const name of VM_SERIES) series[name].splice(0, excess);
    // a VM with no point left in the window is gone from the charts too
    if (series.rssBytes.every((v) => v === null)) columns.vms.delete(id);
  }
}
