// QEMU's own memory: for a VM, anonymous memory that is not guest RAM (QEMU's heap,
// device buffers, vhost rings, block-layer caches, TCG code cache) that keeps
// growing. The classic host-side leak. Pure.
//
//   leak: own anon grows                 ok: guest RAM warms up, own anon flat
//   bytes                                bytes   guest RAM  .·''''''''''''' = -m size
//                    .·'                                 .·'
//   own anon     .·'                                  .·'
//            .·'                         own anon ..............................
//   +-----------------> t                +-----------------> t
//
// Signal: rss.ownAnonBytes = anon + shmem RSS minus the resident bytes of the
// guest-RAM mapping (src/aggregate/build-snapshot.ts). Guest RAM warming up to
// the configured size is not in it, so it is never reported as a QEMU leak (that
// growth is the guest-growth detector's). When the guest-RAM mapping was not found
// (guest RAM on hugetlbfs or a file, an unknown -m), ownAnonBytes would include guest
// RAM: insufficient-data, never a guess.
//
// Shape and thresholds: classifyGrowth, as process-growth.ts (window 10 min, rise
// at least 4 MiB, leak at fit >= 0.8). QEMU's own memory does warm up (the TCG code
// cache fills, virtio queues allocate, a migration adds buffers), and levels off:
// the levelled-off test keeps that ok.
import type { Finding } from '../model/snapshot.js';
import { classifyGrowth, SHAPE_DEFAULTS, type ShapeOptions } from './growth-shape.js';
import { bareFinding, growthFinding } from './finding.js';
import { seriesOf, type DetectContext, type VmHistoryPoint } from './history.js';
import { hostAndCgroupLimits } from './limits.js';

export const QEMU_OWN_DEFAULTS: ShapeOptions = { ...SHAPE_DEFAULTS };

/** Module functions, not arrows made per call (see src/detect/history.ts, seriesOf). */
const ownAnonOf = (p: VmHistoryPoint): number => p.ownAnonBytes;

export function detectQemuOwn(
  history: readonly VmHistoryPoint[],
  context: DetectContext,
  options: Partial<ShapeOptions> = {},
): Finding {
  const o = { ...QEMU_OWN_DEFAULTS, ...options };
  const last = history.at(-1);
  if (last && last.memoryBytes > 0 && !last.guestRamKnown) {
    return bareFinding('qemu-own', 'insufficient-data',
      "QEMU's own memory: not judged, the guest-RAM mapping was not found, so QEMU's own memory cannot be told from guest RAM");
  }
  const series = seriesOf(history, ownAnonOf);
  return growthFinding('qemu-own', series, classifyGrowth(series, o), o, hostAndCgroupLimits(context), {
    subject: "QEMU's own memory (anon, not guest RAM)",
    advice: 'A host-side leak in QEMU (device emulation, vhost, block layer), not guest growth. ' +
      '`faultline leaks --pid PID` shows which call sites hold it.',
  });
}
