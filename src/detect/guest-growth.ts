// Guest growth: a VM whose guest RAM keeps filling toward its configured size.
// Not a leak of QEMU: the guest uses memory it was given. It matters when the host
// (or the VM's cgroup) cannot back the rest of it. Pure.
//
//   suspect: growing, host short          ok: warm-up with headroom, or levelled off
//   bytes   -m size .......................  bytes  -m size .....................
//                          .·'                               .·''''''''''''''''
//   guest RAM          .·'                   guest RAM   .·'
//                  .·'      host MemAvail                /
//   headroom   ___________________ < rest of -m         /
//   +-----------------> t                    +-----------------> t
//
// Signal: rss.guestRamBytes (resident bytes of the guest-RAM mapping, smaps).
// "Growing" is classifyGrowth saying leak or suspect (steady over the window) or a
// rise that began in the last third. "Under pressure", any of:
//   - host MemAvailable below 10% of MemTotal (earlyoom's default trigger);
//   - PSI memory some avg10 at least 10% (tasks stalled on memory a tenth of the
//     time; the trigger example in the kernel's psi.rst is 15%);
//   - overcommitted: the guest RAM not yet resident (-m size minus resident) is more
//     than the headroom (MemAvailable, or cgroup limit minus usage): the host cannot
//     back this VM if it keeps growing.
// Growing and under pressure: suspect, worded as guest growth with its own advice.
// Growing with headroom: ok, still worded as guest growth. Never `leak`: that word
// is for memory nobody uses any more, and this is in use by the guest.
import type { Finding } from '../model/snapshot.js';
import { classifyGrowth, shapeWords, SHAPE_DEFAULTS, type ShapeOptions } from './growth-shape.js';
import { bareFinding, growthFinding } from './finding.js';
import { seriesOf, type DetectContext, type VmHistoryPoint } from './history.js';
import { hostAndCgroupLimits, projectToLimit, type Limit } from './limits.js';
import { formatBytes, formatBytesPerSec, formatDuration } from '../format/quantities.js';

export interface GuestGrowthOptions extends ShapeOptions {
  lowAvailableRatio: number;
  psiSomeAvg10: number;
}

export const GUEST_GROWTH_DEFAULTS: GuestGrowthOptions = {
  ...SHAPE_DEFAULTS,
  lowAvailableRatio: 0.1,
  psiSomeAvg10: 10,
};

/** Why the host cannot take more growth of this guest, or '' when it can. */
export function pressureReason(context: DetectContext, remainingGuestBytes: number, o: GuestGrowthOptions): string {
  const { hostMemAvailableBytes: avail, hostMemTotalBytes: total } = context;
  if (total > 0 && avail < o.lowAvailableRatio * total) {
    return `host MemAvailable is ${formatBytes(avail)}, ${((100 * avail) / total).toFixed(0)}% of ${formatBytes(total)}`;
  }
  if (context.psiMemSomeAvg10 >= o.psiSomeAvg10) return `host memory pressure (PSI some avg10) is ${context.psiMemSomeAvg10.toFixed(1)}%`;
  const headrooms = hostAndCgroupLimits(context).filter((l) => l.headroomBytes < remainingGuestBytes);
  if (headrooms.length > 0) {
    const h = headrooms.sort((a, b) => a.headroomBytes - b.headroomBytes)[0]!;
    return `the ${h.name} leaves ${formatBytes(h.headroomBytes)}, less than the ${formatBytes(remainingGuestBytes)} of guest RAM not yet resident (overcommitted)`;
  }
  return '';
}

/** A module function, not an arrow made per call (see src/detect/history.ts, seriesOf). */
const guestRamOf = (p: VmHistoryPoint): number => p.guestRamBytes;

export function detectGuestGrowth(
  history: readonly VmHistoryPoint[],
  context: DetectContext,
  options: Partial<GuestGrowthOptions> = {},
): Finding {
  const o = { ...GUEST_GROWTH_DEFAULTS, ...options };
  const last = history.at(-1);
  if (!last || last.memoryBytes <= 0 || !last.guestRamKnown) {
    return bareFinding('guest-growth', 'insufficient-data', 'guest growth: not judged, the guest-RAM mapping or the configured size is unknown');
  }
  const series = seriesOf(history, guestRamOf);
  const shape = classifyGrowth(series, o);
  const size = `${formatBytes(last.guestRamBytes)} of ${formatBytes(last.memoryBytes)}`;
  if (shape.verdict === 'insufficient-data') {
    return growthFinding('guest-growth', series, shape, o, [], { subject: 'guest RAM', advice: '' });
  }
  const growing = shape.verdict === 'leak' || shape.verdict === 'suspect' || shape.shape === 'recent-rise';
  if (!growing) {
    return bareFinding('guest-growth', 'ok', `guest RAM ${shapeWords(shape.shape)}, ${size} resident`, {
      growthBytesPerSec: shape.slopeBytesPerSec, windowMs: shape.endMs - shape.startMs, fit: shape.fit, sinceMs: shape.startMs,
    });
  }
  const remaining = Math.max(0, last.memoryBytes - last.guestRamBytes);
  const limits: Limit[] = [
    { name: 'VM memory size', limitBytes: last.memoryBytes, headroomBytes: remaining },
    ...hostAndCgroupLimits(context),
  ];
  const projection = projectToLimit(shape.slopeBytesPerSec, limits);
  const pressure = pressureReason(context, remaining, o);
  const rate = `guest growth, not a QEMU leak: guest RAM rising ${formatBytesPerSec(shape.slopeBytesPerSec)} (fit ${shape.fit.toFixed(2)}), ${size} resident`;
  const reaches = projection.timeToLimitMs >= 0 ? `; reaches the ${projection.limitName} in ${formatDuration(projection.timeToLimitMs)}` : '';
  const message = pressure
    ? `${rate}, while ${pressure}${reaches}. The guest is using memory it was given: reclaim it with the balloon or ` +
      'free page reporting, give the VM a smaller size, or move it to a host with room.'
    : `${rate}${reaches}; the host has room for it: the guest warming up, not a leak.`;
  return bareFinding('guest-growth', pressure ? 'suspect' : 'ok', message, {
    growthBytesPerSec: shape.slopeBytesPerSec,
    windowMs: shape.endMs - shape.startMs,
    fit: shape.fit,
    sinceMs: shape.startMs,
    ...projection,
  });
}
