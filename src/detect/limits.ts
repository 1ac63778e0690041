// Headroom and projected time to a limit, for findings. Pure.
//
//   bytes   limit ........................................
//                                   .·'  ^
//                               .·'      | headroom / growth rate
//                           .·'          | = time to limit
//   now ->              .·'              v
//
// The limits a growing process or VM runs into, whichever comes first: its memory
// cgroup (limit minus usage), the host (MemAvailable: what can still be allocated
// without swapping, by the kernel's own estimate), and for guest RAM the VM's
// configured size (the guest cannot touch more than that).
import type { DetectContext } from './history.js';

export interface Limit {
  name: string;
  limitBytes: number;
  headroomBytes: number;
}

export interface Projection {
  timeToLimitMs: number;
  limitBytes: number;
  limitName: string;
}

export const NO_PROJECTION: Projection = { timeToLimitMs: -1, limitBytes: 0, limitName: '' };

export function hostAndCgroupLimits(context: DetectContext): Limit[] {
  const limits: Limit[] = [];
  if (context.cgroupLimitBytes > 0) {
    limits.push({ name: 'cgroup limit', limitBytes: context.cgroupLimitBytes, headroomBytes: Math.max(0, context.cgroupLimitBytes - context.cgroupUsageBytes) });
  }
  if (context.hostMemTotalBytes > 0) {
    limits.push({ name: 'host MemAvailable', limitBytes: context.hostMemAvailableBytes, headroomBytes: context.hostMemAvailableBytes });
  }
  return limits;
}

/** The limit reached first at `bytesPerSec`; none when not growing or no limit known. */
export function projectToLimit(bytesPerSec: number, limits: readonly Limit[]): Projection {
  if (!(bytesPerSec > 0) || limits.length === 0) return NO_PROJECTION;
  const soonest = [...limits].sort((a, b) => a.headroomBytes - b.headroomBytes)[0]!;
  return {
    timeToLimitMs: Math.round((soonest.headroomBytes / bytesPerSec) * 1000),
    limitBytes: soonest.limitBytes,
    limitName: soonest.name,
  };
}
