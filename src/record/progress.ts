// The progress line `faultline record` keeps on a terminal. Pure.
import { formatBytes } from '../format/quantities.js';

/** Time since the start as a clock: "00:01:23". */
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
