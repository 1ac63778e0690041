// The reclaim-stall histogram for Prometheus: bpftrace's power-of-2 buckets (a
// bucket with lower bound L holds values in [L, 2L)) folded into fixed `le` bounds,
// so every scrape has the same buckets. Pure.

/** Upper bounds in ns: 2^10 (1 us) to 2^34 (17 s), every power of 4: 13 buckets + Inf. */
export const STALL_BOUNDS_NS: readonly number[] = Array.from({ length: 13 }, (_, i) => 2 ** (10 + 2 * i));

/** The `le` label values, seconds, +Inf last. */
export const STALL_LE: readonly string[] = [...STALL_BOUNDS_NS.map((b) => String(b / 1e9)), '+Inf'];

export interface CumulativeHistogram {
  /** Observations per bound (not cumulative here; render() sums), last slot is +Inf. */
  counts: number[];
  sumSeconds: number;
  count: number;
}

export function emptyHistogram(): CumulativeHistogram {
  return { counts: new Array<number>(STALL_BOUNDS_NS.length + 1).fill(0), sumSeconds: 0, count: 0 };
}

/** Index of the smallest bound that holds every value of the log2 bucket at lowNs. */
export function boundIndex(lowNs: number): number {
  const upperNs = lowNs <= 0 ? 1 : 2 * lowNs;
  const i = STALL_BOUNDS_NS.findIndex((b) => b >= upperNs);
  return i === -1 ? STALL_BOUNDS_NS.length : i;
}

export function addBuckets(h: CumulativeHistogram, buckets: { lowNs: number; count: number }[], sumNs: number): void {
  for (const b of buckets) {
    if (b.count <= 0) continue;
    h.counts[boundIndex(b.lowNs)]! += b.count;
    h.count += b.count;
  }
  h.sumSeconds += sumNs / 1e9;
}

/** Cumulative counts, one per STALL_LE label value, +Inf last. */
export function cumulativeCounts(h: CumulativeHistogram): number[] {
  let running = 0;
  return h.counts.map((c) => (running += c));
}
