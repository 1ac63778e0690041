// The lab's verdict on one kernel: what faultline reported inside L1 (real KVM, that
// kernel, that bpftrace) against the independent counts taken at the same time
// (test/lab/l1-driver.ts). Run by test/lab/run.mjs after each L1 boot, with
// LAB_OUT = that boot's folder; prints the table the README's "Runs on" comes from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

const OUT = process.env.LAB_OUT ?? '';
const hasResults = OUT !== '' && existsSync(join(OUT, 'results.json'));
// run by test/lab/run.mjs (LAB_REQUIRED=1) a missing result is a failure: L1 died
if (!hasResults && process.env.LAB_REQUIRED === '1') {
  test('the lab machine ran to the end and wrote its results', () => {
    assert.fail(`no results.json in ${OUT}: L1 stopped before its script ended (see its console)`);
  });
}
const skip = hasResults ? false : `no lab results in LAB_OUT (${OUT || 'unset'}): run test/lab/run.mjs`;

interface Scenario {
  name: string;
  what: string;
  guestName: string;
  uuid: string;
  pid: number;
  memoryBytes: number;
  startMs: number;
  endMs: number;
  reference: Record<string, unknown>;
  debugfs: Record<string, number>;
  debugfsWhileRunning: Record<string, number>;
  smapsGuestRamBytes: number;
  smapsMs: number;
  vmstatDelta: Record<string, number>;
  notes: string[];
  numaReference?: { bytesByNode: Record<string, number>; vcpuCpus: number[]; nodes: { node: number; totalBytes: number; cpulist: string }[]; atMs: number };
  error?: string;
}

interface Results {
  kernel: string;
  scenarios: Scenario[];
  oom?: { pid: number; startMs: number; endMs: number; memoryEvents: string; reference: Record<string, Record<string, number>>; error?: string };
  faultlineExit: number | null;
  error?: string;
}

