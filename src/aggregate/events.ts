// Events: rare things, each with a human message. Pure.
import { formatBytes, formatDuration } from '../format/quantities.js';
import type { EventType, FaultlineEvent } from '../model/snapshot.js';
import type { ProbeTotals } from './probe-counters.js';

const KiB = 1024;

export function makeEvent(type: EventType, timeMs: number, fields: Partial<FaultlineEvent> = {}): FaultlineEvent {
  return {
    type, timeMs, pid: 0, vmId: '', comm: '', message: '',
    anonRssBytes: 0, fileRssBytes: 0, shmemRssBytes: 0, durationNs: 0, count: 0, group: '',
    ...fields,
  };
}

/** pid -> id and comm of a process, to name event subjects: a Map, or a lookup made
 * only for the few pids an interval's events name. */
export interface PidIndex {
  get(pid: number): { id: string; comm: string } | undefined;
}

/** OOM kills, long reclaim stalls and lost events from one interval's probe output
 * (process exits become process-exit events with the process's last row). */
export function probeEvents(
  totals: ProbeTotals,
  timeMs: number,
  pidIndex: PidIndex,
): FaultlineEvent[] {
  const events: FaultlineEvent[] = [];
  for (const e of totals.events) {
    const vmId = pidIndex.get(e.pid)?.id ?? '';
    if (e.type === 'oom_victim') {
      const comm = e.comm || pidIndex.get(e.pid)?.comm || `pid ${e.pid}`;
      if (e.anonKb < 0) {
        // this kernel's mark_victim has the pid only
        events.push(makeEvent('oom-kill', timeMs, {
          pid: e.pid, vmId, comm,
          message: `OOM killer chose ${comm} (pid ${e.pid}); its RSS at the kill is not reported by this kernel`,
        }));
        continue;
      }
      const anon = e.anonKb * KiB;
      const file = e.fileKb * KiB;
      const shmem = e.shmemKb * KiB;
      events.push(makeEvent('oom-kill', timeMs, {
        pid: e.pid, vmId, comm, anonRssBytes: anon, fileRssBytes: file, shmemRssBytes: shmem,
        message: `OOM killer chose ${comm} (pid ${e.pid}): anon ${formatBytes(anon)}, file ${formatBytes(file)}, shmem ${formatBytes(shmem)}`,
      }));
    } else if (e.type === 'reclaim_stall') {
      events.push(makeEvent('reclaim-stall', timeMs, {
        pid: e.pid, vmId, comm: e.comm, durationNs: e.ns,
        message: `${e.comm} (pid ${e.pid}, tid ${e.tid}) stalled ${formatDuration(e.ns / 1e6)} in ${e.kind} reclaim`,
      }));
    }
  }
  for (const [group, count] of totals.lostByGroup) {
    // 'faults,kvm,...': the groups of one bpftrace, which counts lost events for all of them
    const whose = group.includes(',')
      ? `of probe groups ${group.split(',').join(', ')} (they share one bpftrace, which does not say whose)`
      : `of probe group ${group}`;
    events.push(makeEvent('lost-events', timeMs, {
      group, count,
      message: `the kernel dropped ${count} events ${whose}: counts this interval are low`,
    }));
  }
  return events;
}
