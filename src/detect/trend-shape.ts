// The trend tests (2-7 of growth-shape.ts's header) on the last window's points:
// flat, step, sawtooth, levelled-off, noisy or steady growth. Pure.
import type { Verdict } from '../model/snapshot.js';
import { bucketMedians, fitQuality, median, theilSen, type Point } from './robust-trend.js';
import type { Shape, ShapeOptions, ShapeResult } from './growth-shape.js';
import { floorsAfter, lowestOf, releaseIndices } from './cycles.js';

const between = (pts: readonly Point[], from: number, to: number): number[] =>
  pts.filter((p) => p.tMs >= from && p.tMs < to).map((p) => p.value);

/** The largest rise within a tenth of the buckets' time span. */
function largestJump(buckets: readonly Point[]): number {
  const w = Math.max(1, Math.round(buckets.length / 10));
  let jump = 0;
  for (let k = 0; k + w < buckets.length; k++) jump = Math.max(jump, buckets[k + w]!.value - buckets[k]!.value);
  return jump;
}

/** Does the series drop by `releaseBytes` from a peak and come back down to a floor
 * that climbs slower than `floorSlope` (per ms)? */
function returnsToBaseline(buckets: readonly Point[], releaseBytes: number, floorSlope: number): boolean {
  const releases = releaseIndices(buckets, releaseBytes);
  if (releases.length === 0) return false;
  const troughs = floorsAfter(buckets, releases);
  // one drop: its trough against the lowest point before it
  const floors = troughs.length >= 2 ? troughs : [lowestOf(buckets.slice(0, releases[0]!)), troughs[0]!];
  return theilSen(floors).slope < floorSlope;
}

/** Steps 2-7 of growth-shape.ts's header on the last window's points. */
export function classifyTrend(
  pts: readonly Point[],
  o: ShapeOptions,
  result: (verdict: Verdict, shape: Shape, slope?: number, fit?: number) => ShapeResult,
): ShapeResult {
  const startMs = pts[0]!.tMs;
  const endMs = pts.at(-1)!.tMs;
  const spanMs = endMs - startMs;
  const buckets = bucketMedians(pts, o.maxBuckets);
  const line = theilSen(buckets);
  const fit = fitQuality(buckets, line);
  const slope = line.slope;
  const rise = slope * spanMs;
  if (slope <= 0) return result('ok', rise < -o.minRiseBytes ? 'falling' : 'flat', slope, fit);
  if (rise < o.minRiseBytes) return result('ok', 'too-small', slope, fit);

  if (largestJump(buckets) >= o.stepShare * rise) return result('ok', 'step', slope, fit);
  if (returnsToBaseline(buckets, o.releaseShare * rise, o.floorRatio * slope)) return result('ok', 'sawtooth', slope, fit);

  const third = spanMs / 3;
  const m = [0, 1, 2].map((k) => median(between(pts, startMs + k * third, k === 2 ? endMs + 1 : startMs + (k + 1) * third)));
  const perThird = slope * third * o.thirdRatio;
  const early = m[1]! - m[0]! >= perThird;
  const late = m[2]! - m[1]! >= perThird;
  if (!early && !late) return result('ok', 'step', slope, fit);
  // a leak adds about as much in the last third as in the middle one; a warm-up adds
  // ever less (an exponential approach: under half once a third spans 0.7 time constants)
  if (!late || m[2]! - m[1]! < o.levelRatio * (m[1]! - m[0]!)) return result('ok', 'levelled-off', slope, fit);
  if (!early) return result('ok', 'recent-rise', slope, fit);

  if (line.slopeLow <= 0) return result('ok', 'noisy', slope, fit);
  return result(fit >= o.leakFit ? 'leak' : 'suspect', 'steady', slope, fit);
}
