// Where in each guest its memory is being populated: guest-RAM faults summed per 2 MiB
// guest-physical region, and KVM's mappings summed by level (4K/2M/1G), since a start
// time. The UI server keeps one (live: since faultline started; replay: from the
// recording's start up to the time looked at) and sends each VM's totals, so the
// browser only draws them. Pure: snapshots in, totals out.
import type { HeatFrame, Snapshot, VmHeat } from '../model/snapshot.js';

export const HEAT_REGION_BYTES = 2 * 1024 * 1024;

interface Totals {
  faultsByRegion: Map<number, number>;
  map4k: number;
  map2m: number;
  map1g: number;
}

export class GuestHeatTotals {
  private readonly perVm = new Map<string, Totals>();
  /** Time of the first snapshot added; 0 before. */
  sinceMs = 0;

  /** Adds one snapshot's guest-RAM hotspots and mapping levels (each snapshot once, in
   * order); returns the ids of the VMs whose totals changed. VMs absent from the
   * snapshot are forgotten. */
  add(snapshot: Snapshot): string[] {
    if (!this.sinceMs) this.sinceMs = snapshot.timeMs;
    const changed: string[] = [];
    const present = new Set<string>();
    for (const vm of snapshot.vms) {
      present.add(vm.id);
      let totals = this.perVm.get(vm.id);
      let moved = false;
      for (const h of vm.hotspots) {
        if (h.guestPhysAddress < 0 || !(h.faults > 0)) continue;
        if (!totals) this.perVm.set(vm.id, (totals = emptyTotals()));
        // a hotspot larger than one region spreads its faults evenly over the regions
        const first = Math.floor(h.guestPhysAddress / HEAT_REGION_BYTES);
        const count = Math.max(1, Math.ceil(h.bytes / HEAT_REGION_BYTES));
        for (let r = first; r < first + count; r++) totals.faultsByRegion.set(r, (totals.faultsByRegion.get(r) ?? 0) + h.faults / count);
        moved = true;
      }
      const mapped = vm.kvm.map4k + vm.kvm.map2m + vm.kvm.map1g;
      if (mapped > 0) {
        if (!totals) this.perVm.set(vm.id, (totals = emptyTotals()));
        totals.map4k += vm.kvm.map4k;
        totals.map2m += vm.kvm.map2m;
        totals.map1g += vm.kvm.map1g;
        moved = true;
      }
      if (moved) changed.push(vm.id);
    }
    for (const id of this.perVm.keys()) if (!present.has(id)) this.perVm.delete(id);
    return changed;
  }

  heatOf(vmId: string): VmHeat | null {
    const t = this.perVm.get(vmId);
    if (!t) return null;
    const regions = [...t.faultsByRegion.keys()].sort((a, b) => a - b);
    const faults = regions.map((r) => t.faultsByRegion.get(r)!);
    return {
      vmId,
      sinceMs: this.sinceMs,
      regionBytes: HEAT_REGION_BYTES,
      regions,
      faults,
      totalFaults: faults.reduce((sum, f) => sum + f, 0),
      map4k: t.map4k,
      map2m: t.map2m,
      map1g: t.map1g,
    };
  }

  /** reset: every VM's totals, replacing what a client holds; otherwise the VMs named. */
  frame(reset: boolean, vmIds: Iterable<string> = this.perVm.keys()): HeatFrame {
    const vms: VmHeat[] = [];
    for (const id of vmIds) {
      const heat = this.heatOf(id);
      if (heat) vms.push(heat);
    }
    return { reset, sinceMs: this.sinceMs, vms };
  }

  clone(): GuestHeatTotals {
    const copy = new GuestHeatTotals();
    copy.sinceMs = this.sinceMs;
    for (const [id, t] of this.perVm) copy.perVm.set(id, { ...t, faultsByRegion: new Map(t.faultsByRegion) });
    return copy;
  }
}

function emptyTotals(): Totals {
  return { faultsByRegion: new Map(), map4k: 0, map2m: 0, map1g: 0 };
}
