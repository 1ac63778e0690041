// The NUMA rules (src/diagnose/numa-rule.ts) on synthetic snapshots (every number here
// is synthetic): a VM's memory on a node its vCPUs do not run on, and a node short of
// memory while another has room, each at its threshold and just past it; a one-node
// host never has either. The real counterparts: test/kernel/numa-nodes.test.ts (this
// host's node against sysfs) and the lab lane (two nodes, a VM's memory moved away
// from its vCPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NumaNodeMemory, Snapshot } from '../../src/model/snapshot.js';
import { frameToJson } from '../../src/proto/codec.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS, thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { syntheticSnapshots } from '../record/synthetic-snapshots.js';
import { parseCpuList, parseNodeMeminfo, threadsByNode } from '../../src/host/numa-nodes.js';
import { lastCpuOfStat } from '../../src/host/proc-stat.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const T = DEFAULT_THRESHOLDS;

const TWO_NODES: NumaNodeMemory[] = [
  { node: 0, totalBytes: 32 * GiB, freeBytes: 16 * GiB, availableBytes: 20 * GiB, cpus: 8 },
  { node: 1, totalBytes: 32 * GiB, freeBytes: 16 * GiB, availableBytes: 20 * GiB, cpus: 8 },
];

/** Ten idle 1 s snapshots of one VM (and one process) on a 64 GiB two-node host; the VM
 * has `remoteMiB` of `totalMiB` on node 1 and its 4 vCPUs on node 0. */
function window(opts: { totalMiB?: number; remoteMiB: number; nodes?: NumaNodeMemory[] }): Snapshot[] {
  const total = (opts.totalMiB ?? 1024) * MiB;
  return [...syntheticSnapshots({ vms: 1, processes: 1, snapshots: 10, activity: 'idle', seed: 9 })].map((s, i) => {
    const snapshot = (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot;
    snapshot.host = { ...snapshot.host, memTotalBytes: 64 * GiB, memAvailableBytes: 40 * GiB, psiMemSomeAvg10: 0, psiMemFullAvg10: 0, numaNodes: opts.nodes ?? TWO_NODES };
    snapshot.host.vmstat = { ...snapshot.host.vmstat, pswpin: 0, pswpout: 0 };
    snapshot.events = [];
    for (const v of snapshot.vms) {
      v.reclaim = { ...v.reclaim, stallNs: 0 };
      v.memoryBytes = v.kind === 'vm' ? 8 * GiB : 0;
      v.cgroup = { ...v.cgroup, limitBytes: 0 };
      v.leak = { ...v.leak, verdict: 'ok' };
      // numa_maps is read every few intervals: only the snapshot before last has it
      const read = i === 8;
      v.numa = read ? [{ node: 0, bytes: total - opts.remoteMiB * MiB }, { node: 1, bytes: opts.remoteMiB * MiB }] : [];
      v.vcpuNodes = read && v.kind === 'vm' ? [{ node: 0, threads: 4 }] : [];
    }
    return snapshot;
  });
}

const causesOf = (w: Snapshot[], t = T) => diagnose(w, t).causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`);

test('numa-remote: above 50% of a VM\'s memory away from its vCPUs; at 50%, nothing', () => {
  assert.deepEqual(causesOf(window({ remoteMiB: 512 })), []);
  const w = window({ remoteMiB: 513 });
  const d = diagnose(w, T);
  const vm = w.at(-1)!.vms.find((v) => v.kind === 'vm')!;
  assert.deepEqual(d.causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`), [`warning numa-remote ${vm.name}`]);
  const c = d.causes[0]!;
  assert.equal(c.subjectId, vm.id);
  assert.match(c.title, /has 50\.1% of its memory on another NUMA node than its vCPUs \(above 50%\)$/);
  assert.deepEqual(c.evidence, ['memory: node 0 511 MiB (50%), node 1 513 MiB (50%)', 'vCPUs last ran on: node 0 (4 of 4)']);
  // synthetic VMs are libvirt's: the remedy is virsh's, memory to node 0, or vCPUs to node 1
  assert.match(c.remedy, new RegExp(`virsh numatune ${vm.name} --mode strict --nodeset 0 --live`));
  assert.match(c.remedy, new RegExp(`virsh vcpupin ${vm.name} VCPU CPULIST\` with node 1's CPUs`));
});