const results: Results = skip ? ({ kernel: '', scenarios: [], faultlineExit: null } as Results) : JSON.parse(readFileSync(join(OUT, 'results.json'), 'utf8'));
const snapshots: Snapshot[] = skip ? [] : readFileSync(join(OUT, 'faultline.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Snapshot);
const table: string[][] = [];

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0);
const keyed = (v: unknown): Record<string, number> => (v && typeof v === 'object' ? (v as Record<string, number>) : {});
/** Within 5% of the reference, or 2 counts for small numbers. */
const near = (value: number, reference: number): boolean => Math.abs(value - reference) <= Math.max(0.05 * reference, 2);

function rowsOf(s: Scenario): VmSnapshot[] {
  return snapshots
    .filter((snap) => snap.timeMs >= s.startMs - 5000 && snap.timeMs <= s.endMs + 15_000)
    .flatMap((snap) => snap.vms.filter((v) => v.pid === s.pid));
}

function sum(rows: VmSnapshot[], pick: (v: VmSnapshot) => number): number {
  return rows.reduce((total, v) => total + pick(v), 0);
}

function compare(label: string, scenario: string, faultline: number, reference: number, source: string): void {
  table.push([scenario, label, String(faultline), String(reference), source, near(faultline, reference) ? 'ok' : 'DIFF']);
}

test('the lab ran: faultline started, every scenario completed, faultline exited 0', { skip }, () => {
  assert.equal(results.error, undefined, `driver: ${results.error}`);
  assert.ok(snapshots.length > 10, `${snapshots.length} snapshots`);
  for (const s of results.scenarios) assert.equal(s.error, undefined, `${s.name}: ${s.error}\n${s.notes.join('\n')}`);
  assert.equal(results.faultlineExit, 0);
});

test('every probe group attached; what is missing on this kernel is named per point', { skip }, () => {
  const probes = snapshots[0]!.probes;
  assert.deepEqual([...probes.attached].sort(), ['faults', 'growth', 'kvm', 'reclaim']);
  const missing = probes.groups.flatMap((g) => g.points.filter((p) => p.state !== 'attached').map((p) => p.point));
  const release = results.kernel.match(/^(\d+)\.(\d+)/)!;
  const before611 = Number(release[1]) < 6 || (Number(release[1]) === 6 && Number(release[2]) < 11);
  assert.deepEqual(missing, before611 ? ['filemap:mm_filemap_fault'] : [], `missing on ${results.kernel}`);
  if (before611) {
    const filemap = probes.groups.find((g) => g.group === 'faults')!.points.find((p) => p.point === 'filemap:mm_filemap_fault')!;
    assert.match(filemap.needs, /Linux >= 6\.11/);
    // file faults then come from /proc (exact major faults), and the rows say so
    const rows = snapshots.flatMap((s) => s.vms);
    assert.ok(rows.length > 0 && rows.every((v) => v.faults.fileSource === 'proc-majflt' && v.faults.file === v.faults.major));
  }
  writeFileSync(join(OUT, 'probes.json'), JSON.stringify(probes.groups, null, 1));
});

for (const name of ['thp', '4k', '1g', 'swap']) {
  test(`${name}: the L2 guest's row against the kernel's own counts`, { skip }, () => {
    const s = results.scenarios.find((x) => x.name === name);
    assert.ok(s, `scenario ${name} ran`);
    assert.equal(s.error, undefined, s.error);
    const rows = rowsOf(s);
    assert.ok(rows.length >= 3, `${rows.length} rows for pid ${s.pid}`);
    // the VM row: named from its argv, guest RAM counted under KVM
    for (const v of rows) {
      assert.equal(v.kind, 'vm');
      assert.equal(v.name, s.guestName);
      assert.equal(v.uuid, s.uuid);
      assert.equal(v.source, 'libvirt');
      assert.equal(v.memoryBytes, s.memoryBytes);
    }
    assert.ok(rows.some((v) => v.faults.guestRamSource === 'kvm'), 'guestRamSource kvm');
    const ref = s.reference;
    const exitsRef = keyed(ref['@exit']);
    const levelRef = keyed(ref['@level']);

    // NPT faults per VM: faultline's sum over its snapshots = the reference's count
    const ept = sum(rows, (v) => v.kvm.eptFaults);
    compare('NPT faults', name, ept, num(ref['@npf']), 'bpftrace one-liner');
    assert.ok(num(ref['@npf']) > 0 && near(ept, num(ref['@npf'])), `NPT faults ${ept} vs ${num(ref['@npf'])}`);
    table.push([name, 'NPT faults (kernel pf_taken)', String(ept), String(s.debugfs.pf_taken ?? ''), '/sys/kernel/debug/kvm pf_taken', 'info']);

    // exits, named from the kernel's table: npf is 1024 on AMD
    const exitsByName = new Map<string, number>();
    for (const v of rows) for (const e of v.kvm.exits) exitsByName.set(e.name, (exitsByName.get(e.name) ?? 0) + e.count);
    compare('exits named npf', name, exitsByName.get('npf') ?? 0, num(exitsRef['1024']), 'bpftrace one-liner, exit_reason 1024');
    assert.ok(near(exitsByName.get('npf') ?? 0, num(exitsRef['1024'])), `npf exits ${exitsByName.get('npf')} vs ${exitsRef['1024']}`);
    const refTotal = Object.values(exitsRef).reduce((a, b) => a + num(b), 0);
    table.push([name, 'exits, all reasons (kernel)', String([...exitsByName.values()].reduce((a, b) => a + b, 0)), String(s.debugfs.exits ?? ''), `debugfs exits; one-liner ${refTotal}`, 'info']);
    assert.ok([...exitsByName.keys()].every((n) => !/^exit \d+$/.test(n)), `unnamed exit reasons: ${[...exitsByName.keys()].join(', ')}`);

    // mapping levels: 4K / 2M / 1G requested
    for (const [level, key] of [[1, 'map4k'], [2, 'map2m'], [3, 'map1g']] as const) {
      const value = sum(rows, (v) => v.kvm[key]);
      compare(key, name, value, num(levelRef[String(level)]), 'bpftrace one-liner');
      assert.ok(near(value, num(levelRef[String(level)])), `${key} ${value} vs ${levelRef[String(level)]}`);
    }
    if (name === 'thp') assert.ok(sum(rows, (v) => v.kvm.map2m) > 0 && (s.debugfsWhileRunning.pages_2m ?? 0) > 0, 'THP: 2M mappings');
    if (name === '4k' || name === 'swap') assert.equal(num(levelRef['2']), 0, 'THP never: no 2M mapping');
    if (name === '1g') assert.ok(sum(rows, (v) => v.kvm.map1g) > 0 && (s.debugfsWhileRunning.pages_1g ?? 0) > 0, '1G mappings');

    // guest RAM resident, read while the guest was paused, against smaps (+ Hugetlb lines)
    const pausedSnapshot = snapshots.find((snap) => snap.timeMs > s.smapsMs && snap.vms.some((v) => v.pid === s.pid))!;
    const paused = pausedSnapshot.vms.find((v) => v.pid === s.pid)!;
    compare('guest RAM bytes', name, paused.rss.guestRamBytes, s.smapsGuestRamBytes, '/proc/PID/smaps (Rss + Hugetlb)');
    assert.ok(Math.abs(paused.rss.guestRamBytes - s.smapsGuestRamBytes) <= 0.05 * s.smapsGuestRamBytes, `guest RAM ${paused.rss.guestRamBytes} vs smaps ${s.smapsGuestRamBytes}`);

    // hotspots at guest-physical addresses: guest RAM only inside the guest's RAM
    const kvmHotspots = rows.flatMap((v) => v.hotspots.filter((h) => h.source === 'kvm'));
    assert.ok(kvmHotspots.length > 0, 'NPT hotspots');
    for (const h of kvmHotspots) {
      const insideRam = h.guestPhysAddress >= 0 && h.guestPhysAddress < s.memoryBytes;
      if (h.region === 'guest-ram') assert.ok(insideRam, `a guest-RAM hotspot at GPA 0x${h.guestPhysAddress.toString(16)}, beyond ${s.memoryBytes}`);
      if (h.guestPhysAddress >= 0xffe00000) assert.notEqual(h.region, 'guest-ram', 'the BIOS ROM is not guest RAM');
    }

    // MMU notifiers on this guest's RAM
    const notifier = sum(rows, (v) => v.kvm.mmuNotifier);
    const notifierRef = num(ref['@unmap']) + num(ref['@age']);
    compare('MMU notifier calls', name, notifier, notifierRef, 'bpftrace one-liner, hva in guest RAM');
    assert.ok(near(notifier, notifierRef), `MMU notifiers ${notifier} vs ${notifierRef}`);
    if (name === 'thp') assert.ok(num(ref['@unmap']) > 0, 'the balloon inflate unmapped guest pages');

    // async page faults: guest memory swapped out by L1, then touched again
    const apf = sum(rows, (v) => v.kvm.asyncPfNotPresent);
    compare('async PF (not present)', name, apf, num(ref['@apf_not_present']), 'bpftrace one-liner');
    assert.ok(near(apf, num(ref['@apf_not_present'])), `async PF ${apf} vs ${ref['@apf_not_present']}`);
    if (name === 'swap') {
      assert.ok((s.vmstatDelta.pswpout ?? 0) > 0 && (s.vmstatDelta.pswpin ?? 0) > 0, `L1 swapped: ${JSON.stringify(s.vmstatDelta)}`);
      assert.ok(num(ref['@apf_try']) > 0, 'KVM tried async page faults');
      assert.ok(notifierRef > 0, 'reclaim unmapped or aged guest pages');
      const stalls = sum(rows, (v) => v.reclaim.memcgStalls);
      table.push([name, 'memcg reclaim stalls of the VM', String(stalls), '', 'QEMU in a 112 MiB cgroup', stalls > 0 ? 'ok' : 'DIFF']);
      assert.ok(stalls > 0, 'the VM stalled in memcg reclaim');
    }
  });
}

test('NUMA on a two-node L1: guest RAM bound to the memory-only node 1, its vCPU on node 0; numa-remote names it', { skip }, () => {
  const s = results.scenarios.find((x) => x.name === '4k');
  const ref = s?.numaReference;
  assert.ok(s && ref, 'the 4k scenario ran on a two-node L1 and read its NUMA reference');
  // the nodes, as sysfs has them
  const host = snapshots.find((snap) => snap.timeMs >= ref.atMs)?.host ?? snapshots.at(-1)!.host;
  assert.deepEqual(host.numaNodes.map((n) => [n.node, n.totalBytes]), ref.nodes.map((n) => [n.node, n.totalBytes]));
  assert.deepEqual(host.numaNodes.map((n) => n.cpus > 0), ref.nodes.map((n) => n.cpulist !== ''));
  // the row's last NUMA reading before the reference (numa_maps is read every 10
  // intervals; later ones may catch QEMU tearing its memory down): memory by node,
  // vCPU placement
  const row = snapshots
    .filter((snap) => snap.timeMs >= s.startMs && snap.timeMs <= ref.atMs)
    .flatMap((snap) => snap.vms.filter((v) => v.pid === s.pid && v.numa.length > 0 && v.vcpuNodes.length > 0))
    .at(-1);
  assert.ok(row, `a row of ${s.guestName} with its memory and vCPUs by node`);
  const total = row.numa.reduce((sum, n) => sum + n.bytes, 0);
  const refTotal = Object.values(ref.bytesByNode).reduce((a, b) => a + b, 0);
  const node1 = row.numa.find((n) => n.node === 1)?.bytes ?? 0;
  compare('bytes on node 1 (guest RAM bound there)', '4k', node1, ref.bytesByNode['1'] ?? 0, '/proc/PID/numa_maps');
  assert.ok(Math.abs(node1 - (ref.bytesByNode['1'] ?? 0)) <= 0.05 * refTotal, `node 1: ${node1} vs numa_maps ${ref.bytesByNode['1']} (of ${refTotal})`);
  assert.ok(node1 > 0.5 * total, `most of the VM on node 1: ${node1} of ${total}`);
  compare('vCPU threads on node 0', '4k', row.vcpuNodes.find((n) => n.node === 0)?.threads ?? 0, ref.vcpuCpus.length, 'task stat field 39, node0/cpulist');
  assert.deepEqual(row.vcpuNodes, [{ node: 0, threads: ref.vcpuCpus.length }], `vCPUs last ran on CPUs ${ref.vcpuCpus.join(',')}`);
  // the diagnosis: numa-remote about this VM, with the libvirt remedy (its argv is libvirt's)
  const causes = snapshots.filter((snap) => snap.timeMs >= s.startMs && snap.timeMs <= s.endMs + 15_000).flatMap((snap) => snap.diagnosis?.causes ?? []);
  const remote = causes.find((c) => c.cause === 'numa-remote' && c.pid === s.pid);
  assert.ok(remote, `numa-remote for ${s.guestName}; causes seen: ${[...new Set(causes.map((c) => c.cause))].join(', ')}`);
  assert.match(remote.remedy, new RegExp(`virsh numatune ${s.guestName} --mode strict --nodeset 0 --live`));
  table.push(['4k', 'diagnosis', remote.title, '', 'numa-remote', 'ok']);
});

test('reclaim and OOM inside L1: a process in a 64 MiB cgroup is stalled and OOM-killed', { skip }, () => {
  const oom = results.oom;
  assert.ok(oom && !oom.error, `oom scenario: ${oom?.error}`);
  assert.match(oom.memoryEvents, /^oom_kill 1$/m, oom.memoryEvents);
  const kills = snapshots.flatMap((s) => s.events).filter((e) => e.type === 'oom-kill' && e.pid === oom.pid);
  compare('OOM kills of the process', 'oom', kills.length, 1, 'memory.events oom_kill');
  assert.equal(kills.length, 1, 'one oom-kill event for the victim');
  const rows = snapshots.filter((s) => s.timeMs >= oom.startMs - 2000 && s.timeMs <= oom.endMs + 10_000).flatMap((s) => s.vms.filter((v) => v.pid === oom.pid));
  const stalls = sum(rows, (v) => v.reclaim.memcgStalls);
  const reference = num(keyed(oom.reference['@memcg_reclaim'])[String(oom.pid)]);
  compare('memcg reclaim stalls', 'oom', stalls, reference, 'bpftrace one-liner, by cgroup id');
  assert.ok(reference > 0 && near(stalls, reference), `memcg stalls ${stalls} vs ${reference}`);
});

test('the table', { skip }, (t) => {
  const lines = [
    `| scenario | what | faultline | independent count | source | |`,
    `|---|---|---:|---:|---|---|`,
    ...table.map((r) => `| ${r.join(' | ')} |`),
    // a scenario that needed its one retry (the L2 QEMU ended on its own) says so
    ...results.scenarios.flatMap((s) => s.notes.filter((n) => n.startsWith('retried')).map((n) => `\n${s.name}: ${n}`)),
  ];
  writeFileSync(join(OUT, 'table.md'), `${lines.join('\n')}\n`);
  for (const line of lines) t.diagnostic(line);
  assert.ok(table.length > 0);
});
