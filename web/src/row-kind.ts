// What a table row is, for the detail view to show only what applies to it:
// - vm-kvm: a QEMU guest under KVM (guest RAM, QEMU's own memory, NPT/EPT faults,
//   mapping levels, exit reasons, guest-physical heat);
// - vm-tcg: a QEMU guest under TCG (guest RAM filled by host user faults of the vCPU
//   threads; no NPT/EPT, no exits, no KVM mappings);
// - process: a host process (RSS by kind and host faults; nothing guest).
import type { VmSnapshot } from '../../src/model/snapshot.js';
import type { VmColumns } from './columns.js';

export type RowKind = 'vm-kvm' | 'vm-tcg' | 'process';

export const ROW_KIND_WORDS: Record<RowKind, string> = {
  'vm-kvm': 'VM under KVM',
  'vm-tcg': 'VM under TCG (no KVM)',
  process: 'host process',
};

/** From the latest snapshot's row; a VM that left it is judged by its chart columns. */
export function rowKindOf(vm: VmSnapshot | null, columns: VmColumns | undefined): RowKind {
  if (vm) {
    if (vm.kind !== 'vm') return 'process';
    return vm.faults.guestRamSource === 'kvm' ? 'vm-kvm' : 'vm-tcg';
  }
  if (columns?.kind !== 'vm') return 'process';
  return columns.eptFaultsPerSec.some((v) => v !== null && v > 0) ? 'vm-kvm' : 'vm-tcg';
}

/** Elements marked data-kinds="vm-kvm vm-tcg" are shown only for those row kinds. */
export function showForKind(root: ParentNode, kind: RowKind): void {
  for (const element of root.querySelectorAll<HTMLElement>('[data-kinds]')) {
    element.hidden = !(element.dataset.kinds ?? '').split(/\s+/).includes(kind);
  }
}
