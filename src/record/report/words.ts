// Numbers and names in report text. Pure.
import { formatBytes } from '../../cli/render-text.js';
import { formatDuration } from '../progress.js';

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

export function stallMs(ns: number): string {
  return ns < 0 ? '?' : `${(ns / 1e6).toFixed(ns < 10e6 ? 2 : 1)} ms`;
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
