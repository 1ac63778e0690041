// Words and numbers for people: the progress line `faultline record` keeps on a
// terminal, and durations. Pure.
import { formatBytes } from '../cli/render-text.js';

/** "45 s", "10 min", "1 h 30 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  const h = Math.floor(ms / 3_600_000);
  const min = Math.round((ms % 3_600_000) / 60_000);
  return min ? `${h} h ${min} min` : `${h} h`;
}

/** "00:01:23" */
export function formatClock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export interface RecordProgress {
  elapsedMs: number;
  frames: number;
  bytes: number;
  vmsSeen: number;
  lostEvents: number;
  /** flight-recorder mode: frames held in memory, not yet written */
  ringFrames?: number;
}

export function formatProgress(p: RecordProgress): string {
  const ring = p.ringFrames !== undefined ? `, ${p.ringFrames} in the ring` : '';
  const n = (count: number, what: string): string => `${count} ${what}${count === 1 ? '' : 's'}`;
  return `recording ${formatClock(p.elapsedMs)}  ${n(p.frames, 'frame')} written${ring}, ${formatBytes(p.bytes)}, ${n(p.vmsSeen, 'VM')} seen, ${n(p.lostEvents, 'lost event')}`;
}
