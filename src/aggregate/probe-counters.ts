// Folds the interval batches of every probe group into counters per pid and for the
// host. Pure. Map names and keys are the probes' contract (probes/*.bt, MAPS).
import type { ProbeBatch } from '../parse/probe-batch.js';
import { mapTableSum, type MapTable } from '../parse/map-table.js';
import { parseProbeEventLine, type ProbeEventLine } from './probe-events.js';

export interface PidCounters {
  faultUser: number;
  faultKernel: number;
  faultFile: number;
  /** 2 MiB region index (address >> 21) -> sampled user faults (1 in 16 pages). */
  regionSamples: Map<number, number>;
  kvmFaults: number;
  /** guest-physical 2 MiB region (gpa >> 21) -> EPT faults (exact). */
  kvmRegions: Map<number, number>;
  kvmExits: Map<number, number>;
  /** spte level (1 = 4K, 2 = 2M, 3 = 1G) -> count */
  kvmLevels: Map<number, number>;
  /** 1 not_present, 2 ready, 3 completed, 4 repeated fault */
  asyncPf: Map<number, number>;
  reclaimDirectCount: number;
  reclaimDirectNs: number;
  reclaimDirectMaxNs: number;
  reclaimMemcgCount: number;
  reclaimMemcgNs: number;
  reclaimMemcgMaxNs: number;
  /** log2 bucket lower bound ns -> count */
  stallHistogram: Map<number, number>;
  reclaimPages: number;
  compactionCount: number;
  compactionNs: number;
  mmapBytes: number;
  munmapBytes: number;
  brkBytes: number;
  /** madvise of freeing behaviours: key `${behavior}:${region}` -> bytes */
  madviseBytes: Map<string, number>;
}

export interface MmuNotifierRegion {
  /** 1 = kvm_age_hva, 2 = kvm_unmap_hva_range */
  kind: number;
  /** host virtual 2 MiB region (hva >> 21) */
  region: number;
  calls: number;
  bytes: number;
}

export interface ProbeTotals {
  byPid: Map<number, PidCounters>;
  kswapdWakes: number;
  kswapdRunNs: number;
  lruPagesReclaimed: number;
  mmuNotifier: MmuNotifierRegion[];
  events: ProbeEventLine[];
  /** Lost events by group, or by the groups of one bpftrace joined with ',' when it runs
   * several (it does not say whose they are: src/parse/group-batcher.ts). */
  lostByGroup: Map<string, number>;
  /** printf lines that were neither ready/tick nor a known event */
  unknownLines: number;
  /** map values that cannot be (plausibleValue), dropped before any detector sees them */
  badValues: number;
}

/** 2^57 bytes (128 PiB): past the largest user address space (5-level paging, 2^56)
 * and, read as ns, 4.5 years: no per-interval sum of ours can reach it. */
export const MAX_PLAUSIBLE_VALUE = 2 ** 57;

/** Can a printed map value be? Counts, ns and byte sums are never negative and never
 * beyond MAX_PLAUSIBLE_VALUE; the program break's movement (@brk_bytes) is signed. A
 * value that fails (a sum printed as unsigned 64-bit, a failed mmap's len of -1) is
 * counted as a bad value and dropped, never passed on as a number. */
export function plausibleValue(name: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (name === '@brk_bytes') return Math.abs(value) <= MAX_PLAUSIBLE_VALUE;
  return value >= 0 && value <= MAX_PLAUSIBLE_VALUE;
}

export function emptyPidCounters(): PidCounters {
  return {
    faultUser: 0, faultKernel: 0, faultFile: 0, regionSamples: new Map(),
    kvmFaults: 0, kvmRegions: new Map(), kvmExits: new Map(), kvmLevels: new Map(), asyncPf: new Map(),
    reclaimDirectCount: 0, reclaimDirectNs: 0, reclaimDirectMaxNs: 0,
    reclaimMemcgCount: 0, reclaimMemcgNs: 0, reclaimMemcgMaxNs: 0,
    stallHistogram: new Map(), reclaimPages: 0, compactionCount: 0, compactionNs: 0,
    mmapBytes: 0, munmapBytes: 0, brkBytes: 0, madviseBytes: new Map(),
  };
}

type NumericField = { [K in keyof PidCounters]: PidCounters[K] extends number ? K : never }[keyof PidCounters];
type KeyedField = 'regionSamples' | 'kvmRegions' | 'kvmExits' | 'kvmLevels' | 'asyncPf';

