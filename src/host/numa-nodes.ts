// NUMA: each memory node's size and room (/sys/devices/system/node/nodeN/meminfo) and
// which CPUs it has (nodeN/cpulist), and on which node a VM's vCPU threads last ran
// (/proc/PID/task/TID/stat field 39, "processor"). The parsers are pure; the readers
// at the bottom do the IO.
//
// nodeN/meminfo lines are prefixed with the node:
//   Node 1 MemTotal:        2617344 kB
//   Node 1 MemFree:          151292 kB
//   Node 1 Active(file):      10240 kB
//   Node 1 Inactive(file):    30720 kB
//   Node 1 KReclaimable:       8192 kB
// A node's "available" is estimated as MemFree + file LRU + KReclaimable: what
// /proc/meminfo's MemAvailable adds, without the watermark correction the kernel does
// host-wide (the per-node watermarks are not in sysfs). A node with no memory (a
// CPU-only node) is left out.
import { readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { readCounterTextOrNull } from './read-proc-file.js';
import type { NumaNodeMemory, NumaNodeThreads } from '../model/snapshot.js';
import { lastCpuOfStat } from './proc-stat.js';
import { isVcpuThreadName } from './vcpu-threads.js';

export interface NumaNode extends NumaNodeMemory {
  /** The CPUs of the node (from cpulist). */
  cpuList: number[];
}

/** "0-3,8,10-11" -> [0,1,2,3,8,10,11]; '' -> []. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [from, to] = part.split('-').map(Number);
    if (!Number.isInteger(from)) continue;
    const last = Number.isInteger(to) ? to! : from!;
    for (let cpu = from!; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** One node's meminfo -> total, free and available bytes (0 when a line is missing). */
export function parseNodeMeminfo(text: string): { totalBytes: number; freeBytes: number; availableBytes: number } {
  const kB = (name: string): number => {
    const match = new RegExp(`^Node \\d+ ${name.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  };
  const freeBytes = kB('MemFree');
  return {
    totalBytes: kB('MemTotal'),
    freeBytes,
    availableBytes: freeBytes + kB('Active(file)') + kB('Inactive(file)') + kB('KReclaimable'),
  };
}

/** How many of the threads last ran on each node, by node; threads on a CPU no node
 * lists are left out. */
export function threadsByNode(cpus: readonly number[], nodes: readonly NumaNode[]): NumaNodeThreads[] {
  const nodeOfCpu = new Map<number, number>();
  for (const n of nodes) for (const cpu of n.cpuList) nodeOfCpu.set(cpu, n.node);
  const counts = new Map<number, number>();
  for (const cpu of cpus) {
    const node = nodeOfCpu.get(cpu);
    if (node !== undefined) counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a - b).map(([node, threads]) => ({ node, threads }));
}

/** Every node with memory, by number; [] when the kernel has no node directory (no
 * NUMA support). cpulist is read once per node and remembered in `cpuLists`. */
export async function readNumaNodes(sysRoot = '/sys', cpuLists = new Map<number, number[]>()): Promise<NumaNode[]> {
  // synchronous, as the other counter files of each interval (src/host/read-proc-file.ts):
  // sysfs makes these from counters, and the thread pool's round trip costs more
  const dir = `${sysRoot}/devices/system/node`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^node\d+$/.test(n));
  } catch {
    return [];
  }
  const nodes: NumaNode[] = [];
  for (const name of names) {
    const node = Number(name.slice(4));
    try {
      const meminfo = readCounterTextOrNull(`${dir}/${name}/meminfo`);
      if (meminfo === null) continue;
      const memory = parseNodeMeminfo(meminfo);
      if (memory.totalBytes === 0) continue;
      let cpuList = cpuLists.get(node);
      if (!cpuList) {
        cpuList = parseCpuList(cpuListText(`${dir}/${name}/cpulist`));
        cpuLists.set(node, cpuList);
      }
      nodes.push({ node, ...memory, cpus: cpuList.length, cpuList });
    } catch {
      // a node going offline, an unreadable file: left out
    }
  }
  return nodes.sort((a, b) => a.node - b.node);
}

/** A node's cpulist, '' when it cannot be read (the node is then kept, with no CPUs). */
function cpuListText(path: string): string {
  try {
    return readCounterTextOrNull(path) ?? '';
  } catch {
    return '';
  }
}

/** The CPU each vCPU thread of a QEMU process last ran on (threads named "CPU n/KVM" or
 * "CPU n/TCG", as QEMU names them with debug-threads=on); [] when it has none named so. */
export async function readVcpuCpus(procRoot: string, pid: number): Promise<number[]> {
  let tids: string[];
  try {
    tids = await readdir(`${procRoot}/${pid}/task`);
  } catch {
    return [];
  }
  const cpus = await Promise.all(
    tids.map(async (tid) => {
      try {
        const comm = (await readFile(`${procRoot}/${pid}/task/${tid}/comm`, 'utf8')).trim();
        if (!isVcpuThreadName(comm)) return -1;
        return lastCpuOfStat(await readFile(`${procRoot}/${pid}/task/${tid}/stat`, 'utf8'));
      } catch {
        return -1;
      }
    }),
  );
  return cpus.filter((cpu) => cpu >= 0);
}
