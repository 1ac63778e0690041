// The leak report for a terminal. Pure.
import { formatBytes, formatDuration } from '../format/quantities.js';
import type { LeakReport } from './leak-report.js';
import { frameText } from './stack.js';

const clean = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, '?');

export function renderLeakReport(r: LeakReport, maxFrames = 8): string {
  const sampling = r.sample > 1 ? `1 in ${r.sample} allocations under 64 KiB kept, scaled` : 'every allocation kept';
  const lines = [
    `faultline leaks: pid ${r.pid} (${clean(r.comm)}), ${formatDuration(r.durationMs)} traced, ${sampling}`,
    `outstanding and older than ${formatDuration(r.minAgeMs)}: ${formatBytes(r.totalBytes)} in ~${Math.round(r.totalCount)} allocations` +
      `${r.sites.length ? `; top ${r.sites.length} call sites by bytes:` : ''}`,
  ];
  if (r.tableFull) lines.push(`  ! the probe's table filled (${r.keptAllocations} allocations): later ones were not kept; use a larger --sample`);
  if (r.lostEvents) lines.push(`  ! bpftrace lost ${r.lostEvents} events`);
  for (const note of r.notes ?? []) lines.push(`  ! ${clean(note)}`);
  for (const site of r.sites) {
    lines.push('');
    lines.push(`  ${formatBytes(site.bytes).padStart(10)}  ~${Math.round(site.count)} allocations (${site.sampled} kept), oldest ${formatDuration(site.oldestAgeMs)}`);
    for (const frame of site.frames.slice(0, maxFrames)) lines.push(`      ${clean(frameText(frame))}`);
    if (site.frames.length > maxFrames) lines.push(`      ... ${site.frames.length - maxFrames} more frames`);
  }
  return `${lines.join('\n')}\n`;
}
