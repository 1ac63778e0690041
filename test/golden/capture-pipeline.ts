// A saved bpftrace capture (one probe group's stdout) through the pipeline, the way
// `faultline live` and `record` run it, without a kernel:
//
//   parseBpftraceLine -> ProbeBatcher -> foldBatches -> selectProcesses -> buildSnapshot
//     -> LeakTracker.annotate (the detectors) -> ReportBuilder
//
// What stands in for the live host (a capture holds bpftrace's output and nothing else):
// - one snapshot per tick of the probes; the last, partial interval (END's `final`
//   tick) and the maps bpftrace dumps at exit go into one last snapshot, as the live
//   session's stop() folds them (src/collect/live-session.ts);
// - timeMs = the tick's interval index x intervalMs: the boundary on the capturing
//   host's CLOCK_MONOTONIC, so the numbers come from the capture, never from a clock;
// - the process table: every pid the capture names, pinned as `--pid` pins one (no
//   /proc was saved to rank the busiest by), named by the comm its event lines give,
//   else `pid N`, with no /proc detail (RSS 0, no mappings: user-fault hotspots read
//   `unmapped`); the real-KVM guest is a VM with its saved /proc/PID/maps, as in
//   test/aggregate/real-kvm.test.ts;
// - host memory and /proc/vmstat read nothing (0; PSI -1 = not read); each probe group
//   is attached, with no per-point list (every point counts as attached);
// - the detectors run with their defaults (a 10 min window): on a few seconds of
//   capture every verdict is insufficient-data, which is pinned too.
import { readFileSync } from 'node:fs';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';
import { ProbeBatcher, type ProbeBatch } from '../../src/parse/probe-batch.js';
import { foldBatches, type ProbeTotals } from '../../src/aggregate/probe-counters.js';
import { selectProcesses } from '../../src/aggregate/select-processes.js';
import { buildSnapshot, type TrackedProcess } from '../../src/aggregate/build-snapshot.js';
import type { VirtIsa } from '../../src/aggregate/kvm-exit-names.js';
import { processId } from '../../src/host/discover-vms.js';
import { findGuestRam, parseMaps } from '../../src/host/proc-maps.js';
import type { ProcessDetail, ProcessStat } from '../../src/model/host.js';
import type { Meta, Snapshot, VmstatDelta } from '../../src/model/snapshot.js';
import { LeakTracker } from '../../src/detect/run-detectors.js';
import { ReportBuilder } from '../../src/record/report/build-report.js';
import { pinnableCharts, pinnableReport } from './recording-pipeline.js';

/** A guest.json of test/fixtures/bpftrace/real-kvm/: who the traced VM was. */
export interface Guest {
  kernel: string;
  bpftrace: string;
  pid: number;
  name: string;
  uuid: string;
  memoryBytes: number;
  guestRamStart: string;
  reference: Record<string, unknown>;
  maps: string;
}

export interface CaptureRun {
  /** repo-relative path of the .ndjson */
  file: string;
  group: string;
  kernel: string;
  bpftraceVersion: string;
  intervalMs: number;
  virtIsa: VirtIsa;
  guest?: Guest;
}

const NO_VMSTAT: VmstatDelta = {
  pgfault: 0, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0,
  pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0,
};

function parse(text: string, group: string): { lines: number; badLines: string[]; ready: boolean; batches: ProbeBatch[] } {
  const batcher = new ProbeBatcher(group);
  const batches: ProbeBatch[] = [];
  const badLines: string[] = [];
  let ready = false;
  const lines = text.split('\n');
  for (const line of lines) {
    const parsed = parseBpftraceLine(line);
    if (!parsed.ok) {
      badLines.push(line.slice(0, 80));
      continue;
    }
    for (const record of parsed.records) {
      const out = batcher.push(record);
      if (out?.kind === 'ready') ready = true;
      if (out?.kind === 'batch') batches.push(out.batch);
    }
  }
  const last = batcher.flush();
  if (last) batches.push(last);
  return { lines: lines.length, badLines, ready, batches };
}

/** Each tick's batch is an interval; the final one and the exit dump after it, one. */
function intervals(batches: ProbeBatch[]): ProbeBatch[][] {
  const out: ProbeBatch[][] = [];
  let closing = false;
  for (const batch of batches) {
    if (closing) out.at(-1)!.push(batch);
    else out.push([batch]);
    closing ||= batch.final === true;
  }
  return out;
}

/** What the parser and batcher made of the lines: per batch, its tick and contents. */
function batchSummary(b: ProbeBatch): Record<string, unknown> {
  return {
    intervalIndex: b.intervalIndex ?? null,
    tickNs: b.tickNs ?? null,
    complete: b.complete,
    final: b.final === true,
    maps: Object.fromEntries([...b.maps].map(([name, table]) => [name, table.values.length])),
    hists: Object.fromEntries([...b.hists].map(([name, entries]) => [name, entries.length])),
    lines: b.lines.length,
    lostEvents: b.lostEvents,
  };
}

