// Kernel memory: unreclaimable slab (SUnreclaim in /proc/meminfo) growing steadily
// is a kernel-side leak (a driver, a netfilter table, leaked sockets or file
// descriptors). The kernel cannot reclaim it; only a reboot or the leaker's exit
// gives it back. Host-wide. Pure.
//
//   leak: SUnreclaim climbs                ok: swings with traffic, comes back
//   SUnreclaim      .·'                    SUnreclaim    /\      /\/\    /\
//               .·'                                 ___/  \____/    \__/  \___
//           .·'                            (skbuffs, per-CPU caches, bio)
//   +-----------------> t                  +-----------------> t
//
// Shape: classifyGrowth (growth-shape.ts). Threshold:
//   minRiseBytes   16 MiB over the window. Measured on the 2-CPU test host: idle
//                  SUnreclaim wanders by about 0.3 MiB from second to second; on
//                  busy hosts network buffers and per-CPU caches swing by megabytes
//                  with bursts that come back. A steady 16 MiB per 10 minutes is
//                  2.3 GiB a day.
// The caches that grew most between the first and the latest /proc/slabinfo reading
// of the window (slabinfo.ts; the collector reads it, this stays pure) are named in
// the message. Lost probe events do not matter: SUnreclaim comes from /proc/meminfo.
import type { Finding } from '../model/snapshot.js';
import { classifyGrowth, SHAPE_DEFAULTS, type ShapeOptions } from './growth-shape.js';
import { growthFinding } from './finding.js';
import { seriesOf, type HostHistoryPoint } from './history.js';
import type { SlabGrowth } from './slabinfo.js';
import { formatBytes } from '../format/quantities.js';

export const KERNEL_MEMORY_DEFAULTS: ShapeOptions = { ...SHAPE_DEFAULTS, minRiseBytes: 16 * 2 ** 20 };

export interface KernelMemoryContext {
  /** Caches that grew most over the window, biggest first; empty when unknown. */
  topCaches: readonly SlabGrowth[];
}

export function detectKernelMemory(
  history: readonly HostHistoryPoint[],
  context: KernelMemoryContext,
  options: Partial<ShapeOptions> = {},
): Finding {
  const o = { ...KERNEL_MEMORY_DEFAULTS, ...options };
  const series = seriesOf(history, (p) => p.slabUnreclaimableBytes);
  const last = history.at(-1);
  const limits = last ? [{ name: 'host MemAvailable', limitBytes: last.memAvailableBytes, headroomBytes: last.memAvailableBytes }] : [];
  const caches = context.topCaches.length
    ? `Caches that grew most: ${context.topCaches.map((c) => `${c.name} +${formatBytes(c.growthBytes)}`).join(', ')}.`
    : 'Run `sudo slabtop -s c` to see which caches hold it.';
  return growthFinding('kernel-memory', series, classifyGrowth(series, o), o, limits, {
    subject: 'unreclaimable kernel slab (SUnreclaim)',
    advice: `A kernel-side leak: only a reboot or the leaker's exit gives it back. ${caches}`,
  });
}
