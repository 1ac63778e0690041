// NUMA: a VM whose memory sits on a node its vCPUs do not run on pays a remote access
// on every miss (numa-remote), and a node can run out while another has room
// (numa-node-short): the kernel then reclaims or swaps on that node, or allocates
// remotely, while the host as a whole looks fine. Pure.
//
//   numa-remote                              numa-node-short
//   node 0: vCPUs ##    memory ..            node 0 available |#.........| 4%
//   node 1:             memory ########      node 1 available |######....| 60%
//
// Inputs: the row's memory by node (numa_maps, read every few intervals: the latest
// reading in the window counts) and where its vCPU threads last ran (vcpuNodes, read
// with it, only on hosts with more than one node), and each node's meminfo
// (host.numaNodes). A host with one node never has either cause.
// Thresholds (src/diagnose/thresholds.ts):
//   numaRemotePct 50: more than half of the VM's resident memory on nodes none of its
//     vCPUs ran on. A VM spread evenly over two nodes with vCPUs on both is local;
//     one whose vCPUs all run on node 0 with memory all on node 1 is 100% remote.
//   numaMinResidentMiB 256: small VMs are left out (their remote share costs little).
//   numaNodeAvailableWarningPct 10: a node with less than this share of its memory
//     available (MemFree + file LRU + KReclaimable), while another node has at least
//     twice that share. When the whole host is low, memory-low says so instead.
import { formatBytes } from '../format/quantities.js';
import type { Cause, NumaNodeBytes, NumaNodeThreads, VmSnapshot } from '../model/snapshot.js';
import { hostCause, isLibvirt, pct, round1, rowCause, subjectText, type RuleContext, MiB } from './rule-context.js';
import type { Thresholds } from './thresholds.js';

/** The latest non-empty reading of a per-row list over the window. */
function latest<T>(rows: VmSnapshot[], pick: (row: VmSnapshot) => T[]): T[] {
  for (let i = rows.length - 1; i >= 0; i--) {
    const value = pick(rows[i]!);
    if (value.length > 0) return value;
  }
  return [];
}

const nodeList = (numa: readonly NumaNodeBytes[], total: number): string =>
  numa.map((n) => `node ${n.node} ${formatBytes(n.bytes)} (${Math.round(pct(n.bytes, total))}%)`).join(', ');

/** Move the VM's memory to `toNode` where its vCPUs run, in its manager's words. */
function moveMemoryRemedy(row: VmSnapshot, fromNode: number, toNode: number, memoryNode: number): string {
  if (isLibvirt(row)) {
    return `move its memory to node ${toNode}, where its vCPUs run: \`virsh numatune ${row.name} --mode strict --nodeset ${toNode} --live\`; or run its vCPUs on node ${memoryNode}, where its memory is: \`virsh vcpupin ${row.name} VCPU CPULIST\` with node ${memoryNode}'s CPUs`;
  }
  if (row.vmid) {
    return `enable NUMA for it (\`qm set ${row.vmid} --numa 1\`) and pin it to one node (\`qm set ${row.vmid} --affinity CPULIST\` with node ${memoryNode}'s CPUs); or move its memory now: \`migratepages ${row.pid} ${fromNode} ${toNode}\``;
  }
  return `move its memory to node ${toNode}, where its vCPUs run: \`migratepages ${row.pid} ${fromNode} ${toNode}\` (numactl); or start it under \`numactl --cpunodebind=N --membind=N\``;
}

