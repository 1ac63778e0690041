// Which processes get a detailed row this interval: every VM, every pid named with
// --pid, anything that stalled in reclaim (alive or not) or in direct compaction, and the busiest few host
// processes by faults, not counting faultline itself (its own pid and the bpftrace
// processes it started): a tracer is not the story of the host it traces. Pure.
import type { ProcessStat } from '../model/host.js';
import type { ProbeTotals } from './probe-counters.js';

export interface SelectionInput {
  stats: ProcessStat[];
  /** minor+major faults since the last interval, from /proc/PID/stat */
  faultDeltaByPid: Map<number, number>;
  vmPids: Set<number>;
  pinnedPids: Set<number>;
  totals: ProbeTotals;
  busiestLimit: number;
  /** faultline's own pid (0: none): it and its bpftrace children are never "busiest". */
  selfPid?: number;
}

/** faultline's own process, or a bpftrace it started. */
export function isOwnProcess(stat: ProcessStat, selfPid: number): boolean {
  return selfPid > 0 && (stat.pid === selfPid || (stat.ppid === selfPid && stat.comm === 'bpftrace'));
}

export function isKernelThread(stat: ProcessStat): boolean {
  return stat.pid === 2 || stat.ppid === 2;
}

export function selectProcesses(input: SelectionInput): number[] {
  const chosen = new Set<number>();
  const alive = new Set(input.stats.map((s) => s.pid));
  for (const pid of [...input.vmPids, ...input.pinnedPids]) if (alive.has(pid)) chosen.add(pid);
  const kernelThreads = new Set(input.stats.filter(isKernelThread).map((s) => s.pid));
  for (const [pid, c] of input.totals.byPid) {
    // stalled, even if gone by now: an OOM victim's stalls are the story of its death;
    // direct compaction stalls the faulting task too (kcompactd's is background work)
    if (pid > 0 && c.reclaimDirectCount + c.reclaimMemcgCount > 0) chosen.add(pid);
    else if (pid > 0 && c.compactionCount > 0 && !kernelThreads.has(pid)) chosen.add(pid);
  }
  const faultsOf = (pid: number): number => {
    const c = input.totals.byPid.get(pid);
    const probed = c ? c.faultUser + c.faultKernel : 0;
    return Math.max(probed, input.faultDeltaByPid.get(pid) ?? 0);
  };
  const busiest = input.stats
    .filter((s) => !isKernelThread(s) && !isOwnProcess(s, input.selfPid ?? 0) && !chosen.has(s.pid) && faultsOf(s.pid) > 0)
    .sort((a, b) => faultsOf(b.pid) - faultsOf(a.pid) || a.pid - b.pid)
    .slice(0, input.busiestLimit);
  for (const s of busiest) chosen.add(s.pid);
  return [...chosen];
}
