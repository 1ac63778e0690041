// Mapping growth: a process whose address space keeps growing: bytes mapped with
// mmap plus the program break's movement (brk), minus bytes unmapped with munmap,
// summed from the growth probe. Pure.
//
//   leak: net mapped bytes climb          ok: maps and unmaps in balance
//   net mapped      .·'                   net mapped  /\  /\/\   /\  /\/\  /\
//               .·'                                  /  \/    \_/  \/    \/  \
//           .·'                                     (thread stacks, big malloc
//       .·'                                          blocks, arenas come and go)
//   +-----------------> t                 +-----------------> t
//
// Unlike RSS this sees memory that is reserved but not yet touched, and leaks of
// big malloc blocks (glibc serves those above M_MMAP_THRESHOLD with mmap) the
// moment they are made. It also over-counts: mmap is counted on entry (failed calls,
// PROT_NONE reservations, MAP_FIXED remaps of already-mapped ranges) and mremap is
// not traced (glibc realloc of big blocks), so the series drifts; that is why its
// minimum rise is large and it judges only steady growth (classifyGrowth).
// Thresholds:
//   minRiseBytes   64 MiB over the window: one glibc malloc arena reservation
//                  (HEAP_MAX_SIZE, 2 x DEFAULT_MMAP_THRESHOLD_MAX = 64 MiB on
//                  64-bit) or eight 8 MiB thread stacks is not a leak.
//   the rest as growth-shape.ts.
// Lost probe events in the window, or the growth probe missing: insufficient-data
// (a lost munmap would look like a leak).
import type { Finding } from '../model/snapshot.js';
import { classifyGrowth, SHAPE_DEFAULTS, type ShapeOptions } from './growth-shape.js';
import { bareFinding, growthFinding } from './finding.js';
import { cumulativeOf, growthProbeMissingSince, type DetectContext, type VmHistoryPoint } from './history.js';
import { hostAndCgroupLimits } from './limits.js';

export const MAPPING_GROWTH_DEFAULTS: ShapeOptions = { ...SHAPE_DEFAULTS, minRiseBytes: 64 * 2 ** 20 };

/** A module function, not an arrow made per call (see src/detect/history.ts, seriesOf). */
const netMappedOf = (p: VmHistoryPoint): number => p.mmapBytes + p.brkBytes - p.munmapBytes;

export function detectMappingGrowth(
  history: readonly VmHistoryPoint[],
  context: DetectContext,
  options: Partial<ShapeOptions> = {},
): Finding {
  const o = { ...MAPPING_GROWTH_DEFAULTS, ...options };
  const last = history.at(-1);
  if (growthProbeMissingSince(history, (last?.timeMs ?? 0) - o.windowMs)) {
    return bareFinding('mapping-growth', 'insufficient-data', 'mapped bytes: not judged, the growth probe group was not attached for the whole window');
  }
  if (context.lostEventsInWindow > 0) {
    return bareFinding('mapping-growth', 'insufficient-data',
      `mapped bytes: not judged, the probes lost ${context.lostEventsInWindow} events in the window (a lost munmap would look like a leak)`);
  }
  const series = cumulativeOf(history, netMappedOf);
  return growthFinding('mapping-growth', series, classifyGrowth(series, o), o, hostAndCgroupLimits(context), {
    subject: 'net mapped bytes (mmap + brk - munmap)',
    advice: 'Address space that is mapped and never unmapped. `faultline leaks --pid PID` shows which call sites map it.',
  });
}
