// One interval of bpftrace 0.17 `-f json` output per probe group (SYNTHETIC values,
// the exact line shapes of test/fixtures/bpftrace/0.17/*.ndjson) for a host of N VMs,
// with `hotspotKeys` keys in each region map (@fault_region_sampled and
// @kvm_fault_region). Deterministic.
import type { SyntheticVm } from './synthetic-host.js';

type Entries = [string, number][];

function mapLine(name: string, entries: Entries): string {
  const body = entries.map(([k, v]) => `"${k}": ${v}`).join(', ');
  return `{"type": "map", "data": {"${name}": {${body}}}}`;
}

function scalarLine(name: string, value: number): string {
  return `{"type": "map", "data": {"${name}": ${value}}}`;
}

function histLine(name: string, entries: [string, { min: number; max: number; count: number }[]][]): string {
  const body = entries
    .map(([k, buckets]) => `"${k}": [${buckets.map((b) => `{"min": ${b.min}, "max": ${b.max}, "count": ${b.count}}`).join(', ')}]`)
    .join(', ');
  return `{"type": "hist", "data": {"${name}": {${body}}}}`;
}

const tick = (group: string): string => `{"type": "printf", "data": "faultline_tick ${group}\\n"}`;

/** Host processes besides the VMs that fault too (pids 30000+). */
const HOST_PIDS = Array.from({ length: 50 }, (_, i) => 30_000 + i);

export function syntheticIntervalOutput(vms: SyntheticVm[], hotspotKeys: number): Record<'faults' | 'kvm' | 'reclaim' | 'growth', string> {
  const perVm = Math.max(1, Math.floor(hotspotKeys / vms.length));
  const pids = [...vms.map((v) => v.pid), ...HOST_PIDS];
  const faults = [
    mapLine('@fault_user', pids.map((p, i) => [String(p), 16 * (50 + ((i * 37) % 900))])),
    mapLine('@fault_kernel', pids.filter((_, i) => i % 3 === 0).map((p, i) => [String(p), 16 * (1 + (i % 9))])),
    mapLine('@fault_file', pids.filter((_, i) => i % 4 === 0).map((p, i) => [String(p), 16 * (1 + (i % 5))])),
    mapLine('@fault_region_sampled', vms.flatMap((v, i) =>
      Array.from({ length: perVm }, (_, r): [string, number] => [`${v.pid},${v.guestRam.start / 2 ** 21 + ((r * 7 + i) % (v.memoryBytes / 2 ** 21))}`, 1 + ((r + i) % 30)]))),
    tick('faults'),
  ];
  const kvm = [
    mapLine('@kvm_fault', vms.map((v, i) => [String(v.pid), 500 + i * 11])),
    mapLine('@kvm_fault_region', vms.flatMap((v, i) =>
      Array.from({ length: perVm }, (_, r): [string, number] => [`${v.pid},${(r * 5 + i) % (v.memoryBytes / 2 ** 21)}`, 1 + ((r * 3 + i) % 40)]))),
    mapLine('@kvm_exit', vms.flatMap((v, i) => [1, 12, 30, 32, 48, 49, 28, 10, 2, 7].map((reason, j): [string, number] => [`${v.pid},${reason}`, 10 + ((i + j) * 97) % 5000]))),
    mapLine('@kvm_level', vms.flatMap((v, i) => [[`${v.pid},1`, 400 + i], [`${v.pid},2`, 20 + i]] as [string, number][])),
    mapLine('@kvm_async_pf', vms.filter((_, i) => i % 5 === 0).flatMap((v) => [[`${v.pid},1`, 3], [`${v.pid},2`, 3]] as [string, number][])),
    mapLine('@kvm_mmu_notifier', Array.from({ length: 500 }, (_, r): [string, number] => [`${1 + (r % 2)},${vms[r % vms.length]!.guestRam.start / 2 ** 21 + r}`, 1 + (r % 20)])),
    mapLine('@kvm_mmu_notifier_bytes', Array.from({ length: 500 }, (_, r): [string, number] => [`${1 + (r % 2)},${vms[r % vms.length]!.guestRam.start / 2 ** 21 + r}`, 4096 * (1 + (r % 20))])),
    tick('kvm'),
  ];
  const stalling = vms.filter((_, i) => i % 10 === 0);
  const reclaim = [
    mapLine('@reclaim_direct_count', stalling.map((v) => [String(v.pid), 12])),
    mapLine('@reclaim_direct_ns', stalling.map((v) => [String(v.pid), 3_400_000])),
    mapLine('@reclaim_direct_max_ns', stalling.map((v) => [String(v.pid), 900_000])),
    histLine('@reclaim_stall_hist_ns', stalling.map((v) => [String(v.pid), [13, 14, 15, 16, 17, 18, 19, 20].map((k) => ({ min: 2 ** k, max: 2 ** (k + 1) - 1, count: 1 + (k % 3) }))])),
    mapLine('@reclaim_pages', stalling.map((v) => [String(v.pid), 4000])),
    scalarLine('@kswapd_wake', 4),
    scalarLine('@kswapd_run_ns', 12_000_000),
    scalarLine('@lru_pages_reclaimed', 90_000),
    tick('reclaim'),
  ];
  const growth = [
    mapLine('@mmap_bytes', pids.map((p, i) => [String(p), 4096 * (1 + (i % 64))])),
    mapLine('@munmap_bytes', pids.map((p, i) => [String(p), 4096 * (1 + (i % 60))])),
    mapLine('@brk_bytes', pids.filter((_, i) => i % 2 === 0).map((p, i) => [String(p), 4096 * ((i % 5) - 2)])),
    mapLine('@madvise_bytes', vms.filter((_, i) => i % 3 === 0).flatMap((v) =>
      [0, 1, 2].map((r): [string, number] => [`${v.pid},4,${v.guestRam.start / 2 ** 21 + r}`, 2 * 2 ** 20]))),
    tick('growth'),
  ];
  return { faults: `${faults.join('\n')}\n`, kvm: `${kvm.join('\n')}\n`, reclaim: `${reclaim.join('\n')}\n`, growth: `${growth.join('\n')}\n` };
}
