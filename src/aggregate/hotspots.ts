// Which memory regions fault: per process, the top 2 MiB regions named by the mapping
// they fall in (guest RAM with its guest-physical address, heap, stack, anon, file).
// Pure.
//
// Host user faults are sampled in the kernel 1 in 16 pages (probes/faults.bt,
// SAMPLING); the pid's user-fault count (@fault_user: 16 per sampled fault, the same
// sample) is spread over the sampled regions in proportion, so a process's hotspots
// add up to it. EPT faults (KVM) are exact and keyed by guest-physical address.
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

interface UserFaultRegion {
  region: number;
  startAddress: number;
  faults: number;
}

/** Sampled regions scaled to the pid's user-fault count; cheap: nothing is named yet. */
function userFaultRegions(counters: PidCounters): UserFaultRegion[] {
  let sampled = 0;
  for (const n of counters.regionSamples.values()) sampled += n;
  if (sampled === 0) return [];
  const scale = counters.faultUser / sampled;
  const out: UserFaultRegion[] = [];
  for (const [region, n] of counters.regionSamples) out.push({ region, startAddress: region * REGION_BYTES, faults: Math.round(n * scale) });
  return out;
}

/** A user-fault region named by the mapping it falls in. */
function userFaultHotspot(r: UserFaultRegion, ctx: HotspotContext): Hotspot {
  const ramBytes = ctx.guestRam ? ctx.guestRam.end - ctx.guestRam.start : 0;
  const inGuestRam = overlapsGuestRam(ctx.guestRam, r.startAddress);
  const named = regionKindOf(firstOverlap(ctx.mappings, r.startAddress, r.startAddress + REGION_BYTES), inGuestRam);
  const offset = inGuestRam ? Math.max(0, r.startAddress - ctx.guestRam!.start) : -1;
  return {
    ...named,
    startAddress: r.startAddress,
    guestPhysAddress: inGuestRam ? guestPhysOfRamOffset(ctx.machine, ramBytes, offset) : -1,
    bytes: REGION_BYTES,
    faults: r.faults,
    source: 'user-faults',
  };
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

/** The `limit` largest by faults (ties: lower address first, then input order), in one
 * pass with a small sorted array: a VM with thousands of hot regions sorts none of them. */
export function topByFaults<T extends { faults: number; startAddress: number }>(items: Iterable<T>, limit: number): T[] {
  const top: T[] = [];
  const before = (a: T, b: T): boolean => a.faults > b.faults || (a.faults === b.faults && a.startAddress < b.startAddress);
  if (limit <= 0) return top;
  for (const item of items) {
    if (item.faults <= 0) continue;
    if (top.length === limit) {
      if (!before(item, top[limit - 1]!)) continue;
      top.pop();
    }
    let i = top.length;
    top.push(item);
    while (i > 0 && before(item, top[i - 1]!)) {
      top[i] = top[i - 1]!;
      i -= 1;
    }
    top[i] = item;
  }
  return top;
}

/** Top `limit` regions by faults, EPT and host user faults together. Only the regions
 * that make the top are named (mapping lookup), so the cost is one pass over them. */
export function hotspotsOf(counters: PidCounters | undefined, ctx: HotspotContext): Hotspot[] {
  if (!counters) return [];
  type Candidate = { faults: number; startAddress: number; ept?: Hotspot; user?: UserFaultRegion };
  const candidates: Candidate[] = [
    ...eptFaultHotspots(counters, ctx).map((h) => ({ faults: h.faults, startAddress: h.startAddress, ept: h })),
    ...userFaultRegions(counters).map((r) => ({ faults: r.faults, startAddress: r.startAddress, user: r })),
  ];
  return topByFaults(candidates, ctx.limit).map((c) => c.ept ?? userFaultHotspot(c.user!, ctx));
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
