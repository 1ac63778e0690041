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
import { insertTopN } from './top-n.js';

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

/** A region that may make the top: enough to rank it, named only if it does. */
interface Candidate {
  faults: number;
  startAddress: number;
  /** the map key: a guest-physical region for EPT faults, a host-virtual one for user faults */
  region: number;
  source: GuestFaultSource;
}

/** A user-fault region named by the mapping it falls in. */
function userFaultHotspot(c: Candidate, ctx: HotspotContext): Hotspot {
  const ram = ctx.guestRam;
  const inGuestRam = overlapsGuestRam(ram, c.startAddress);
  const named = regionKindOf(firstOverlap(ctx.mappings, c.startAddress, c.startAddress + REGION_BYTES), inGuestRam);
  const offset = inGuestRam ? Math.max(0, c.startAddress - ram!.start) : -1;
  return {
    region: named.region,
    mapping: named.mapping,
    startAddress: c.startAddress,
    guestPhysAddress: inGuestRam ? guestPhysOfRamOffset(ctx.machine, ram!.end - ram!.start, offset) : -1,
    bytes: REGION_BYTES,
    faults: c.faults,
    source: 'user-faults',
  };
}

/** What a guest-physical address outside guest RAM is, on a PC (x86) machine: KVM
 * takes NPT/EPT faults there too, for firmware and emulated devices. */
export function nonRamGuestPhysName(gpa: number): string {
  if (gpa >= 0xffe00000 && gpa < 2 ** 32) return 'firmware ROM (BIOS flash)';
  if (gpa >= 0xfec00000 && gpa < 0xff000000) return 'device MMIO (IOAPIC, HPET, local APIC)';
  if (gpa >= 0xa0000 && gpa < 0x100000) return 'legacy VGA/ROM area';
  return 'not guest RAM (PCI hole or device memory)';
}

function eptFaultHotspot(c: Candidate, inRam: boolean | null): Hotspot {
  const gpa = c.region * REGION_BYTES;
  return {
    region: inRam ? 'guest-ram' : 'other',
    mapping: inRam ? '' : inRam === null ? 'guest-physical (guest RAM not found)' : nonRamGuestPhysName(gpa),
    startAddress: c.startAddress,
    guestPhysAddress: gpa,
    bytes: REGION_BYTES,
    faults: c.faults,
    source: 'kvm',
  };
}

/** Whether an item ranks before another: more faults, then the lower address. */
function ranksBefore(faults: number, startAddress: number, other: { faults: number; startAddress: number }): boolean {
  return faults > other.faults || (faults === other.faults && startAddress < other.startAddress);
}

/** Whether `top` (full at `limit`) would take an item: asked before the item is made. */
function wouldTake(top: { faults: number; startAddress: number }[], limit: number, faults: number, startAddress: number): boolean {
  if (faults <= 0 || limit <= 0) return false;
  return top.length < limit || ranksBefore(faults, startAddress, top[limit - 1]!);
}

type Ranked = { faults: number; startAddress: number };
const ranksFirst = (a: Ranked, b: Ranked): boolean => ranksBefore(a.faults, a.startAddress, b);

/** The `limit` largest by faults (ties: lower address first, then input order), in one
 * pass with a small sorted array: a VM with thousands of hot regions sorts none of them. */
export function topByFaults<T extends { faults: number; startAddress: number }>(items: Iterable<T>, limit: number): T[] {
  const top: T[] = [];
  for (const item of items) if (wouldTake(top, limit, item.faults, item.startAddress)) insertTopN(top, item, limit, ranksFirst);
  return top;
}

/** Top `limit` regions by faults, EPT faults first then host user faults (scaled from
 * the sample), ranked as topByFaults does. One pass over each map; a region becomes an
 * object only when it makes the top so far, and only the final top is named (mapping
 * lookup), so thousands of regions per VM allocate next to nothing. */
export function hotspotsOf(counters: PidCounters | undefined, ctx: HotspotContext): Hotspot[] {
  if (!counters) return [];
  const { limit } = ctx;
  const top: Candidate[] = [];
  const ram = ctx.guestRam;
  const ramBytes = ram ? ram.end - ram.start : 0;
  counters.kvmRegions.forEach((faults, region) => {
    const offset = ram ? ramOffsetOfGuestPhys(ctx.machine, ramBytes, region * REGION_BYTES) : -1;
    const startAddress = ram && offset >= 0 ? ram.start + offset : 0;
    if (wouldTake(top, limit, faults, startAddress)) insertTopN(top, { faults, startAddress, region, source: 'kvm' }, limit, ranksFirst);
  });
  let sampled = 0;
  for (const n of counters.regionSamples.values()) sampled += n;
  if (sampled > 0) {
    // the pid's user-fault count spread over the sampled regions in proportion
    const scale = counters.faultUser / sampled;
    counters.regionSamples.forEach((n, region) => {
      const faults = Math.round(n * scale);
      const startAddress = region * REGION_BYTES;
      if (wouldTake(top, limit, faults, startAddress)) insertTopN(top, { faults, startAddress, region, source: 'user-faults' }, limit, ranksFirst);
    });
  }
  const inRam = (c: Candidate): boolean | null => (ram === null ? null : ramOffsetOfGuestPhys(ctx.machine, ramBytes, c.region * REGION_BYTES) >= 0);
  return top.map((c) => (c.source === 'kvm' ? eptFaultHotspot(c, inRam(c)) : userFaultHotspot(c, ctx)));
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
