// Which memory regions fault: per process, the top 2 MiB regions named by the mapping
// they fall in (guest RAM with its guest-physical address, heap, stack, anon, file).
// Pure.
//
// Host user faults are sampled in the kernel 1 in 16 pages (probes/faults.bt,
// SAMPLING); the exact per-pid total is spread over the sampled regions in
// proportion, so a process's hotspots add up to its exact fault count. EPT faults
// (KVM) are exact and keyed by guest-physical address.
import type { Mapping } from '../model/host.js';
import type { GuestFaultSource, Hotspot, RegionKind } from '../model/snapshot.js';
import type { PidCounters } from './probe-counters.js';
import { guestPhysOfRamOffset, ramOffsetOfGuestPhys, type MachineKind } from './guest-phys.js';

export const REGION_SHIFT = 21;
export const REGION_BYTES = 2 ** REGION_SHIFT;

export interface HotspotContext {
  mappings: Mapping[];
  guestRam: Mapping | null;
  machine: MachineKind;
  limit: number;
}

/** First mapping that overlaps [start, end), by binary search over sorted mappings. */
export function firstOverlap(mappings: Mapping[], start: number, end: number): Mapping | null {
  let lo = 0;
  let hi = mappings.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (mappings[mid]!.end <= start) lo = mid + 1;
    else hi = mid;
  }
  const m = mappings[lo];
  return m && m.start < end ? m : null;
}

export function regionKindOf(mapping: Mapping | null, isGuestRam: boolean): { region: RegionKind; mapping: string } {
  if (isGuestRam) return { region: 'guest-ram', mapping: '' };
  if (!mapping) return { region: 'unmapped', mapping: '' };
  if (mapping.path === '[heap]') return { region: 'heap', mapping: mapping.path };
  if (mapping.path.startsWith('[stack')) return { region: 'stack', mapping: mapping.path };
  if (mapping.path.startsWith('/')) return { region: 'file', mapping: mapping.path };
  if (mapping.path === '') return { region: 'anon', mapping: '' };
  return { region: 'other', mapping: mapping.path };
}

function overlapsGuestRam(guestRam: Mapping | null, start: number): boolean {
  return guestRam !== null && start < guestRam.end && start + REGION_BYTES > guestRam.start;
}

function userFaultHotspots(counters: PidCounters, ctx: HotspotContext): Hotspot[] {
  let sampled = 0;
  for (const n of counters.regionSamples.values()) sampled += n;
  if (sampled === 0) return [];
  const scale = counters.faultUser / sampled;
  const ramBytes = ctx.guestRam ? ctx.guestRam.end - ctx.guestRam.start : 0;
  return [...counters.regionSamples].map(([region, n]) => {
    const startAddress = region * REGION_BYTES;
    const inGuestRam = overlapsGuestRam(ctx.guestRam, startAddress);
    const named = regionKindOf(firstOverlap(ctx.mappings, startAddress, startAddress + REGION_BYTES), inGuestRam);
    const offset = inGuestRam ? Math.max(0, startAddress - ctx.guestRam!.start) : -1;
    return {
      ...named,
      startAddress,
      guestPhysAddress: inGuestRam ? guestPhysOfRamOffset(ctx.machine, ramBytes, offset) : -1,
      bytes: REGION_BYTES,
      faults: Math.round(n * scale),
      source: 'user-faults' as GuestFaultSource,
    };
  });
}

function eptFaultHotspots(counters: PidCounters, ctx: HotspotContext): Hotspot[] {
  const ram = ctx.guestRam;
  const ramBytes = ram ? ram.end - ram.start : 0;
  return [...counters.kvmRegions].map(([region, faults]) => {
    const guestPhysAddress = region * REGION_BYTES;
    const offset = ram ? ramOffsetOfGuestPhys(ctx.machine, ramBytes, guestPhysAddress) : -1;
    return {
      region: 'guest-ram' as RegionKind,
      mapping: '',
      startAddress: ram && offset >= 0 ? ram.start + offset : 0,
      guestPhysAddress,
      bytes: REGION_BYTES,
      faults,
      source: 'kvm' as GuestFaultSource,
    };
  });
}

/** Top `limit` regions by faults, EPT and host user faults together. */
export function hotspotsOf(counters: PidCounters | undefined, ctx: HotspotContext): Hotspot[] {
  if (!counters) return [];
  return [...eptFaultHotspots(counters, ctx), ...userFaultHotspots(counters, ctx)]
    .filter((h) => h.faults > 0)
    .sort((a, b) => b.faults - a.faults || a.startAddress - b.startAddress)
    .slice(0, ctx.limit);
}

/** Faults that populated guest RAM through host user faults (TCG), from all sampled
 * regions (not only the top ones), scaled like the hotspots. */
export function guestRamUserFaults(counters: PidCounters | undefined, guestRam: Mapping | null): number {
  if (!counters || !guestRam) return 0;
  let sampled = 0;
  let inRam = 0;
  for (const [region, n] of counters.regionSamples) {
    sampled += n;
    if (overlapsGuestRam(guestRam, region * REGION_BYTES)) inRam += n;
  }
  return sampled === 0 ? 0 : Math.round((inRam * counters.faultUser) / sampled);
}
