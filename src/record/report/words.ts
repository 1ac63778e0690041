// Numbers and names in report text. Pure. Bytes and durations are
// src/format/quantities.ts's, the same as everywhere else.
import { formatBytes, formatBytesPerSec, formatDuration } from '../../format/quantities.js';
import type { LeakVerdict } from '../../model/snapshot.js';

// re-exported for render-html.ts, which imports them from here
export { formatBytes, formatDuration };

/** Control characters in names from /proc or a recording are never printed raw. */
export function clean(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** "2026-11-26 08:00:31 UTC" */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "08:00:31" */
export function utcClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A stall time in ns as a duration ("2.1 ms", "350 µs"); "?" when unknown (-1). */
export function stallMs(ns: number): string {
  return ns < 0 ? '?' : formatDuration(ns / 1e6);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The line a report opens with when its recording was still open. */
export function stillOpenText(recording: { endTimeMs: number }): string {
  return `recording still open (being written, or its writer stopped without closing it): the report covers up to ${utcTime(recording.endTimeMs)}`;
}

/** "leak, 2.01 MiB/s over 19.5 s (fit 1.00)"; a verdict not judged yet shows no rate, so
 * it cannot be read as a measured 0 B/s: "insufficient-data (not judged yet: 4 s of samples)". */
export function leakVerdictText(leak: LeakVerdict): string {
  if (leak.verdict === 'insufficient-data') {
    return `insufficient-data (not judged yet${leak.windowMs > 0 ? `: ${formatDuration(leak.windowMs)} of samples` : ': no samples'})`;
  }
  return `${leak.verdict}, ${formatBytesPerSec(leak.growthBytesPerSec)} over ${formatDuration(leak.windowMs)} (fit ${leak.fit.toFixed(2)})`;
}

/** "12:00:05 process-growth insufficient-data -> ok, 12:00:15 process-growth ok -> suspect";
 * `dropped` changes between the first and the latest ones are said so. */
export function verdictChangesText(changes: readonly { atMs: number; detector: string; from: string; to: string }[], dropped: number): string {
  const items = changes.map((c) => `${utcClock(c.atMs)} ${c.detector} ${c.from} -> ${c.to}`);
  if (dropped > 0) items.splice(changes.length / 2, 0, `(${dropped} more)`);
  return items.join(', ');
}