function guestDetail(guest: Guest): ProcessDetail {
  const mappings = parseMaps(guest.maps);
  return {
    pid: guest.pid, startTimeTicks: 0, argv: ['qemu-system-x86_64', '-machine', 'pc'],
    status: { rssBytes: 0, anonBytes: 0, fileBytes: 0, shmemBytes: 0, swapBytes: 0 },
    mappings, guestRam: findGuestRam(mappings, guest.memoryBytes), guestRamResidentBytes: 0, guestRamHugeBytes: 0, anonHugeBytes: 0, ksmMergedPages: 0, numa: [],
    cgroup: { path: '', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
  };
}

/** Every pid the capture names, with the comm its event lines give it. */
function processTable(totals: ProbeTotals[], guest: Guest | undefined): ProcessStat[] {
  const comms = new Map<number, string>();
  for (const t of totals) {
    for (const pid of t.byPid.keys()) if (pid > 0 && !comms.has(pid)) comms.set(pid, '');
    for (const e of t.events) if (!comms.get(e.pid)) comms.set(e.pid, 'comm' in e ? e.comm : '');
  }
  if (guest) comms.set(guest.pid, 'qemu-system-x86');
  return [...comms].sort((a, b) => a[0] - b[0]).map(([pid, comm]) => ({
    pid, comm: comm || `pid ${pid}`, state: 'S', ppid: 1, minflt: 0, majflt: 0, startTimeTicks: 0, rssPages: 0, cpuTicks: 0,
  }));
}

export function runCapture(root: string, run: CaptureRun): Record<string, unknown> {
  const parsed = parse(readFileSync(`${root}/${run.file}`, 'utf8'), run.group);
  const groups = intervals(parsed.batches);
  const totals = groups.map(foldBatches);
  const stats = processTable(totals, run.guest);
  const pidIndex = new Map(stats.map((s) => [s.pid, { id: processId(s), comm: s.comm }]));
  const guest = run.guest;
  const tracker = new LeakTracker();
  const meta: Meta = {
    formatVersion: 1, hostname: '', kernel: run.kernel, bpftraceVersion: run.bpftraceVersion, probeGroups: [run.group],
    intervalMs: run.intervalMs, startTimeMs: 0, faultlineVersion: '', mode: 'live', endTimeMs: 0, historyMs: 0, deepLeaks: false,
  };
  const report = new ReportBuilder(meta, run.file);
  const snapshots: Snapshot[] = [];
  let timeMs = 0;
  totals.forEach((t, seq) => {
    const index = groups[seq]![0]!.intervalIndex;
    timeMs = index === undefined ? timeMs + run.intervalMs : index * run.intervalMs;
    const chosen = selectProcesses({
      stats, faultDeltaByPid: new Map(), vmPids: new Set(guest ? [guest.pid] : []), pinnedPids: new Set(stats.map((s) => s.pid)), totals: t, busiestLimit: 5,
    });
    const processes = chosen.map((pid): TrackedProcess => {
      const stat = stats.find((s) => s.pid === pid)!;
      const isGuest = guest?.pid === pid;
      return {
        id: processId(stat), pid, startTimeTicks: stat.startTimeTicks, comm: stat.comm,
        identity: isGuest ? { name: guest.name, uuid: guest.uuid, memoryBytes: guest.memoryBytes, source: 'libvirt', vmid: '' } : null,
        detail: isGuest ? guestDetail(guest) : null,
        minorFaults: 0, majorFaults: 0, guestFaultSource: isGuest ? 'kvm' : 'none',
      };
    });
    const snapshot = buildSnapshot({
      seq, timeMs, intervalMs: run.intervalMs, totals: t, processes,
      host: { meminfoBytes: {}, vmstat: {}, psiMemSomeAvg10: -1, psiMemFullAvg10: -1 },
      vmstat: NO_VMSTAT,
      probes: {
        attached: [run.group],
        groups: [{ group: run.group, attached: true, error: '', lostEvents: 0, badLines: 0, points: [], sharesProcessWith: [], ownProcessReason: '' }],
        bpftraceVersion: run.bpftraceVersion,
        badLines: 0,
      },
      lifecycleEvents: [], pidIndex, hotspotLimit: 8, virtIsa: run.virtIsa,
    });
    const judged = tracker.annotate(snapshot);
    snapshots.push(judged);
    report.add(judged);
  });
  const { report: summary, charts } = report.finish({ frames: snapshots.length, snapshots: snapshots.length, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] });
  return {
    parse: { lines: parsed.lines, badLines: parsed.badLines, ready: parsed.ready, batches: parsed.batches.map(batchSummary) },
    snapshots,
    report: pinnableReport(summary),
    charts: pinnableCharts(charts),
  };
}
