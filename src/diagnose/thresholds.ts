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
