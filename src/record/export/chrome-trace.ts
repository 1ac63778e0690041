// A recording as Chrome's Trace Event Format (JSON), which ui.perfetto.dev and
// chrome://tracing open. One snapshot at a time, so the export streams. Pure: the
// CLI writes the strings (src/cli/export-command.ts).
//
// Tracks: the host is process 1 (memory available, swap, PSI, lost events); each VM
// or process is its own trace process, numbered 2, 3... in order of first
// appearance, so a VM keeps one track even when its pid is reused by another VM
// later (ids are pid@starttime). Counters ("ph":"C") per VM: RSS by kind (stacked:
// guest RAM + own anon + file = RSS), swap, fault rates, reclaim stall time per
// second. Instants ("ph":"i"): OOM kills, reclaim stalls, leak findings, and each
// finding when it first appears. Names: "ph":"M" process_name. Times: microseconds
// since the recording started (otherData.startTimeMs holds the wall clock).
import type { FaultlineEvent, Meta, Snapshot, VmSnapshot } from '../../model/snapshot.js';

export const HOST_PID = 1;

export interface TraceEvent {
  name: string;
  ph: 'C' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  s?: 'g' | 'p' | 't';
  cat?: string;
  args: Record<string, number | string>;
}

/** Counter names, shared with the tests that check values against the recording. */
export const COUNTERS = {
  rss: 'RSS bytes',
  swap: 'swap bytes',
  faults: 'faults/s',
  stall: 'reclaim stall ms/s',
  memAvailable: 'memory available bytes',
  swapUsed: 'swap used bytes',
  psi: 'PSI some avg10 %',
  lost: 'lost events',
} as const;

const INSTANT_EVENTS = new Set(['oom-kill', 'reclaim-stall', 'leak-finding']);

export class ChromeTraceBuilder {
  private pids = new Map<string, number>();
  private findings = new Map<string, string>();

  constructor(private readonly meta: Meta) {}

  /** The opening of the JSON object, and the host's name. */
  start(): string {
    const host = this.metadata(HOST_PID, `host ${this.meta.hostname}`, 0);
    return `{"traceEvents":[\n${host.map((e) => JSON.stringify(e)).join(',\n')}`;
  }

  /** The events of one snapshot. */
  eventsOf(s: Snapshot): TraceEvent[] {
    const ts = this.ts(s.timeMs);
    const perSec = (n: number): number => (n * 1000) / s.intervalMs;
    const out: TraceEvent[] = [
      this.counter(HOST_PID, ts, COUNTERS.memAvailable, { available: s.host.memAvailableBytes }),
      this.counter(HOST_PID, ts, COUNTERS.swapUsed, { used: s.host.swapUsedBytes }),
      this.counter(HOST_PID, ts, COUNTERS.psi, { some: s.host.psiMemSomeAvg10, full: s.host.psiMemFullAvg10 }),
      this.counter(HOST_PID, ts, COUNTERS.lost, { lost: s.probes.lostEvents }),
    ];
    for (const v of s.vms) {
      const pid = this.pidOf(v, out);
      out.push(
        this.counter(pid, ts, COUNTERS.rss, { guestRam: v.rss.guestRamBytes, ownAnon: v.rss.ownAnonBytes, file: v.rss.fileBytes }),
        this.counter(pid, ts, COUNTERS.swap, { swap: v.rss.swapBytes }),
        this.counter(pid, ts, COUNTERS.faults, { minor: perSec(v.faults.minor), major: perSec(v.faults.major), guestRam: perSec(v.faults.guestRam) }),
        this.counter(pid, ts, COUNTERS.stall, { stall: perSec(v.reclaim.stallNs / 1e6) }),
      );
      for (const f of v.findings) {
        const key = `${v.id}\u0000${f.detector}`;
        if (this.findings.get(key) === f.verdict) continue;
        this.findings.set(key, f.verdict);
        out.push({ name: `finding ${f.detector}: ${f.verdict}`, ph: 'i', s: 'p', pid, tid: pid, ts, cat: 'finding', args: { message: f.message } });
      }
    }
    for (const e of s.events) if (INSTANT_EVENTS.has(e.type)) out.push(this.instant(e));
    return out;
  }

  /** The closing of the JSON object, with what the reader skipped. */
  end(otherData: Record<string, number | string>): string {
    return `\n],"displayTimeUnit":"ms","otherData":${JSON.stringify({ startTimeMs: this.meta.startTimeMs, hostname: this.meta.hostname, ...otherData })}}\n`;
  }

  private ts(timeMs: number): number {
    return Math.max(0, Math.round((timeMs - this.meta.startTimeMs) * 1000));
  }

  private pidOf(v: VmSnapshot, out: TraceEvent[]): number {
    let pid = this.pids.get(v.id);
    if (pid === undefined) {
      pid = this.pids.size + HOST_PID + 1;
      this.pids.set(v.id, pid);
      out.push(...this.metadata(pid, `${v.kind} ${v.name} (pid ${v.pid})`, pid));
    }
    return pid;
  }

  private metadata(pid: number, name: string, sortIndex: number): TraceEvent[] {
    return [
      { name: 'process_name', ph: 'M', pid, tid: 0, args: { name } },
      { name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: sortIndex } },
    ];
  }

  private counter(pid: number, ts: number, name: string, args: Record<string, number>): TraceEvent {
    return { name, ph: 'C', pid, tid: 0, ts, args };
  }

  private instant(e: FaultlineEvent): TraceEvent {
    const pid = this.pids.get(e.vmId);
    const args: Record<string, number | string> = { message: e.message, pid: e.pid, comm: e.comm };
    if (e.type === 'reclaim-stall') args.durationMs = e.durationNs / 1e6;
    if (e.type === 'oom-kill') Object.assign(args, { anonRssBytes: e.anonRssBytes, fileRssBytes: e.fileRssBytes, shmemRssBytes: e.shmemRssBytes });
    return pid === undefined
      ? { name: e.type, ph: 'i', s: 'g', pid: HOST_PID, tid: 0, ts: this.ts(e.timeMs), cat: 'event', args }
      : { name: e.type, ph: 'i', s: 'p', pid, tid: pid, ts: this.ts(e.timeMs), cat: 'event', args };
  }
}
