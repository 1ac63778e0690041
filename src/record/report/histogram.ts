// Quantiles from the reclaim-stall histograms (log2 buckets, as bpftrace's hist()
// makes them: bucket `lowNs` holds stalls in [lowNs, 2 * lowNs)). Pure.
import type { HistBucket } from '../../model/snapshot.js';

/** Adds `buckets` into `into` (lowNs -> count). */
export function addBuckets(into: Map<number, number>, buckets: readonly HistBucket[]): void {
  for (const b of buckets) into.set(b.lowNs, (into.get(b.lowNs) ?? 0) + b.count);
}

/** An upper bound of the q-quantile: the top of the bucket that holds it, capped by
 * the largest stall seen. -1 when the histogram is empty. */
export function quantileUpperNs(buckets: ReadonlyMap<number, number>, q: number, maxNs = Infinity): number {
  let total = 0;
  for (const count of buckets.values()) total += count;
  if (total === 0) return -1;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const low of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(low)!;
    if (seen >= rank) return Math.min(Math.max(1, low * 2), maxNs);
  }
  return maxNs;
}
