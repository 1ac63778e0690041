// kvm_age_hva / kvm_unmap_hva_range fire in reclaim or MMU-notifier context: the
// task that runs them is kswapd or whoever reclaims, not the VM. The event carries
// only a host-virtual range, and every process has its own address space, so the
// same range can be valid in several QEMU processes. Attribute a range to the one VM
// whose guest-RAM mapping contains it; when none does it is unattributed, when more
// than one does it is ambiguous (counted for the host, never guessed). Pure.
import type { MmuNotifierRegion } from './probe-counters.js';
import { REGION_BYTES } from './hotspots.js';

export interface GuestRamRange {
  vmId: string;
  start: number;
  end: number;
}

export interface NotifierAttribution {
  byVm: Map<string, { calls: number; bytes: number }>;
  unattributedCalls: number;
  ambiguousCalls: number;
}

export function attributeMmuNotifier(regions: MmuNotifierRegion[], ranges: GuestRamRange[]): NotifierAttribution {
  const result: NotifierAttribution = { byVm: new Map(), unattributedCalls: 0, ambiguousCalls: 0 };
  for (const r of regions) {
    const start = r.region * REGION_BYTES;
    // the owners, counted up to two without an array per region (hundreds of regions x VMs)
    let owner: GuestRamRange | null = null;
    let owners = 0;
    for (const g of ranges) {
      if (start + REGION_BYTES <= g.start || start >= g.end) continue;
      owner ??= g;
      if (++owners > 1) break;
    }
    if (owners === 0) result.unattributedCalls += r.calls;
    else if (owners > 1) result.ambiguousCalls += r.calls;
    else {
      const vmId = owner!.vmId;
      const sum = result.byVm.get(vmId) ?? { calls: 0, bytes: 0 };
      sum.calls += r.calls;
      sum.bytes += r.bytes;
      result.byVm.set(vmId, sum);
    }
  }
  return result;
}
