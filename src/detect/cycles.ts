// The cycles of a memory series: where it gives memory back (releases), the lowest
// point of each cycle after a release (the floor, the lower envelope), and the cycle's period. A leak
// is a rising floor: memory that comes back after every free does not leak, whatever
// the period; a floor that climbs leaks, however large the churn on top. Pure.
//
//   bytes     /|    /|    /|               bytes        /|   /|   /|
//            / |   / |   / |                          / |  / | _/ |
//           /  |  /  |  /  |                        _/  |_/  |/   |
//          /   | /   | /   |                      _/    f    f    f
//         f    f     f     f  <- floors flat     f   <- floors climb: leak
//   +--------------------------> t          +--------------------------> t
//
// A release is a drop of at least `releaseBytes` below the highest point since the
// last release, over the points smoothed by a running median of three (one-sample
// spikes go, a drop stays whole; a bucket median over longer slices would average a
// peak with the trough after it and halve the drop). Noise does not make releases:
// releaseBytes is half the series' range around its trend and at least six times its
// point-to-point noise. The
// floor of a cycle is the lowest point between one release and the next (the first
// cycle: the lowest point before the first release). The period is the median
// spacing of the releases; with one release, the time from the first point to it
// (a lower bound: the history may begin mid-cycle).
import type { Point } from './robust-trend.js';
import { median, theilSen } from './robust-trend.js';

export interface Cycles {
  /** The bucket at which each release was seen. */
  releases: Point[];
  /** The lowest point after each release, up to the next one, in time order. What
   * comes before the first release is no floor: the series may have begun there. */
  floors: Point[];
  /** Median spacing of the releases, ms; 0 without a release. */
  periodMs: number;
}

/** The lowest of the points (the first of them on a tie). */
export const lowestOf = (pts: readonly Point[]): Point => pts.reduce((low, p) => (p.value < low.value ? p : low));

/** Where the series drops by `releaseBytes` below its highest point since the last
 * such drop: the indices of the points that complete each drop. */
export function releaseIndices(points: readonly Point[], releaseBytes: number): number[] {
  const at: number[] = [];
  let peak = points[0]?.value ?? 0;
  for (let k = 1; k < points.length; k++) {
    const v = points[k]!.value;
    if (v > peak) peak = v;
    else if (peak - v >= releaseBytes) {
      at.push(k);
      peak = v;
    }
  }
  return at;
}

/** The lowest point from each release up to the next one (or the end). */
export function floorsAfter(points: readonly Point[], at: readonly number[]): Point[] {
  return at.map((from, i) => lowestOf(points.slice(from, at[i + 1] ?? points.length)));
}

export function findCycles(buckets: readonly Point[], releaseBytes: number): Cycles {
  if (buckets.length === 0) return { releases: [], floors: [], periodMs: 0 };
  const at = releaseIndices(buckets, releaseBytes);
  const releases = at.map((k) => buckets[k]!);
  const floors = floorsAfter(buckets, at);
  const spacing = releases.slice(1).map((r, i) => r.tMs - releases[i]!.tMs);
  const periodMs = spacing.length > 0 ? median(spacing) : releases.length === 1 ? releases[0]!.tMs - buckets[0]!.tMs : 0;
  return { releases, floors, periodMs };
}

/** Each point's value replaced by the median of it and its two neighbours. */
export function median3(points: readonly Point[]): Point[] {
  return points.map((p, i) => {
    const a = points[i - 1]?.value ?? p.value;
    const c = points[i + 1]?.value ?? p.value;
    const b = p.value;
    return { tMs: p.tMs, value: Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)) };
  });
}

/** The point-to-point noise: robust standard deviation of neighbouring differences,
 * over sqrt(2). A sawtooth's steady climb has nearly none. */
export function noiseBytesOf(points: readonly Point[]): number {
  const diffs = points.slice(1).map((p, i) => p.value - points[i]!.value);
  if (diffs.length < 2) return 0;
  const mid = median(diffs);
  return (1.4826 * median(diffs.map((d) => Math.abs(d - mid)))) / Math.SQRT2;
}

/** The drop that counts as a release: half the range of the series around its trend
 * line (a leak under the churn does not widen it), at least six times the noise of
 * the raw series and never less than `minBytes`. The line comes from the bucket
 * medians (few points: Theil-Sen is quadratic), the range from every smoothed point. */
export function releaseBytesOf(points: readonly Point[], buckets: readonly Point[], noiseBytes: number, share: number, minBytes: number): number {
  if (buckets.length < 2) return minBytes;
  const line = theilSen(buckets);
  let low = Infinity;
  let high = -Infinity;
  for (const p of points) {
    const r = p.value - line.slope * p.tMs;
    low = Math.min(low, r);
    high = Math.max(high, r);
  }
  return Math.max(minBytes, share * (high - low), 6 * noiseBytes);
}

/** How far a floor can be off by sampling alone: the larger of the point-to-point
 * noise (robust standard deviation of neighbouring differences, over sqrt(2)) and the
 * typical move between two samples (a trough is caught anywhere within one move of
 * the true one: a 64 MiB sawtooth sampled 8 times a cycle has floors 8 MiB apart). */
export function floorJitterBytesOf(points: readonly Point[]): number {
  const diffs = points.slice(1).map((p, i) => p.value - points[i]!.value);
  if (diffs.length < 2) return 0;
  return Math.max(noiseBytesOf(points), median(diffs.map(Math.abs)));
}

/** Share of the steps from one floor to the next that do not go down by more than
 * `toleranceBytes`: 1 for a floor that only climbs. */
export function risingShare(floors: readonly Point[], toleranceBytes: number): number {
  if (floors.length < 2) return 0;
  let up = 0;
  for (let i = 1; i < floors.length; i++) if (floors[i]!.value >= floors[i - 1]!.value - toleranceBytes) up += 1;
  return up / (floors.length - 1);
}
