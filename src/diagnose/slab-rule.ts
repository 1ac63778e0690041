// slab-growth: unreclaimable kernel slab (SUnreclaim) keeps growing. The kernel cannot
// reclaim it; it comes back only when the leaker exits (or its module is unloaded),
// else at a reboot. Host-wide. Pure.
//
//   slab-growth: SUnreclaim climbs       healthy: swings with traffic, comes back
//   SUnreclaim        .·'                SUnreclaim    /\      /\/\    /\
//                 .·'                              ___/  \____/    \__/  \___
//             .·'   vm_area_struct +30 MiB
//   +-------------------> t              +-------------------> t
//   |  window before  |  leak window  |
//
// The judging is the kernel-memory detector's (src/detect/kernel-memory.ts, over the
// leak window, 10 min by default): this rule reads its current finding from the
// latest snapshot's host.findings. The detector's threshold is its minimum rise,
// 16 MiB over the window (idle SUnreclaim wanders by about 0.3 MiB; see there).
//
// Which verdicts count:
//   leak      yes: steady growth over two windows, fit at least 0.8.
//   suspect   only when, at its rate, it takes all of MemAvailable within the hour
//             (EARLY_WARNING_WITHIN_MS, the detector's own bound for early warnings).
//             Otherwise no: a suspect is one window of growth (the first climb of a
//             cycle longer than the window looks the same) or a noisy fit, and the
//             diagnosis is judged every interval and exported to /metrics and alert
//             rules, where a cause that comes and goes with each window is noise; the
//             suspect still goes out as a leak-finding event. The row `leak` rule
//             counts leaks only, for the same reason. But slab eating the host's
//             memory within the hour cannot wait two windows (20 min by default).
//
// Score (ranking among warnings): the rise over the window against the detector's
// 16 MiB minimum, at least 1 (the row leak rule's score).
//
// Example (test/kernel/diagnosis-slab.test.ts: a process keeping 16,000 one-page
// mappings a second, on this 2-CPU 6.18 host):
//   1. [warning] unreclaimable kernel slab keeps growing: 3.56 MiB/s for 15.5 s, most in vm_area_struct
//      SUnreclaim 89.5 MiB (0.4% of MemTotal), growing 3.56 MiB/s over the last 8 s (fit 1.00); at this
//        rate it takes the host MemAvailable (22.3 GiB) in 1.78 h
//      caches that grew most over 10 s: vm_area_struct +30.1 MiB, maple_node +3.21 MiB, kmalloc-192 +1.44 MiB, ...
//      do: vm_area_struct holds memory mappings (VMAs); it grows like this when a process keeps mapping
//        memory and never unmaps it (each mapping it keeps is a VMA). Find it: the process with the most
//        mappings: `sudo wc -l /proc/[0-9]*/maps 2>/dev/null | sort -n | tail -4`; watch the caches with
//        `sudo slabtop -s c`. Then restart or fix that process: its mappings go when it exits.
//        Unreclaimable slab comes back only when the leaker exits (or its module is unloaded), else at a reboot
import { formatBytes, formatBytesPerSec, formatDuration } from '../format/quantities.js';
import type { Cause, Finding } from '../model/snapshot.js';
import { cachesNamed, KERNEL_MEMORY_DEFAULTS } from '../detect/kernel-memory.js';
import { EARLY_WARNING_WITHIN_MS } from '../detect/finding.js';
import { hostCause, pct, round1, type RuleContext } from './rule-context.js';
import { slabCacheHint } from './slab-caches.js';
import type { Thresholds } from './thresholds.js';

/** Does this kernel-memory finding make a cause (see the header)? */
export function slabGrowthCounts(f: Finding): boolean {
  if (f.verdict === 'leak') return true;
  return f.verdict === 'suspect' && f.timeToLimitMs >= 0 && f.timeToLimitMs <= EARLY_WARNING_WITHIN_MS;
}

const cap = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export function slabRule(context: RuleContext, _t: Thresholds): Cause[] {
  const host = context.last.host;
  const finding = (host.findings ?? []).find((f) => f.detector === 'kernel-memory');
  if (!finding || !slabGrowthCounts(finding)) return [];
  const named = cachesNamed(finding);
  const top = named?.caches[0];
  const rate = formatBytesPerSec(finding.growthBytesPerSec);
  const forMs = Math.max(0, context.last.timeMs - finding.sinceMs);
  const toLimit = finding.timeToLimitMs >= 0
    ? `at this rate it takes the ${finding.limitName} (${formatBytes(finding.limitBytes)}) in ${formatDuration(finding.timeToLimitMs)}`
    : '';
  const title = finding.verdict === 'leak'
    ? `unreclaimable kernel slab keeps growing: ${rate} for ${formatDuration(forMs)}${top ? `, most in ${top.name}` : ''}`
    : `unreclaimable kernel slab is growing fast: ${rate}; ${toLimit}${top ? `; most in ${top.name}` : ''}`;
  const hint = top ? slabCacheHint(top.name) : null;
  const back = 'unreclaimable slab comes back only when the leaker exits (or its module is unloaded), else at a reboot';
  return [hostCause({
    cause: 'slab-growth',
    severity: 'warning',
    title,
    evidence: [
      `SUnreclaim ${formatBytes(host.slabUnreclaimableBytes)} (${round1(pct(host.slabUnreclaimableBytes, host.memTotalBytes))}% of MemTotal), growing ${rate} over the last ${formatDuration(finding.windowMs)} (fit ${finding.fit.toFixed(2)})${toLimit && finding.verdict === 'leak' ? `; ${toLimit}` : ''}`,
      named
        ? `caches that grew most${named.overMs > 0 ? ` over ${formatDuration(named.overMs)}` : ''}: ${named.caches.map((c) => `${c.name} +${formatBytes(c.growthBytes)}`).join(', ')}`
        : 'which caches grew is not known: /proc/slabinfo was not read (root only) or not twice yet',
    ],
    remedy: top && hint
      ? `${top.name} holds ${hint.holds}; it grows like this when ${hint.leaks}. Find it: ${hint.find}; watch the caches with \`sudo slabtop -s c\`. Then ${hint.fix}. ${cap(back)}`
      : `see which cache holds it: \`sudo slabtop -s c\` (sorted by size); a kernel-side leak: ${back}`,
    score: Math.max(1, (finding.growthBytesPerSec * finding.windowMs) / 1000 / KERNEL_MEMORY_DEFAULTS.minRiseBytes),
  })];
}
