// Why the selected guest's vCPUs left guest mode this interval: KVM exit reasons by the
// kernel's names (npf = nested page fault on AMD, EPT_VIOLATION on Intel, io, msr, hlt...),
// most frequent first, as the server sent them (the top 8 per VM and interval).
import type { VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText } from './dom.js';
import { formatCount } from '../../src/format/quantities.js';

export class ExitReasons {
  private readonly list: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    this.list = el('div', 'caption');
    root.append(el('h3', '', 'VM exits this interval'), this.list);
  }

  render(vm: VmSnapshot | null): void {
    const exits = vm?.kind === 'vm' ? vm.kvm.exits : [];
    this.root.hidden = exits.length === 0;
    setText(this.list, exits.map((e) => `${e.name || `exit ${e.reason}`} ${formatCount(e.count)}`).join(' · '));
  }
}
