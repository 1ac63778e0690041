// How KVM backs the selected guest's memory: the split of kvm_mmu_spte_requested by
// mapping level, 4 KiB / 2 MiB / 1 GiB. Mostly 4 KiB on a host with hugepages means
// THP is not backing guest RAM (and the TLB works harder). Shown only when there is
// KVM data; counts are summed over the snapshots this page received (like the heat
// strip), so a quiet interval does not blank it.
import type { ProbeStatus, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText } from './dom.js';
import { formatCount } from '../../src/format/quantities.js';
import { formatClock, formatPercent } from './format.js';
import { missingPointNote } from './probe-points.js';

const LEVELS = [
  { key: 'map4k', label: '4K' },
  { key: 'map2m', label: '2M' },
  { key: 'map1g', label: '1G' },
] as const;

type Counts = Record<(typeof LEVELS)[number]['key'], number>;

export class MappingSplit {
  private readonly totals = new Map<string, Counts>();
  private lastSeq = -1;
  private sinceMs = 0;
  private readonly bar: HTMLElement;
  private readonly parts: HTMLElement[];
  private readonly legend: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    this.bar = el('div', 'split-bar');
    this.parts = LEVELS.map((l) => {
      const part = el('div', `split-part split-${l.label}`);
      this.bar.append(part);
      return part;
    });
    this.legend = el('div', 'caption');
    root.append(el('h3', '', 'KVM mapping level'), this.bar, this.legend);
    root.hidden = true;
  }

  reset(): void {
    this.totals.clear();
    this.lastSeq = -1;
    this.sinceMs = 0;
  }

  accumulate(snapshot: Snapshot): void {
    if (snapshot.seq <= this.lastSeq) return;
    this.lastSeq = snapshot.seq;
    if (!this.sinceMs) this.sinceMs = snapshot.timeMs;
    for (const vm of snapshot.vms) {
      if (vm.kvm.map4k + vm.kvm.map2m + vm.kvm.map1g === 0) continue;
      const t = this.totals.get(vm.id) ?? { map4k: 0, map2m: 0, map1g: 0 };
      for (const l of LEVELS) t[l.key] += vm.kvm[l.key];
      this.totals.set(vm.id, t);
    }
  }

  render(vm: VmSnapshot | null, probes: ProbeStatus): void {
    const t = vm ? this.totals.get(vm.id) : undefined;
    const sum = t ? t.map4k + t.map2m + t.map1g : 0;
    // a VM under KVM on a kernel without the point: say so where the split would be
    const missing = vm?.faults.guestRamSource === 'kvm' ? missingPointNote(probes, 'kvmmmu:kvm_mmu_spte_requested') : null;
    this.bar.hidden = missing !== null;
    if (missing) {
      this.root.hidden = false;
      setText(this.legend, missing);
      return;
    }
    this.root.hidden = !t || sum === 0;
    if (!t || sum === 0) return;
    const text: string[] = [];
    LEVELS.forEach((l, i) => {
      const fraction = t[l.key] / sum;
      this.parts[i]!.style.width = `${(fraction * 100).toFixed(1)}%`;
      text.push(`${l.label} ${formatCount(t[l.key])} (${formatPercent(fraction)})`);
    });
    setText(this.legend, `${text.join(' · ')} since ${formatClock(this.sinceMs)}`);
  }
}
