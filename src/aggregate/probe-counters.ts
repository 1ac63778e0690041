// Folds the interval batches of every probe group into counters per pid and for the
// host. Pure. Map names and keys are the probes' contract (probes/*.bt, MAPS).
import type { ProbeBatch } from '../parse/probe-batch.js';
import type { MapEntry } from '../parse/bpftrace-json.js';
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
  lostByGroup: Map<string, number>;
  /** printf lines that were neither ready/tick nor a known event */
  unknownLines: number;
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

function scalar(entries: MapEntry[] | undefined): number {
  return entries?.reduce((sum, e) => sum + e.value, 0) ?? 0;
}

export function foldBatches(batches: ProbeBatch[]): ProbeTotals {
  const totals: ProbeTotals = {
    byPid: new Map(), kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0,
    mmuNotifier: [], events: [], lostByGroup: new Map(), unknownLines: 0,
  };
  const pidCounters = (pid: number): PidCounters => {
    let c = totals.byPid.get(pid);
    if (!c) totals.byPid.set(pid, (c = emptyPidCounters()));
    return c;
  };
  const notifier = new Map<string, MmuNotifierRegion>();

  for (const batch of batches) {
    if (batch.lostEvents > 0) addTo(totals.lostByGroup, batch.group, batch.lostEvents);
    for (const [name, entries] of batch.maps) {
      const sumField = PID_SUMS[name];
      const maxField = PID_MAXES[name];
      const keyedField = PID_KEYED[name];
      for (const { key, value } of entries) {
        const [first = 0, second = 0] = key;
        if (sumField) pidCounters(first)[sumField] += value;
        else if (maxField) pidCounters(first)[maxField] = Math.max(pidCounters(first)[maxField], value);
        else if (keyedField) addTo(pidCounters(first)[keyedField], second, value);
        else if (name === '@madvise_bytes') addTo(pidCounters(first).madviseBytes, `${second}:${key[2] ?? 0}`, value);
        else if (name === '@kvm_mmu_notifier' || name === '@kvm_mmu_notifier_bytes') {
          const id = `${first}:${second}`;
          const region = notifier.get(id) ?? { kind: first, region: second, calls: 0, bytes: 0 };
          if (name === '@kvm_mmu_notifier') region.calls += value;
          else region.bytes += value;
          notifier.set(id, region);
        }
      }
    }
    totals.kswapdWakes += scalar(batch.maps.get('@kswapd_wake'));
    totals.kswapdRunNs += scalar(batch.maps.get('@kswapd_run_ns'));
    totals.lruPagesReclaimed += scalar(batch.maps.get('@lru_pages_reclaimed'));
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
