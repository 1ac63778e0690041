// Robust trend statistics over (time, value) points. Pure.
//
// Theil-Sen: the slope is the median of the slopes between every pair of points
// (Theil 1950, Sen 1968). Up to 29% of the points can be outliers (a transient
// allocation, a one-off spike in RSS) without moving it, where least squares
// follows every spike. Its confidence interval comes from the same sorted pair
// slopes (Sen 1968, via Kendall's tau): no assumption about the noise's shape,
// only that it is independent from point to point, which is why the detectors
// first reduce the raw samples to bucket medians (bucketMedians).

export interface Point {
  tMs: number;
  value: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  // a value that fills more than half of the sorted array holds its middle: the median,
  // found without sorting (Boyer-Moore's vote, then a count). Common here: the gaps
  // between evenly spaced points, the buckets of a flat series
  let candidate = values[0]!;
  let votes = 0;
  for (let i = 0; i < values.length; i++) {
    if (votes === 0) candidate = values[i]!;
    votes += values[i] === candidate ? 1 : -1;
  }
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === candidate) count++;
  if (2 * count > values.length) return candidate;
  // a typed array sorts numerically, natively: several times faster than a comparator
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface TheilSen {
  /** value units per ms */
  slope: number;
  /** value at t = 0 ms */
  intercept: number;
  /** Sen's confidence interval for the slope (two-sided, at the given z). */
  slopeLow: number;
  slopeHigh: number;
}

/** Theil-Sen line with Sen's confidence interval; z = 1.96 for 95%. O(n^2 log n):
 * callers keep n small (bucketMedians gives at most ~60 points: 1770 pairs). */
export function theilSen(points: readonly Point[], z = 1.96): TheilSen {
  const n = points.length;
  const all = new Float64Array((n * (n - 1)) / 2);
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dt = points[j]!.tMs - points[i]!.tMs;
      if (dt !== 0) all[count++] = (points[j]!.value - points[i]!.value) / dt;
    }
  }
  if (count === 0) return { slope: 0, intercept: points[0]?.value ?? 0, slopeLow: 0, slopeHigh: 0 };
  const slopes = all.subarray(0, count).sort();
  const mid = count >> 1;
  const slope = count % 2 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
  const residuals: number[] = new Array(points.length);
  for (let i = 0; i < points.length; i++) residuals[i] = points[i]!.value - slope * points[i]!.tMs;
  const intercept = median(residuals);
  // Sen (1968): C = z * sqrt(n(n-1)(2n+5)/18); the CI is the slopes of rank
  // (N - C)/2 and (N + C)/2 + 1 (1-based) among the N sorted pair slopes
  const c = z * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lowRank = Math.floor((count - c) / 2);
  const highRank = Math.ceil((count + c) / 2);
  return {
    slope,
    intercept,
    slopeLow: slopes[Math.max(0, Math.min(count - 1, lowRank - 1))]!,
    slopeHigh: slopes[Math.max(0, Math.min(count - 1, highRank))]!,
  };
}

/** Share of the variance around the mean that the line explains (R^2), clamped to
 * 0..1; 0 for a constant series. */
export function fitQuality(points: readonly Point[], line: { slope: number; intercept: number }): number {
  if (points.length < 3) return 0;
  let sum = 0;
  for (const p of points) sum += p.value;
  const mean = sum / points.length;
  let total = 0;
  let residual = 0;
  for (const p of points) {
    total += (p.value - mean) ** 2;
    residual += (p.value - (line.intercept + line.slope * p.tMs)) ** 2;
  }
  if (total === 0) return 0;
  return Math.min(1, Math.max(0, 1 - residual / total));
}

/** At most `maxBuckets` points: equal slices of time, each the median time and the
 * median value of its samples. Medians, so one spike in a slice does not move it. */
export function bucketMedians(points: readonly Point[], maxBuckets: number): Point[] {
  if (points.length <= maxBuckets) return [...points];
  const t0 = points[0]!.tMs;
  const span = points.at(-1)!.tMs - t0;
  const slices: Point[][] = Array.from({ length: maxBuckets }, () => []);
  for (const p of points) {
    const k = span === 0 ? 0 : Math.min(maxBuckets - 1, Math.floor(((p.tMs - t0) / span) * maxBuckets));
    slices[k]!.push(p);
  }
  return slices
    .filter((s) => s.length > 0)
    .map((s) => ({ tMs: median(s.map((p) => p.tMs)), value: median(s.map((p) => p.value)) }));
}
