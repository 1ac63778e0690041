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
//   drops back; troughs do not climb    a tenth of the window holds the rise
//
// First, over the whole stored history, the CYCLES (cycles.ts, judgeFloors below): a
// series that gives memory back (releases) is judged by its floors, the lowest point
// after each release, over max(window, 2.5 periods): floors that climb past the
// sampling slack are a leak (three floors or more) or suspect (two); flat floors are
// ok, whatever the churn's period. One release only: a cycle in progress, ok, until
// its climb lasts longer than max(2 periods, window).
// Otherwise the TREND, the tests in order (the first that decides wins), on the last
// window of the series reduced to at most 60 bucket medians (so one spike moves nothing):
//   1. short     the points cover less than minCoverage (95%) of the window, fewer
//                than minPoints (8), or a gap longer than a quarter window:
//                insufficient-data; past earlyMs (60 s) the trend runs on what is
//                there, and a leak is an `early` suspect (growthFinding keeps it only
//                when a limit is under an hour away).
//   2. flat / falling / too-small   Theil-Sen slope <= 0, or the rise over the
//                window (slope x span) below minRiseBytes: ok.
//   3. step      one tenth of the window carries at least stepShare (1/2) of the
//                rise: one event (a cache filled, a pool allocated), not a trend.
//   4. sawtooth  drops from a peak by releaseShare (1/2) of the rise, troughs
//                climbing slower than floorRatio (1/2) of the slope: ok.
//   5. levelled-off / recent-rise   the medians of the three thirds must each rise
//                by thirdRatio (1/3) of what the fitted slope adds per third, and the
//                last third at least levelRatio (1/2) of what the middle one added
//                (a warm-up adds ever less); growth that began only in the last third
//                is judged again as the window moves.
//   6. noisy     Sen's 95% confidence interval for the slope must exclude zero.
//   7. steady    fit (R^2 of the Theil-Sen line over the bucket medians) at least
//                leakFit (0.8): leak; below: suspect.
//   8. provisional  a leak whose window before did not grow too: suspect (it may be
//                the first climb of a cycle longer than the window); a leak once it
//                has grown for two windows.
// Where the numbers came from: the seeded synthetic series in
// test/detect/detectors.test.ts, the shape corpus (test/detect/shape-corpus.ts, as
// synthetic series and as real processes) and the real captures in
// test/detect/fixtures/; docs/heuristics.md has the formulas and the tables.
import type { Verdict } from '../model/snapshot.js';
import { bucketMedians, fitQuality, median, theilSen, type Point } from './robust-trend.js';
import { classifyTrend } from './trend-shape.js';
import { findCycles, floorJitterBytesOf, median3, noiseBytesOf, releaseBytesOf, risingShare, type Cycles } from './cycles.js';

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
  | 'steady'
  | 'provisional'
  | 'early'
  | 'rising-floor';

export interface ShapeOptions {
  windowMs: number;
  minCoverage: number;
  minPoints: number;
  maxBuckets: number;
  minRiseBytes: number;
  thirdRatio: number;
  stepShare: number;
  releaseShare: number;
  floorRatio: number;
  leakFit: number;
  /** Cycles: a floor judged over at least this many periods (and one window). */
  cyclesJudged: number;
  /** Share of floor-to-floor steps that must not go down, for a rising floor. */
  floorRising: number;
  /** levelled-off: the last third adds less than this share of what the middle one did */
  levelRatio: number;
  /** Before the window is full: judge what is there once it spans this long (ms), for
   * an early warning (`early`, see growthFinding); windows shorter than this have none. */
  earlyMs: number;
}

export const SHAPE_DEFAULTS: ShapeOptions = {
  windowMs: 600_000,
  minCoverage: 0.95,
  minPoints: 8,
  maxBuckets: 60,
  minRiseBytes: 4 * 2 ** 20,
  thirdRatio: 1 / 3,
  stepShare: 0.5,
  releaseShare: 0.5,
  floorRatio: 0.5,
  leakFit: 0.8,
  cyclesJudged: 2.5,
  floorRising: 2 / 3,
  levelRatio: 0.5,
  earlyMs: 60_000,
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
  // A loop, not an arrow made per call: the detectors run every few intervals, and
  // V8 compiles such an arrow again after every full GC (see src/collect/collector.ts).
  const from = (points.at(-1)?.tMs ?? 0) - windowMs;
  const out: Point[] = [];
  for (const p of points) if (p.tMs >= from) out.push(p);
  return out;
}

