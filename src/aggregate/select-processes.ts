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

/** Busiest first, then by pid. A module function, and loops below rather than arrows
 * made per call: this runs every interval, and V8 compiles such an arrow again after
 * every full GC (see src/collect/collector.ts). */
const busiestFirst = (a: { pid: number; faults: number }, b: { pid: number; faults: number }): number => b.faults - a.faults || a.pid - b.pid;

export function selectProcesses(input: SelectionInput): number[] {
  const chosen = new Set<number>();
  const alive = new Set<number>();
  const kernelThreads = new Set<number>();
  for (const s of input.stats) {
    alive.add(s.pid);
    if (isKernelThread(s)) kernelThreads.add(s.pid);
  }
  for (const pid of input.vmPids) if (alive.has(pid)) chosen.add(pid);
  for (const pid of input.pinnedPids) if (alive.has(pid)) chosen.add(pid);
  for (const [pid, c] of input.totals.byPid) {
    // stalled, even if gone by now: an OOM victim's stalls are the story of its death;
    // direct compaction stalls the faulting task too (kcompactd's is background work)
    if (pid > 0 && c.reclaimDirectCount + c.reclaimMemcgCount > 0) chosen.add(pid);
    else if (pid > 0 && c.compactionCount > 0 && !kernelThreads.has(pid)) chosen.add(pid);
  }
  const candidates: { pid: number; faults: number }[] = [];
  for (const s of input.stats) {
    if (isKernelThread(s) || isOwnProcess(s, input.selfPid ?? 0) || chosen.has(s.pid)) continue;
    const c = input.totals.byPid.get(s.pid);
    const probed = c ? c.faultUser + c.faultKernel : 0;
    const faults = Math.max(probed, input.faultDeltaByPid.get(s.pid) ?? 0);
    if (faults > 0) candidates.push({ pid: s.pid, faults });
  }
  candidates.sort(busiestFirst);
  for (let i = 0; i < candidates.length && i < input.busiestLimit; i++) chosen.add(candidates[i]!.pid);
  return [...chosen];
}
