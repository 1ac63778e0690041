// Is a memory series growing steadily over the window, or is it a shape that
// only looks like growth? The one classifier every growth detector uses (process
// anon, QEMU's own memory, guest RAM, mapped bytes, unreclaimable slab). Pure.
//
//   leak: steady growth             ok: levelled off (warm-up, cache filled)
//   bytes        .·'                 bytes     .·''''''''''''''
//            .·'                            .·'
//        .·'                              .'
//    .·'                                 /
//   +-------------------> t             +-------------------> t
//   |third1|third2|third3|              |third1|third2|third3|  last third adds ~0
//
//   ok: sawtooth (GC, evicting cache)   ok: one step (a cache filled once)
//    /|  /|  /|  /|  /|  /|             bytes          .··············
//   / | / | / | / | / | / |                            |
//  /  |/  |/  |/  |/  |/  |             ···············'
//   +-------------------> t             +-------------------> t
//   floor (p10 of first/last quarter)   growth sits in one third only
//   does not rise
//
// The tests, in order (the first that decides wins):
//   1. short     the points span less than minCoverage (75%) of the window, fewer
//                than minPoints (8), or a gap longer than a quarter window:
//                insufficient-data. A process that just started is not judged.
//   2. flat / falling / too-small   Theil-Sen slope <= 0, or the rise over the
//                window (slope x span) below minRiseBytes: ok.
//   3. step / levelled-off / recent-rise   the medians of the three thirds of
//                the window must each rise by at least thirdRatio (1/3) of what a
//                steady leak at the fitted slope would add per third. A leak whose
//                rate halves within the window still passes; growth that stopped
//                (warm-up), that sits in one third (a step) or that only began in
//                the last third is ok, and is judged again as the window moves:
//                a leak that began mid-window is a leak one window later, hence
//                "within two windows".
//   4. sawtooth  the floor (10th percentile of the first and of the last quarter)
//                must rise by at least floorRatio (1/2) of the fitted rise between
//                them: memory that comes back to its baseline is not leaking, even
//                when its peaks climb for a while.
//   5. noisy     Sen's 95% confidence interval for the slope must exclude zero.
//   6. steady    fit (R^2 of the Theil-Sen line over the bucket medians) at least
//                leakFit (0.8): leak; below: suspect (growth plus something else:
//                a sawtooth riding on a leak, bursts, heavy noise).
// Where the numbers came from: the seeded synthetic series in
// test/detect/growth-shape.test.ts (table printed by the test) and the real
// captures in test/detect/fixtures/, see docs/heuristics.md. A sawtooth whose
// period is longer than the window looks like growth until it drops: windows of
// minutes (default 10 min) are longer than the cycles of the GCs and caches we
// know of; shorten them (--leak-window) only for demos.
import type { Verdict } from '../model/snapshot.js';
import { bucketMedians, fitQuality, median, quantile, theilSen, type Point } from './robust-trend.js';

export type Shape =
  | 'short'
  | 'gap'
  | 'flat'
  | 'falling'
  | 'too-small'
  | 'step'
  | 'levelled-off'
  | 'recent-rise'
  | 'sawtooth'
  | 'noisy'
  | 'steady';

export interface ShapeOptions {
  windowMs: number;
  minCoverage: number;
  minPoints: number;
  maxBuckets: number;
  minRiseBytes: number;
  thirdRatio: number;
  floorRatio: number;
  leakFit: number;
}

export const SHAPE_DEFAULTS: ShapeOptions = {
  windowMs: 600_000,
  minCoverage: 0.75,
  minPoints: 8,
  maxBuckets: 60,
  minRiseBytes: 4 * 2 ** 20,
  thirdRatio: 1 / 3,
  floorRatio: 0.5,
  leakFit: 0.8,
};

export interface ShapeResult {
  verdict: Verdict;
  shape: Shape;
  slopeBytesPerSec: number;
  riseBytes: number;
  /** R^2 of the robust line, 0..1 */
  fit: number;
  startMs: number;
  endMs: number;
  lastBytes: number;
}

