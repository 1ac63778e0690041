// Process growth: a host process whose anonymous memory keeps growing. Pure.
//
//   leak                                 ok: warm-up, sawtooth, page cache
//   anon+swap       .·'                  anon+swap   .·''''''''''''  /|  /|  /|
//               .·'                               .'               / | / | / |
//           .·'                                  /                /  |/  |/  |
//       .·'                              file    ...........·····''''''''''''
//   +-----------------> t                +-----------------> t
//
// Signal: rss.anonBytes + rss.swapBytes from /proc/PID/status. Swap is counted
// because a leak on a host under pressure gets swapped out: anon RSS alone would
// fall while the leak goes on. File pages (rss.fileBytes, the page cache a
// process maps) are not: the kernel drops them when it needs the memory, so their
// growth is caching, not leaking. Shmem is left out too (it outlives the process).
//
// Shape: classifyGrowth (growth-shape.ts): steady growth in every third of the
// window, a floor that rises, a slope whose 95% CI excludes 0; leak at fit >= 0.8,
// else suspect. Thresholds:
//   window          10 min (SHAPE_DEFAULTS; --leak-window shortens it): longer
//                   than the GC and cache cycles of the runtimes we met, so their
//                   sawtooth falls back inside one window.
//   minRiseBytes    4 MiB over the window: two 2 MiB transparent huge pages. RSS
//                   moves in THP steps, so less than that can be one fault.
// Lost probe events do not matter here: RSS comes from /proc, not from the probes.
import type { Finding } from '../model/snapshot.js';
import { classifyGrowth, SHAPE_DEFAULTS, type ShapeOptions } from './growth-shape.js';
import { growthFinding } from './finding.js';
import { seriesOf, type DetectContext, type VmHistoryPoint } from './history.js';
import { hostAndCgroupLimits } from './limits.js';

export const PROCESS_GROWTH_DEFAULTS: ShapeOptions = { ...SHAPE_DEFAULTS };

/** A module function, not an arrow made per call (see src/detect/history.ts, seriesOf). */
const anonAndSwapOf = (p: VmHistoryPoint): number => p.anonBytes + p.swapBytes;

export function detectProcessGrowth(
  history: readonly VmHistoryPoint[],
  context: DetectContext,
  options: Partial<ShapeOptions> = {},
): Finding {
  const o = { ...PROCESS_GROWTH_DEFAULTS, ...options };
  const series = seriesOf(history, anonAndSwapOf);
  return growthFinding('process-growth', series, classifyGrowth(series, o), o, hostAndCgroupLimits(context), {
    subject: 'anon memory (RSS anon + swap)',
    advice: 'Page cache is not counted. `faultline leaks --pid PID` shows which call sites hold it.',
  });
}
