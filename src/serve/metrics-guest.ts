// The guests' own view on /metrics: libvirt VMs' balloons and their guests'
// /proc/meminfo and swap, as `virsh domstats --balloon` gave them (the rows'
// guestMemory, read every 10 intervals). Only the series of VMs that have a reading,
// and only the figures the guest reports. Pure.
import type { GuestMemory } from '../model/snapshot.js';
import type { MetricFamily, Sample } from './metrics-format.js';

export interface GuestSeries {
  /** `vm="...",uuid="..."`, escaped */
  labels: string;
  guest: GuestMemory;
}

/** kind="..." label values and the figures they read. */
const MEMORY_KINDS = [['mem_total', 'memTotalBytes'], ['mem_free', 'memFreeBytes'], ['mem_available', 'memAvailableBytes']] as const;
const BALLOON_KINDS = [['current', 'balloonCurrentBytes'], ['maximum', 'balloonMaximumBytes']] as const;

function samples(series: GuestSeries[], kinds: ReadonlyArray<readonly [string, keyof GuestMemory]>, reported: (g: GuestMemory) => boolean): Sample[] {
  return series.filter((s) => reported(s.guest)).flatMap((s) =>
    kinds.filter(([, key]) => s.guest[key] >= 0).map(([kind, key]) => ({ labels: `${s.labels},kind="${kind}"`, value: s.guest[key] })));
}

export function guestFamilies(series: GuestSeries[]): MetricFamily[] {
  // figures the guest never reported (no stats period) are left out, not 0
  const fromGuest = (g: GuestMemory): boolean => g.guestUpdatedMs > 0;
  const counter = (key: 'swapInBytes' | 'swapOutBytes'): Sample[] =>
    series.filter((s) => fromGuest(s.guest) && s.guest[key] >= 0).map((s) => ({ labels: s.labels, value: s.guest[key] }));
  return [
    { name: 'faultline_vm_balloon_bytes', type: 'gauge', help: 'A libvirt VM\'s balloon (virsh domstats --balloon): current (what the guest has now) and maximum (<memory>).', samples: samples(series, BALLOON_KINDS, () => true) },
    { name: 'faultline_vm_guest_memory_bytes', type: 'gauge', help: 'The guest\'s own /proc/meminfo as its balloon driver reports it (libvirt VMs with a stats period): mem_total (libvirt\'s balloon.available), mem_free (balloon.unused), mem_available (balloon.usable).', samples: samples(series, MEMORY_KINDS, fromGuest) },
    { name: 'faultline_vm_guest_swap_in_bytes_total', type: 'counter', help: 'What the guest read back from its swap since it booted (balloon.swap_in).', samples: counter('swapInBytes') },
    { name: 'faultline_vm_guest_swap_out_bytes_total', type: 'counter', help: 'What the guest wrote out to its swap since it booted (balloon.swap_out).', samples: counter('swapOutBytes') },
  ];
}
