// Turning a classified series into a Finding with its evidence and its words. Pure.
import type { Finding, Quantity, Verdict } from '../model/snapshot.js';
import { growthSince, shapeWords, type ShapeOptions, type ShapeResult } from './growth-shape.js';
import { NO_PROJECTION, projectToLimit, type Limit } from './limits.js';
import type { Point } from './robust-trend.js';
import { formatBytes, formatBytesPerSec, formatDuration } from '../format/quantities.js';

export interface GrowthWords {
  /** What grew, e.g. "anon memory (RSS anon + swap)". */
  subject: string;
  /** Appended to leak and suspect messages: what to do next. */
  advice: string;
}

/** The stored history is kept for this many windows; `since` looks back that far. */
export const HISTORY_WINDOWS = 3;

/** Before its window is full, steady growth is an early warning (suspect) only when,
 * at its rate, it reaches a limit (MemAvailable, its cgroup's) within this long: the
 * leaks an incident cannot wait ten minutes for. */
export const EARLY_WARNING_WITHIN_MS = 3_600_000;

/** The finding's quantities as an object by name ({} when it has none). */
export function quantitiesOf(finding: Finding): Record<string, number> {
  return Object.fromEntries((finding.quantities ?? []).map((q) => [q.name, q.value]));
}

/** An object of numbers as a finding's quantities. */
export function asQuantities(values: Record<string, number>): Quantity[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

export function bareFinding(detector: string, verdict: Verdict, message: string, fields: Partial<Finding> = {}): Finding {
  return {
    detector, verdict, message,
    growthBytesPerSec: 0, windowMs: 0, fit: 0, sinceMs: 0,
    timeToLimitMs: -1, limitBytes: 0, limitName: '',
    ...fields,
  };
}

export function growthFinding(
  detector: string,
  series: readonly Point[],
  shape: ShapeResult,
  options: ShapeOptions,
  limits: readonly Limit[],
  words: GrowthWords,
): Finding {
  const windowMs = shape.endMs - shape.startMs;
  if (shape.shape === 'early') {
    // an early warning only for growth that reaches a limit soon; else: not judged yet
    const early = projectToLimit(shape.slopeBytesPerSec, limits);
    if (early.timeToLimitMs < 0 || early.timeToLimitMs > EARLY_WARNING_WITHIN_MS) {
      shape = { ...shape, verdict: 'insufficient-data', shape: 'short', slopeBytesPerSec: 0, riseBytes: 0, fit: 0 };
    }
  }
  const growing = shape.verdict === 'leak' || shape.verdict === 'suspect';
  const sinceMs = growing ? growthSince(series, options, shape) : shape.startMs;
  const projection = growing ? projectToLimit(shape.slopeBytesPerSec, limits) : NO_PROJECTION;
  let message: string;
  if (shape.verdict === 'insufficient-data') {
    message = `${words.subject}: not judged, ${shapeWords(shape.shape)} (needs ${formatDuration(options.windowMs * options.minCoverage)} of samples)`;
  } else if (growing) {
    const toLimit = projection.timeToLimitMs >= 0
      ? `; at this rate it reaches the ${projection.limitName} (${formatBytes(projection.limitBytes)}) in ${formatDuration(projection.timeToLimitMs)}`
      : '';
    const how = shape.shape === 'rising-floor' ? ' (its floor, between frees)'
      : shape.shape === 'provisional' ? ' (provisional: one window of growth; a leak once it has grown for two)'
      : shape.shape === 'early' ? ` (early warning: ${formatDuration(windowMs)} of a ${formatDuration(options.windowMs)} window; judged when it is full)` : '';
    message = `${words.subject} grew ${formatBytesPerSec(shape.slopeBytesPerSec)}${how} for ${formatDuration(shape.endMs - sinceMs)} ` +
      `(fit ${shape.fit.toFixed(2)}), now ${formatBytes(shape.lastBytes)}${toLimit}. ${words.advice}`;
  } else {
    message = `${words.subject}: ${shapeWords(shape.shape)}, now ${formatBytes(shape.lastBytes)}` +
      (shape.riseBytes > 0 ? ` (${formatBytesPerSec(shape.slopeBytesPerSec)} over ${formatDuration(windowMs)})` : '');
  }
  return bareFinding(detector, shape.verdict, message, {
    growthBytesPerSec: shape.slopeBytesPerSec,
    windowMs,
    fit: shape.fit,
    sinceMs,
    ...projection,
  });
}