test('numa-remote: small VMs, a one-node host, and unknown vCPU placement are not judged', () => {
  assert.deepEqual(causesOf(window({ totalMiB: 255, remoteMiB: 255 })), [], 'below numaMinResidentMiB');
  assert.deepEqual(causesOf(window({ totalMiB: 256, remoteMiB: 256 })).map((c) => c.split(' ')[1]), ['numa-remote'], 'at numaMinResidentMiB');
  assert.deepEqual(causesOf(window({ remoteMiB: 1024, nodes: [TWO_NODES[0]!] })), [], 'one node');
  const unplaced = window({ remoteMiB: 1024 }).map((s) => ({ ...s, vms: s.vms.map((v) => ({ ...v, vcpuNodes: [] })) }));
  assert.deepEqual(causesOf(unplaced), []);
  assert.deepEqual(causesOf(window({ remoteMiB: 1024 }), thresholdsFrom({ numaRemotePct: 100 }, 't.json')), [], 'turned off at 100');
});

test('numa-node-short: a node below 10% available while another has twice that; not when the whole host is low', () => {
  const nodes = (availablePct0: number, availablePct1 = 60): NumaNodeMemory[] => [
    { ...TWO_NODES[0]!, availableBytes: (32 * GiB * availablePct0) / 100 },
    { ...TWO_NODES[1]!, availableBytes: (32 * GiB * availablePct1) / 100 },
  ];
  assert.deepEqual(causesOf(window({ remoteMiB: 0, nodes: nodes(10) })), []);
  const w = window({ remoteMiB: 0, nodes: nodes(9.9) });
  const d = diagnose(w, T);
  const vm = w.at(-1)!.vms.find((v) => v.kind === 'vm')!;
  assert.equal(d.causes.length, 1);
  const c = d.causes[0]!;
  assert.equal(c.cause, 'numa-node-short');
  // the VM holds the most on node 0 (synthetic RSS: it is the largest row)
  assert.equal(c.subject, vm.name);
  assert.match(c.title, /^NUMA node 0 has 9\.9% of its memory available \(below 10%\) while node 1 has 60%$/);
  assert.match(c.remedy, new RegExp(`virsh numatune ${vm.name} --nodeset 1 --live`));
  assert.deepEqual(causesOf(window({ remoteMiB: 0, nodes: nodes(5, 19.9) })), [], 'the other node has less than twice the threshold');
  const hostLow = window({ remoteMiB: 0, nodes: nodes(5) }).map((s) => ({ ...s, host: { ...s.host, memAvailableBytes: 12 * GiB } }));
  assert.deepEqual(causesOf(hostLow), ['warning memory-low host'], 'memory-low says it instead');
});

test('numa-nodes parsers: cpulist, node meminfo, the processor field of a task stat line', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('\n'), []);
  const meminfo = 'Node 1 MemTotal:        2617344 kB\nNode 1 MemFree:          151292 kB\nNode 1 MemUsed:  2466052 kB\nNode 1 Active(file):      10240 kB\nNode 1 Inactive(file):    30720 kB\nNode 1 KReclaimable:       8192 kB\n';
  assert.deepEqual(parseNodeMeminfo(meminfo), { totalBytes: 2617344 * 1024, freeBytes: 151292 * 1024, availableBytes: (151292 + 10240 + 30720 + 8192) * 1024 });
  // a real line (cat's own), and a comm with spaces and parentheses
  const line = '6304 (cat) R 6299 6299 1161 0 -1 4194304 156 0 0 0 0 0 0 0 20 0 1 0 37291 3133440 413 18446744073709551615 94160848965632 94160848985513 140725118563344 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94160849001520 94160849003136 94161411276800 140725118565071 140725118565101 140725118565101 140725118566379 0';
  assert.equal(lastCpuOfStat(line), 1);
  assert.equal(lastCpuOfStat(line.replace('(cat)', '(CPU 0/KVM) (x)').replace(' 17 1 ', ' 17 7 ')), 7);
  assert.equal(lastCpuOfStat('garbage'), -1);
  const nodes = [{ ...TWO_NODES[0]!, cpuList: [0, 1] }, { ...TWO_NODES[1]!, cpuList: [2, 3] }];
  assert.deepEqual(threadsByNode([0, 1, 3, 9], nodes), [{ node: 0, threads: 2 }, { node: 1, threads: 1 }]);
});