/** The points of the last `windowMs` (ending at the last point). */
export function lastWindow(points: readonly Point[], windowMs: number): Point[] {
  const end = points.at(-1)?.tMs ?? 0;
  return points.filter((p) => p.tMs >= end - windowMs);
}

const between = (pts: readonly Point[], from: number, to: number): number[] =>
  pts.filter((p) => p.tMs >= from && p.tMs < to).map((p) => p.value);

export function classifyGrowth(series: readonly Point[], options: ShapeOptions): ShapeResult {
  const o = options;
  const pts = lastWindow(series, o.windowMs);
  const startMs = pts[0]?.tMs ?? 0;
  const endMs = pts.at(-1)?.tMs ?? 0;
  const spanMs = endMs - startMs;
  const base = { startMs, endMs, lastBytes: pts.at(-1)?.value ?? 0 };
  const result = (verdict: Verdict, shape: Shape, slope = 0, fit = 0): ShapeResult => ({
    ...base, verdict, shape, slopeBytesPerSec: slope * 1000, riseBytes: slope * spanMs, fit,
  });

  if (pts.length < o.minPoints || spanMs < o.windowMs * o.minCoverage) return result('insufficient-data', 'short');
  for (let i = 1; i < pts.length; i++) {
    if (pts[i]!.tMs - pts[i - 1]!.tMs > o.windowMs / 4) return result('insufficient-data', 'gap');
  }

  const buckets = bucketMedians(pts, o.maxBuckets);
  const line = theilSen(buckets);
  const fit = fitQuality(buckets, line);
  const slope = line.slope;
  const rise = slope * spanMs;
  if (slope <= 0) return result('ok', rise < -o.minRiseBytes ? 'falling' : 'flat', slope, fit);
  if (rise < o.minRiseBytes) return result('ok', 'too-small', slope, fit);

  const third = spanMs / 3;
  const m = [0, 1, 2].map((k) => median(between(pts, startMs + k * third, k === 2 ? endMs + 1 : startMs + (k + 1) * third)));
  const perThird = slope * third * o.thirdRatio;
  const early = m[1]! - m[0]! >= perThird;
  const late = m[2]! - m[1]! >= perThird;
  if (!early && !late) return result('ok', 'step', slope, fit);
  if (!late) return result('ok', 'levelled-off', slope, fit);
  if (!early) return result('ok', 'recent-rise', slope, fit);

  const quarter = spanMs / 4;
  const floorFirst = quantile(between(pts, startMs, startMs + quarter), 0.1);
  const floorLast = quantile(between(pts, endMs - quarter, endMs + 1), 0.1);
  if (floorLast - floorFirst < o.floorRatio * slope * (spanMs - quarter)) return result('ok', 'sawtooth', slope, fit);

  if (line.slopeLow <= 0) return result('ok', 'noisy', slope, fit);
  return result(fit >= o.leakFit ? 'leak' : 'suspect', 'steady', slope, fit);
}

/** How far back the growth goes: widen the window in half-window steps over the
 * stored history while the wider window still shows growth at no less than half
 * the rate. Returns the start of the widest such window. */
export function growthSince(series: readonly Point[], options: ShapeOptions, current: ShapeResult, maxWindows: number): number {
  let since = current.startMs;
  for (let k = 1.5; k <= maxWindows; k += 0.5) {
    const wider = classifyGrowth(series, { ...options, windowMs: options.windowMs * k });
    const growing = wider.verdict === 'leak' || wider.verdict === 'suspect';
    if (!growing || wider.slopeBytesPerSec < current.slopeBytesPerSec / 2) break;
    since = wider.startMs;
  }
  return since;
}

const SHAPE_WORDS: Record<Shape, string> = {
  short: 'not enough history yet',
  gap: 'the history has a gap',
  flat: 'flat',
  falling: 'falling',
  'too-small': 'growth too small to matter',
  step: 'one step, then flat',
  'levelled-off': 'grew, then levelled off',
  'recent-rise': 'growth began only recently',
  sawtooth: 'returns to its baseline (sawtooth)',
  noisy: 'growth lost in noise',
  steady: 'growing steadily',
};

export function shapeWords(shape: Shape): string {
  return SHAPE_WORDS[shape];
}
