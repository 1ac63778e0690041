// How KVM backs the selected guest's memory: the split of kvm_mmu_spte_requested by
// mapping level, 4 KiB / 2 MiB / 1 GiB. Mostly 4 KiB on a host with hugepages means
// THP is not backing guest RAM (and the TLB works harder). Shown only when there is
// KVM data; the counts are the server's totals (src/aggregate/guest-heat.ts, since it
// started or, in replay, since the recording's start), so a quiet interval does not
// blank it. This only draws.
import type { ProbeStatus, VmHeat, VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText } from './dom.js';
import { formatCount } from '../../src/format/quantities.js';
import { formatClock, formatPercent } from './format.js';
import { missingPointNote } from './probe-points.js';

const LEVELS = [
  { key: 'map4k', label: '4K' },
  { key: 'map2m', label: '2M' },
  { key: 'map1g', label: '1G' },
] as const;

export class MappingSplit {
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

  render(vm: VmSnapshot | null, heat: VmHeat | null, probes: ProbeStatus): void {
    const t = vm ? heat : null;
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
    setText(this.legend, `${text.join(' · ')} since ${formatClock(t.sinceMs)}`);
  }
}
