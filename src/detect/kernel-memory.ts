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
// The caches that grew most between the latest /proc/slabinfo reading at or before the
// window's start and the latest one (slabinfo.ts; the collector reads it every few
// intervals, this stays pure) are named in the message, with the time between the two
// readings: "Caches that grew most over 10 s: vm_area_struct +30 MiB, maple_node
// +3.4 MiB." (cachesWords), and as numbers in the finding's quantities (cachesNamed reads
// them for the diagnosis's slab rule).
// Lost probe events do not matter: SUnreclaim comes from /proc/meminfo.
import type { Finding } from '../model/snapshot.js';
import { classifyGrowth, SHAPE_DEFAULTS, type ShapeOptions } from './growth-shape.js';
import { asQuantities, growthFinding, quantitiesOf } from './finding.js';
import { seriesOf, type HostHistoryPoint } from './history.js';
import type { SlabGrowth } from './slabinfo.js';
import { formatBytes, formatDuration } from '../format/quantities.js';

export const KERNEL_MEMORY_DEFAULTS: ShapeOptions = { ...SHAPE_DEFAULTS, minRiseBytes: 16 * 2 ** 20 };

export interface KernelMemoryContext {
  /** Caches that grew most over the window, biggest first; empty when unknown. */
  topCaches: readonly SlabGrowth[];
  /** The time between the two slabinfo readings topCaches compares; 0 when unknown. */
  topCachesOverMs?: number;
}

const CACHES_LEAD = 'Caches that grew most';

/** "Caches that grew most over 10 s: vm_area_struct +30 MiB, maple_node +3.4 MiB." */
export function cachesWords(top: readonly SlabGrowth[], overMs = 0): string {
  return `${CACHES_LEAD}${overMs > 0 ? ` over ${formatDuration(overMs)}` : ''}: ${top.map((c) => `${c.name} +${formatBytes(c.growthBytes)}`).join(', ')}.`;
}

const CACHE_KEY = 'cache:';

/** The caches a kernel-memory finding names (its quantities: `cachesOverMs` and
 * `cache:NAME` = bytes grown), biggest first, and the time between the two slabinfo
 * readings (0 when not known); null when it names none. */
export function cachesNamed(finding: Finding): { overMs: number; caches: { name: string; growthBytes: number }[] } | null {
  const q = quantitiesOf(finding);
  const caches = Object.entries(q)
    .filter(([key]) => key.startsWith(CACHE_KEY))
    .map(([key, growthBytes]) => ({ name: key.slice(CACHE_KEY.length), growthBytes }))
    .sort((a, b) => b.growthBytes - a.growthBytes);
  return caches.length ? { overMs: q.cachesOverMs ?? 0, caches } : null;
}

/** A module function, not an arrow made per call (see src/detect/history.ts, seriesOf). */
const slabUnreclaimableOf = (p: HostHistoryPoint): number => p.slabUnreclaimableBytes;

export function detectKernelMemory(
  history: readonly HostHistoryPoint[],
  context: KernelMemoryContext,
  options: Partial<ShapeOptions> = {},
): Finding {
  const o = { ...KERNEL_MEMORY_DEFAULTS, ...options };
  const series = seriesOf(history, slabUnreclaimableOf);
  const last = history.at(-1);
  const limits = last ? [{ name: 'host MemAvailable', limitBytes: last.memAvailableBytes, headroomBytes: last.memAvailableBytes }] : [];
  const caches = context.topCaches.length
    ? cachesWords(context.topCaches, context.topCachesOverMs)
    : 'Run `sudo slabtop -s c` to see which caches hold it.';
  const finding = growthFinding('kernel-memory', series, classifyGrowth(series, o), o, limits, {
    subject: 'unreclaimable kernel slab (SUnreclaim)',
    advice: `A kernel-side leak: only a reboot or the leaker's exit gives it back. ${caches}`,
  });
  // the same caches as numbers, for the diagnosis (cachesNamed)
  const quantities: Record<string, number> = {};
  for (const c of context.topCaches) quantities[`${CACHE_KEY}${c.name}`] = c.growthBytes;
  if (context.topCaches.length && context.topCachesOverMs) quantities.cachesOverMs = context.topCachesOverMs;
  return { ...finding, quantities: asQuantities(quantities) };
}