export function classifyGrowth(series: readonly Point[], options: ShapeOptions): ShapeResult {
  const o = options;
  const pts = lastWindow(series, o.windowMs);
  const startMs = pts[0]?.tMs ?? 0;
  const endMs = pts.at(-1)?.tMs ?? 0;
  const spanMs = endMs - startMs;
  const base = { startMs, endMs, lastBytes: pts.at(-1)?.value ?? 0 };
  const result = (verdict: Verdict, shape: Shape, slope = 0, fit = 0): ShapeResult => shapeResult(base, spanMs, verdict, shape, slope, fit);

  const gaps: number[] = [];
  let longestGapMs = 0;
  for (let i = 1; i < pts.length; i++) {
    const gap = pts[i]!.tMs - pts[i - 1]!.tMs;
    gaps.push(gap);
    if (gap > longestGapMs) longestGapMs = gap;
  }
  // each point stands for the interval that ends at it, so the first one covers one gap more
  // (gaps mostly alike, as the tracker's evenly spaced points are: median finds that
  // majority without sorting)
  const coveredMs = spanMs + (gaps.length ? median(gaps) : 0);
  if (pts.length < o.minPoints || coveredMs < o.windowMs * o.minCoverage) {
    // not judged yet; a steady climb over what there is may still warn early. One that
    // moved less than minRiseBytes cannot (the trend's too-small test): the robust
    // statistics are skipped, as for a full window below (in a 100-VM session's first
    // 10 minutes they were the hottest code: docs/benchmarks.md, "Over time")
    const early = coveredMs >= o.earlyMs && pts.length >= o.minPoints && !(longestGapMs > o.windowMs / 4) && rangeOf(pts) >= o.minRiseBytes
      ? classifyTrend(pts, o, result) : null;
    return early?.verdict === 'leak' ? { ...early, verdict: 'suspect', shape: 'early' } : result('insufficient-data', 'short');
  }
  if (longestGapMs > o.windowMs / 4) return result('insufficient-data', 'gap');

  // moved less than minRiseBytes in the window and never dropped that much: nothing
  // to judge (most rows, most of the time; the robust statistics below cost ~0.1-0.3
  // ms a row, this 20 us)
  const dropped = largestDrop(series) >= o.minRiseBytes;
  if (rangeOf(pts) < o.minRiseBytes && !dropped) return result('ok', 'too-small');

  // a series that gives memory back is judged by its floor, over the whole history;
  // no drop of minRiseBytes anywhere: no release can be, the cycles are skipped
  if (dropped) {
    const smooth = median3(series);
    const noiseBytes = noiseBytesOf(series);
    const cycles = findCycles(smooth, releaseBytesOf(smooth, bucketMedians(series, o.maxBuckets), noiseBytes, o.releaseShare, o.minRiseBytes));
    // a floor is off by up to one move between samples and by the noise: the floors
    // must rise past twice the one plus twice the other
    const floorSlackBytes = 2 * floorJitterBytesOf(smooth) + 2 * noiseBytes;
    const byFloor = cycles.releases.length > 0 ? judgeFloors(cycles, endMs, base.lastBytes, floorSlackBytes, o) : null;
    if (byFloor) return byFloor;
  }

  const trend = classifyTrend(pts, o, result);
  if (trend.verdict === 'leak' && !grewTheWindowBefore(series, trend, o)) return { ...trend, verdict: 'suspect', shape: 'provisional' };
  return trend;
}

/** A result over the window `base` spans. Its fields written out, not spread from base:
 * the spread was a tenth of the detectors' time at 100 VMs (a CPU profile). */
function shapeResult(base: { startMs: number; endMs: number; lastBytes: number }, spanMs: number, verdict: Verdict, shape: Shape, slope: number, fit: number): ShapeResult {
  return { startMs: base.startMs, endMs: base.endMs, lastBytes: base.lastBytes, verdict, shape, slopeBytesPerSec: slope * 1000, riseBytes: slope * spanMs, fit };
}

function rangeOf(pts: readonly Point[]): number {
  let low = Infinity;
  let high = -Infinity;
  for (const p of pts) {
    if (p.value < low) low = p.value;
    if (p.value > high) high = p.value;
  }
  return high - low;
}

/** The largest fall below an earlier point (running peak minus value). */
function largestDrop(pts: readonly Point[]): number {
  let peak = -Infinity;
  let drop = 0;
  for (const p of pts) {
    if (p.value > peak) peak = p.value;
    else if (peak - p.value > drop) drop = peak - p.value;
  }
  return drop;
}

