// The diagnosis's thresholds: the KVM-host playbook's defaults (docs/diagnosis.md),
// and a user's JSON file that changes some of them. Pure but for reading the file.
import { readFileSync } from 'node:fs';
import { FaultlineError } from '../model/errors.js';

export interface Thresholds {
  /** MemAvailable below this share of MemTotal: warning. */
  hostAvailableWarningPct: number;
  /** Used memory (MemTotal - MemAvailable) above this share: critical. */
  hostUsedCriticalPct: number;
  /** Swap-ins + swap-outs per second, averaged over the window: the host is paging. */
  pagingWarningPagesPerSec: number;
  /** Time a VM or process spent stalled in reclaim, per second of the window. */
  reclaimStallWarningMsPerSec: number;
  reclaimStallCriticalMsPerSec: number;
  /** A memory cgroup's usage above this share of its limit. */
  cgroupNearLimitPct: number;
  /** The VMs' configured memory summed, against MemTotal. */
  overcommitWarningPct: number;
  /** kswapd's run time as a share of the window (all nodes' kswapd summed). */
  kswapdBusyWarningPct: number;
  /** PSI memory avg10, percent of time. */
  psiSomeWarningPct: number;
  psiFullCriticalPct: number;
  /** Page cache kswapd reclaims per second over the window (page-cache-rule.ts). */
  pageCacheReclaimWarningMiBPerSec: number;
  /** ...while more than this share of the page cache reclaimed came back as new page
   * cache: churn, not page cache pushed out by something else. */
  pageCacheRefilledPct: number;
  /** THP (thp-rule.ts): a VM with less than this share of its resident guest RAM in
   * huge pages; 0 turns the cause off (a fleet that runs without THP on purpose). */
  thpGuestRamHugeWarningPct: number;
  /** VMs with less guest RAM resident than this are not judged for THP. */
  thpMinGuestRamMiB: number;
  /** Time a VM or process stalled in compaction, per second of the window. */
  compactionStallWarningMsPerSec: number;
  /** A VM's resident memory on NUMA nodes none of its vCPUs ran on (numa-rule.ts). */
  numaRemotePct: number;
  /** VMs with less resident memory than this are not judged for NUMA. */
  numaMinResidentMiB: number;
  /** A NUMA node's available memory below this share of its own, while another has twice it. */
  numaNodeAvailableWarningPct: number;
  /** A libvirt guest's own MemAvailable below this share of what its balloon gives it
   * (guest-memory-rule.ts). */
  guestAvailableWarningPct: number;
  /** ...or the guest swapping in and out more than this many pages per second. */
  guestSwapWarningPagesPerSec: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  hostAvailableWarningPct: 20,
  hostUsedCriticalPct: 85,
  pagingWarningPagesPerSec: 10,
  reclaimStallWarningMsPerSec: 10,
  reclaimStallCriticalMsPerSec: 100,
  cgroupNearLimitPct: 90,
  overcommitWarningPct: 100,
  kswapdBusyWarningPct: 50,
  psiSomeWarningPct: 10,
  psiFullCriticalPct: 5,
  pageCacheReclaimWarningMiBPerSec: 100,
  pageCacheRefilledPct: 50,
  thpGuestRamHugeWarningPct: 50,
  thpMinGuestRamMiB: 1024,
  compactionStallWarningMsPerSec: 10,
  numaRemotePct: 50,
  numaMinResidentMiB: 256,
  numaNodeAvailableWarningPct: 10,
  guestAvailableWarningPct: 10,
  guestSwapWarningPagesPerSec: 10,
});

/** The most each threshold may be (percentages of a whole stop at 100; overcommit and
 * rates do not). */
const MAXIMA: Record<keyof Thresholds, number> = {
  hostAvailableWarningPct: 100,
  hostUsedCriticalPct: 100,
  pagingWarningPagesPerSec: 1e9,
  reclaimStallWarningMsPerSec: 1e6,
  reclaimStallCriticalMsPerSec: 1e6,
  cgroupNearLimitPct: 100,
  overcommitWarningPct: 1e4,
  kswapdBusyWarningPct: 1e4,
  psiSomeWarningPct: 100,
  psiFullCriticalPct: 100,
  pageCacheReclaimWarningMiBPerSec: 1e9,
  pageCacheRefilledPct: 100,
  thpGuestRamHugeWarningPct: 100,
  thpMinGuestRamMiB: 1e9,
  compactionStallWarningMsPerSec: 1e6,
  numaRemotePct: 100,
  numaMinResidentMiB: 1e9,
  numaNodeAvailableWarningPct: 100,
  guestAvailableWarningPct: 100,
  guestSwapWarningPagesPerSec: 1e9,
};

/** The defaults with a user's overrides: an object of known keys and numbers only. */
export function thresholdsFrom(json: unknown, source: string): Thresholds {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FaultlineError('E_BAD_VALUE', `${source}: thresholds must be a JSON object`, `e.g. {"hostAvailableWarningPct": 15}; the keys are in docs/diagnosis.md`);
  }
  const out: Thresholds = { ...DEFAULT_THRESHOLDS };
  for (const [key, value] of Object.entries(json)) {
    if (!(key in MAXIMA)) {
      throw new FaultlineError('E_BAD_VALUE', `${source}: unknown threshold "${key}"`, `known: ${Object.keys(MAXIMA).join(', ')}`);
    }
    const max = MAXIMA[key as keyof Thresholds];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw new FaultlineError('E_BAD_VALUE', `${source}: ${key} must be a number from 0 to ${max}, not ${JSON.stringify(value)}`, 'the defaults are in docs/diagnosis.md');
    }
    out[key as keyof Thresholds] = value;
  }
  if (out.reclaimStallCriticalMsPerSec < out.reclaimStallWarningMsPerSec) {
    throw new FaultlineError('E_BAD_VALUE', `${source}: reclaimStallCriticalMsPerSec (${out.reclaimStallCriticalMsPerSec}) is below reclaimStallWarningMsPerSec (${out.reclaimStallWarningMsPerSec})`, 'the critical level must be at or above the warning level');
  }
  return out;
}

export function readThresholds(path: string | undefined): Thresholds {
  if (path === undefined) return { ...DEFAULT_THRESHOLDS };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FaultlineError('E_BAD_VALUE', `--thresholds ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'pass a JSON file of thresholds (docs/diagnosis.md)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FaultlineError('E_BAD_VALUE', `--thresholds ${path}: not JSON (${(error as Error).message})`, 'e.g. {"hostAvailableWarningPct": 15}');
  }
  return thresholdsFrom(json, path);
}