/** map name -> per-pid number field it adds to (key [pid]); max fields take the max. */
const PID_SUMS: Record<string, NumericField> = {
  '@fault_user': 'faultUser',
  '@fault_kernel': 'faultKernel',
  '@fault_file': 'faultFile',
  '@kvm_fault': 'kvmFaults',
  '@reclaim_direct_count': 'reclaimDirectCount',
  '@reclaim_direct_ns': 'reclaimDirectNs',
  '@reclaim_memcg_count': 'reclaimMemcgCount',
  '@reclaim_memcg_ns': 'reclaimMemcgNs',
  '@reclaim_pages': 'reclaimPages',
  '@compaction_count': 'compactionCount',
  '@compaction_ns': 'compactionNs',
  '@mmap_bytes': 'mmapBytes',
  '@munmap_bytes': 'munmapBytes',
  '@brk_bytes': 'brkBytes',
};
const PID_MAXES: Record<string, NumericField> = {
  '@reclaim_direct_max_ns': 'reclaimDirectMaxNs',
  '@reclaim_memcg_max_ns': 'reclaimMemcgMaxNs',
};
/** map name -> per-pid keyed field (key [pid, k]) */
const PID_KEYED: Record<string, KeyedField> = {
  '@fault_region_sampled': 'regionSamples',
  '@kvm_fault_region': 'kvmRegions',
  '@kvm_exit': 'kvmExits',
  '@kvm_level': 'kvmLevels',
  '@kvm_async_pf': 'asyncPf',
};

function addTo<K>(map: Map<K, number>, key: K, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** Adds one printed map into the per-pid counters (or the MMU-notifier regions). Reads
 * the table's flat arrays in place: a region map has thousands of entries. A key
 * shorter than the map's contract reads its missing parts as 0. */
function foldMap(
  name: string,
  table: MapTable,
  pidCounters: (pid: number) => PidCounters,
  notifier: Map<string, MmuNotifierRegion>,
): number {
  const { keyWidth: width, keys } = table;
  const [values, bad] = plausibleValues(name, table.values);
  const first = (i: number): number => (width > 0 ? keys[i * width]! : 0);
  const second = (i: number): number => (width > 1 ? keys[i * width + 1]! : 0);
  const sumField = PID_SUMS[name];
  const maxField = PID_MAXES[name];
  const keyedField = PID_KEYED[name];
  const n = values.length;
  if (sumField) for (let i = 0; i < n; i++) pidCounters(first(i))[sumField] += values[i]!;
  else if (maxField) {
    for (let i = 0; i < n; i++) {
      const c = pidCounters(first(i));
      c[maxField] = Math.max(c[maxField], values[i]!);
    }
  } else if (keyedField) for (let i = 0; i < n; i++) addTo(pidCounters(first(i))[keyedField], second(i), values[i]!);
  else if (name === '@madvise_bytes') {
    const third = (i: number): number => (width > 2 ? keys[i * width + 2]! : 0);
    for (let i = 0; i < n; i++) addTo(pidCounters(first(i)).madviseBytes, `${second(i)}:${third(i)}`, values[i]!);
  } else if (name === '@kvm_mmu_notifier' || name === '@kvm_mmu_notifier_bytes') {
    for (let i = 0; i < n; i++) {
      const id = `${first(i)}:${second(i)}`;
      const region = notifier.get(id) ?? { kind: first(i), region: second(i), calls: 0, bytes: 0 };
      if (name === '@kvm_mmu_notifier') region.calls += values[i]!;
      else region.bytes += values[i]!;
      notifier.set(id, region);
    }
  }
  return bad;
}

/** The table's values with the implausible ones set to 0 (a copy only when there are
 * any), and how many there were. */
function plausibleValues(name: string, values: number[]): [number[], number] {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!plausibleValue(name, values[i]!)) bad += 1;
  if (bad === 0) return [values, 0];
  return [values.map((v) => (plausibleValue(name, v) ? v : 0)), bad];
}

export function foldBatches(batches: ProbeBatch[]): ProbeTotals {
  const totals: ProbeTotals = {
    byPid: new Map(), kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0,
    mmuNotifier: [], events: [], lostByGroup: new Map(), unknownLines: 0, badValues: 0,
  };
  const pidCounters = (pid: number): PidCounters => {
    let c = totals.byPid.get(pid);
    if (!c) totals.byPid.set(pid, (c = emptyPidCounters()));
    return c;
  };
  const notifier = new Map<string, MmuNotifierRegion>();

  for (const batch of batches) {
    if (batch.lostEvents > 0) addTo(totals.lostByGroup, (batch.lostEventsOf ?? [batch.group]).join(','), batch.lostEvents);
    for (const [name, table] of batch.maps) totals.badValues += foldMap(name, table, pidCounters, notifier);
    const hostSum = (name: string): number => {
      const [values, bad] = plausibleValues(name, batch.maps.get(name)?.values ?? []);
      totals.badValues += bad;
      return mapTableSum({ keyWidth: 0, keys: [], values });
    };
    totals.kswapdWakes += hostSum('@kswapd_wake');
    totals.kswapdRunNs += hostSum('@kswapd_run_ns');
    totals.lruPagesReclaimed += hostSum('@lru_pages_reclaimed');
    for (const { key, buckets } of batch.hists.get('@reclaim_stall_hist_ns') ?? []) {
      const hist = pidCounters(key[0] ?? 0).stallHistogram;
      for (const b of buckets) if (b.count > 0) addTo(hist, Math.max(0, b.min), b.count);
    }
    for (const line of batch.lines) {
      const event = parseProbeEventLine(line);
      if (event) totals.events.push(event);
      else totals.unknownLines += 1;
    }
  }
  totals.mmuNotifier = [...notifier.values()];
  return totals;
}