/** The rising-floor test: the floors of the cycles within max(window, cyclesJudged
 * periods) must climb (Theil-Sen slope > 0, at least floorRising of the steps not
 * going down) by minRiseBytes or more: leak with three floors or more, suspect with
 * two. Otherwise the series comes back to its baseline: ok. Null when the last
 * release is older than two periods and a window: the cycle broke, the trend decides. */
function judgeFloors(cycles: Cycles, endMs: number, lastBytes: number, slackBytes: number, o: ShapeOptions): ShapeResult | null {
  const lastRelease = cycles.releases.at(-1)!;
  if (endMs - lastRelease.tMs > Math.max(2 * cycles.periodMs, o.windowMs)) return null;
  const spanMs = Math.max(o.windowMs, o.cyclesJudged * cycles.periodMs);
  const inSpan = cycles.floors.filter((f) => f.tMs >= endMs - spanMs);
  const floors = inSpan.length >= 2 ? inSpan : cycles.floors.slice(-2);
  // one release so far: one floor, nothing to compare it with; the series came down
  // once and climbs again within two of its cycles: a cycle in progress
  if (floors.length < 2) return { verdict: 'ok', shape: 'sawtooth', slopeBytesPerSec: 0, riseBytes: 0, fit: 0, startMs: floors[0]!.tMs, endMs, lastBytes };
  const startMs = floors[0]!.tMs;
  const line = theilSen(floors);
  const rise = line.slope * (floors.at(-1)!.tMs - startMs);
  const fit = floors.length >= 3 ? fitQuality(floors, line) : 1;
  const rising = line.slope > 0 && rise >= Math.max(o.minRiseBytes, slackBytes) &&
    risingShare(floors, Math.max(o.minRiseBytes / 4, slackBytes / 2)) >= o.floorRising;
  const verdict: Verdict = !rising ? 'ok' : floors.length >= 3 ? 'leak' : 'suspect';
  return {
    verdict, shape: rising ? 'rising-floor' : 'sawtooth',
    slopeBytesPerSec: line.slope * 1000, riseBytes: rise, fit, startMs, endMs, lastBytes,
  };
}

/** A climb seen over one window only may be the first half of a cycle longer than the
 * window: it is a leak once the window before grew too (by at least half of what the
 * fitted slope adds in a window); until then it is provisional (suspect). */
function grewTheWindowBefore(series: readonly Point[], current: ShapeResult, o: ShapeOptions): boolean {
  const before = series.filter((p) => p.tMs >= current.startMs - o.windowMs && p.tMs < current.startMs);
  if (before.length < o.minPoints || current.startMs - before[0]!.tMs < o.windowMs * o.minCoverage * 0.9) return false;
  const now = series.filter((p) => p.tMs >= current.startMs);
  const risePerWindow = (current.slopeBytesPerSec / 1000) * o.windowMs;
  return median(now.map((p) => p.value)) - median(before.map((p) => p.value)) >= 0.5 * risePerWindow;
}

/** How far back the growth goes: extend the window's line back over the stored
 * history, a tenth of a window at a time, while the points stay on it (median
 * residual within 4 robust standard deviations of the window's residuals, and at
 * least half of minRiseBytes). Before a leak began the series is flat, so it sits
 * above the extended line and the walk stops there. */
export function growthSince(series: readonly Point[], options: ShapeOptions, current: ShapeResult): number {
  const pts = lastWindow(series, options.windowMs);
  const slope = current.slopeBytesPerSec / 1000;
  const intercept = median(pts.map((p) => p.value - slope * p.tMs));
  const residual = (p: Point): number => p.value - (intercept + slope * p.tMs);
  const mad = median(pts.map((p) => Math.abs(residual(p))));
  const tolerance = Math.max(4 * 1.4826 * mad, options.minRiseBytes / 2);
  const step = options.windowMs / 10;
  let since = current.startMs;
  const first = series[0]?.tMs ?? since;
  while (since - step >= first - step / 2) {
    const segment = series.filter((p) => p.tMs >= since - step && p.tMs < since);
    if (segment.length === 0 || Math.abs(median(segment.map(residual))) > tolerance) break;
    since = segment[0]!.tMs;
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
  provisional: 'growing steadily for one window (provisional: a leak once the window before grew too)',
  early: 'growing steadily before its window is full (an early warning)',
  'rising-floor': 'its floor rises between frees',
};

export function shapeWords(shape: Shape): string {
  return SHAPE_WORDS[shape];
}