export function numaCauses(context: RuleContext, t: Thresholds): Cause[] {
  const { host } = context.last;
  const nodes = host.numaNodes ?? [];
  if (nodes.length < 2) return [];
  const hostLow = pct(host.memAvailableBytes, host.memTotalBytes) < t.hostAvailableWarningPct;
  const causes: Cause[] = [];

  // a VM whose memory is mostly where its vCPUs are not
  for (const { last: row, rows } of context.bySubject.values()) {
    if (row.kind !== 'vm' || row.exit) continue;
    const numa = latest(rows, (r) => r.numa);
    const vcpus = latest(rows, (r) => r.vcpuNodes ?? []);
    const total = numa.reduce((sum, n) => sum + n.bytes, 0);
    if (vcpus.length === 0 || total < t.numaMinResidentMiB * MiB || total === 0) continue;
    const vcpuNodes = new Set(vcpus.map((v) => v.node));
    const remote = numa.filter((n) => !vcpuNodes.has(n.node)).reduce((sum, n) => sum + n.bytes, 0);
    const remotePct = pct(remote, total);
    if (remotePct <= t.numaRemotePct) continue;
    const byThreads = [...vcpus].sort((a: NumaNodeThreads, b: NumaNodeThreads) => b.threads - a.threads);
    const byBytes = [...numa].sort((a, b) => b.bytes - a.bytes);
    const vcpuNode = byThreads[0]!.node;
    const memoryNode = byBytes[0]!.node;
    const threads = vcpus.reduce((sum, v) => sum + v.threads, 0);
    causes.push(rowCause(row, {
      cause: 'numa-remote',
      severity: 'warning',
      title: `${subjectText(row)} has ${round1(remotePct)}% of its memory on another NUMA node than its vCPUs (above ${t.numaRemotePct}%)`,
      evidence: [
        `memory: ${nodeList(numa, total)}`,
        `vCPUs last ran on: ${vcpus.map((v) => `node ${v.node} (${v.threads} of ${threads})`).join(', ')}`,
      ],
      remedy: moveMemoryRemedy(row, memoryNode, vcpuNode, memoryNode),
      score: remotePct / Math.max(1e-9, t.numaRemotePct),
    }));
  }

  // a node short of memory while another has room
  const share = (n: (typeof nodes)[number]): number => pct(n.availableBytes, n.totalBytes);
  const roomiest = [...nodes].sort((a, b) => share(b) - share(a))[0]!;
  for (const node of nodes) {
    const nodePct = share(node);
    if (hostLow || node.totalBytes === 0 || nodePct >= t.numaNodeAvailableWarningPct || share(roomiest) < 2 * t.numaNodeAvailableWarningPct || roomiest.node === node.node) continue;
    // who holds the most memory there
    const holders = [...context.bySubject.values()]
      .map(({ last, rows }) => ({ row: last, bytes: latest(rows, (r) => r.numa).find((n) => n.node === node.node)?.bytes ?? 0 }))
      .filter((h) => h.bytes > 0 && !h.row.exit)
      .sort((a, b) => b.bytes - a.bytes);
    const top = holders[0];
    const c = {
      cause: 'numa-node-short',
      severity: 'warning' as const,
      title: `NUMA node ${node.node} has ${round1(nodePct)}% of its memory available (below ${t.numaNodeAvailableWarningPct}%) while node ${roomiest.node} has ${round1(share(roomiest))}%`,
      evidence: [
        nodes.map((n) => `node ${n.node}: ${formatBytes(n.availableBytes)} available of ${formatBytes(n.totalBytes)}${n.cpus === 0 ? ' (no CPUs)' : ''}`).join('; '),
        ...(holders.length ? [`on node ${node.node}: ${holders.slice(0, 3).map((h) => `${subjectText(h.row)} ${formatBytes(h.bytes)}`).join(', ')}`] : []),
      ],
      remedy: top
        ? `${top.row.kind === 'vm' ? `move ${subjectText(top.row)}'s memory to node ${roomiest.node}` : `move pid ${top.row.pid}'s memory to node ${roomiest.node}`}: ${isLibvirt(top.row) ? `\`virsh numatune ${top.row.name} --nodeset ${roomiest.node} --live\`` : `\`migratepages ${top.row.pid} ${node.node} ${roomiest.node}\``}; or relax a strict binding to node ${node.node} (mode preferred or interleave), so the kernel may allocate on node ${roomiest.node}`
        : `relax strict bindings to node ${node.node} (numactl --membind, libvirt numatune mode strict) so the kernel may allocate on node ${roomiest.node}`,
      score: t.numaNodeAvailableWarningPct / Math.max(0.1, nodePct),
    };
    causes.push(top ? rowCause(top.row, c) : hostCause(c));
  }
  return causes;
}
