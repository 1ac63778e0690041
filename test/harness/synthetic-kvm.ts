// SYNTHETIC KVM events. This machine has no /dev/kvm, so KVM tracepoints attach but
// never fire. Tests build KVM events here instead: each event names its tracepoint and
// fields, the fields are checked against the kernel's own format file for that
// tracepoint (live /sys/kernel/tracing when present, else the copy captured in
// test/fixtures/tracepoint-formats/), and the events are folded the way probes/kvm.bt
// folds them into the JSON lines bpftrace 0.17 prints for its maps.
import { existsSync, readFileSync } from 'node:fs';

const FIXTURE_DIR = new URL('../fixtures/tracepoint-formats/', import.meta.url);

export interface SyntheticKvmEvent {
  tracepoint: 'kvm:kvm_page_fault' | 'kvm:kvm_exit' | 'kvmmmu:kvm_mmu_spte_requested'
    | 'kvm:kvm_async_pf_not_present' | 'kvm:kvm_async_pf_ready' | 'kvm:kvm_age_hva' | 'kvm:kvm_unmap_hva_range';
  /** The task the tracepoint fires in (bpftrace's `pid`). */
  pid: number;
  fields: Record<string, number>;
}

/** Field names of a tracepoint, from its format file (common_* fields left out). */
export function tracepointFields(tracepoint: string): string[] {
  const [group, name] = tracepoint.split(':') as [string, string];
  const live = `/sys/kernel/tracing/events/${group}/${name}/format`;
  const text = existsSync(live) ? readFileSync(live, 'utf8') : readFileSync(new URL(`${group}_${name}.format`, FIXTURE_DIR), 'utf8');
  return [...text.matchAll(/field:[^;]*?(\w+)(\[\])?;/g)].map((m) => m[1]!).filter((f) => !f.startsWith('common_'));
}

function checkFields(event: SyntheticKvmEvent): void {
  const known = tracepointFields(event.tracepoint);
  for (const field of Object.keys(event.fields)) {
    if (!known.includes(field)) throw new Error(`${event.tracepoint} has no field "${field}" (format has ${known.join(', ')})`);
  }
}

/** The JSON lines probes/kvm.bt would print for one interval holding these events. */
export function kvmProbeLines(events: SyntheticKvmEvent[]): string[] {
  const maps = new Map<string, Map<string, number>>();
  const add = (map: string, key: number[], value = 1): void => {
    const m = maps.get(map) ?? new Map<string, number>();
    m.set(key.join(','), (m.get(key.join(',')) ?? 0) + value);
    maps.set(map, m);
  };
  for (const e of events) {
    checkFields(e);
    const f = e.fields;
    switch (e.tracepoint) {
      case 'kvm:kvm_page_fault':
        add('@kvm_fault', [e.pid]);
        add('@kvm_fault_region', [e.pid, Math.floor(f.fault_address! / 2 ** 21)]);
        break;
      case 'kvm:kvm_exit':
        add('@kvm_exit', [e.pid, f.exit_reason!]);
        break;
      case 'kvmmmu:kvm_mmu_spte_requested':
        add('@kvm_level', [e.pid, f.level!]);
        break;
      case 'kvm:kvm_async_pf_not_present':
        add('@kvm_async_pf', [e.pid, 1]);
        break;
      case 'kvm:kvm_async_pf_ready':
        add('@kvm_async_pf', [e.pid, 2]);
        break;
      case 'kvm:kvm_age_hva':
      case 'kvm:kvm_unmap_hva_range': {
        const kind = e.tracepoint === 'kvm:kvm_age_hva' ? 1 : 2;
        add('@kvm_mmu_notifier', [kind, Math.floor(f.start! / 2 ** 21)]);
        add('@kvm_mmu_notifier_bytes', [kind, Math.floor(f.start! / 2 ** 21)], f.end! - f.start!);
        break;
      }
    }
  }
  const lines = ['{"type": "printf", "data": "faultline_ready kvm\\n"}'];
  for (const [name, entries] of maps) {
    lines.push(JSON.stringify({ type: 'map', data: { [name]: Object.fromEntries(entries) } }));
  }
  lines.push('{"type": "printf", "data": "faultline_tick kvm\\n"}');
  return lines;
}
