// Facts an expected file must agree with, taken from the inputs without the pipeline:
// the bpftrace capture read with plain JSON.parse and a regex (not src/parse/), the
// lab's own counts in guest.json, the load each input was made under, and for the
// recording, sums over its snapshots made with a plain loop (not the report builder)
// and pairs of independent sources (/proc/vmstat's oom_kill against the probe's OOM
// events, /proc minor faults against the sampled probe). They check the expected file,
// not the run: a re-baselined file that breaks one fails here, whatever the diff said.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import type { Report, VmReport } from '../../src/record/report/build-report.js';
import { openRecording } from '../../src/record/reader.js';
import type { CaptureRun } from './capture-pipeline.js';

export type Facts = (expected: unknown) => Promise<void>;

const MiB = 2 ** 20;

interface CaptureResult {
  parse: { badLines: string[]; batches: { intervalIndex: number | null; tickNs: number | null; final: boolean }[] };
  snapshots: Snapshot[];
  report: Report;
}

interface RawCapture {
  /** base map name (no __0/__1) -> first key part (the pid) -> sum of values */
  sums: Map<string, Map<number, number>>;
  maxes: Map<string, Map<number, number>>;
  /** pid -> stalls in @reclaim_stall_hist_ns */
  histCounts: Map<number, number>;
  ticks: number;
  stalls: { pid: number; ns: number }[];
  oomVictims: { pid: number; anonKb: number }[];
}

function add(into: Map<string, Map<number, number>>, name: string, pid: number, value: number, how: 'sum' | 'max'): void {
  const byPid = into.get(name) ?? new Map<number, number>();
  into.set(name, byPid);
  const known = byPid.get(pid);
  byPid.set(pid, known === undefined ? value : how === 'sum' ? known + value : Math.max(known, value));
}

/** The capture as bpftrace wrote it, read with JSON.parse only. */
export function readRawCapture(text: string): RawCapture {
  const raw: RawCapture = { sums: new Map(), maxes: new Map(), histCounts: new Map(), ticks: 0, stalls: [], oomVictims: [] };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { type: string; data: Record<string, unknown> | string };
    if (record.type === 'map') {
      for (const [name, value] of Object.entries(record.data as Record<string, unknown>)) {
        if (typeof value !== 'object' || value === null) continue;
        for (const [key, v] of Object.entries(value as Record<string, number>)) {
          const pid = Number(key.split(',')[0]);
          add(raw.sums, name.replace(/__[01]$/, ''), pid, v, 'sum');
          add(raw.maxes, name.replace(/__[01]$/, ''), pid, v, 'max');
        }
      }
    } else if (record.type === 'hist') {
      for (const [name, byKey] of Object.entries(record.data as Record<string, Record<string, { count: number }[]>>)) {
        if (name.replace(/__[01]$/, '') !== '@reclaim_stall_hist_ns') continue;
        for (const [key, buckets] of Object.entries(byKey)) {
          const pid = Number(key.split(',')[0]);
          raw.histCounts.set(pid, (raw.histCounts.get(pid) ?? 0) + buckets.reduce((n, b) => n + b.count, 0));
        }
      }
    } else if (record.type === 'printf') {
      for (const text of String(record.data).split('\n')) {
        if (text.startsWith('faultline_tick ')) raw.ticks += 1;
        const stall = /^reclaim_stall pid=(\d+) .*\bns=(\d+) /.exec(text);
        if (stall) raw.stalls.push({ pid: Number(stall[1]), ns: Number(stall[2]) });
        const oom = /^oom_victim pid=(\d+) anon_kb=(\d+) /.exec(text);
        if (oom) raw.oomVictims.push({ pid: Number(oom[1]), anonKb: Number(oom[2]) });
      }
    }
  }
  return raw;
}

const rowsOf = (snapshots: Snapshot[], pid: number): VmSnapshot[] => snapshots.flatMap((s) => s.vms.filter((v) => v.pid === pid));
const total = (rows: VmSnapshot[], field: (v: VmSnapshot) => number): number => rows.reduce((n, v) => n + field(v), 0);
const rawOf = (raw: RawCapture, name: string): Map<number, number> => raw.sums.get(name) ?? new Map();

/** map name -> the snapshot row field it must add up to, interval by interval. */
const SUMMED: [string, (v: VmSnapshot) => number][] = [
  ['@fault_user', (v) => v.faults.user],
  ['@fault_kernel', (v) => v.faults.kernel],
  ['@fault_file', (v) => v.faults.file],
  ['@kvm_fault', (v) => v.kvm.eptFaults],
  ['@mmap_bytes', (v) => v.growth.mmapBytes],
  ['@munmap_bytes', (v) => v.growth.munmapBytes],
  ['@brk_bytes', (v) => v.growth.brkBytes],
  ['@reclaim_memcg_count', (v) => v.reclaim.memcgStalls],
  ['@reclaim_direct_count', (v) => v.reclaim.directStalls],
  ['@reclaim_pages', (v) => v.reclaim.pagesReclaimed],
];

function checkCounts(run: CaptureRun, raw: RawCapture, result: CaptureResult): void {
  const { snapshots, report } = result;
  assert.deepEqual(result.parse.badLines, [], 'every line parsed');
  assert.equal(result.parse.batches.filter((b) => b.intervalIndex !== null).length, raw.ticks, 'a batch per faultline_tick line');
  // a tick is printed at its boundary, index x interval on CLOCK_MONOTONIC: the
  // snapshots' interval is the one the probes ran with
  const intervalMs = snapshots[0]?.intervalMs ?? run.intervalMs;
  for (const b of result.parse.batches) {
    if (b.intervalIndex === null || b.tickNs === null || b.final) continue;
    const lateMs = b.tickNs / 1e6 - b.intervalIndex * intervalMs;
    assert.ok(lateMs >= 0 && lateMs < intervalMs / 2, `tick ${b.intervalIndex} at ${b.tickNs} ns: ${lateMs} ms from its ${intervalMs} ms boundary`);
  }
  for (const [name, field] of SUMMED) {
    for (const [pid, sum] of rawOf(raw, name)) assert.equal(total(rowsOf(snapshots, pid), field), sum, `pid ${pid}: snapshots' sum = the capture's ${name}`);
  }
  const reportRow = (pid: number): VmReport => {
    const row = report.vms.find((v) => v.pid === pid);
    assert.ok(row, `pid ${pid} of the capture has a report row`);
    return row;
  };
  for (const [name] of SUMMED) for (const pid of rawOf(raw, name).keys()) reportRow(pid);
  for (const [pid, sum] of rawOf(raw, '@fault_user')) assert.equal(reportRow(pid).faults.user, sum, `pid ${pid}: report faults.user`);
  for (const [pid, sum] of rawOf(raw, '@kvm_fault')) assert.equal(reportRow(pid).faults.eptFaults, sum, `pid ${pid}: report faults.eptFaults`);
  const stallPids = new Set([...rawOf(raw, '@reclaim_memcg_count').keys(), ...rawOf(raw, '@reclaim_direct_count').keys()]);
  for (const pid of stallPids) {
    const r = reportRow(pid).reclaim;
    const count = (rawOf(raw, '@reclaim_memcg_count').get(pid) ?? 0) + (rawOf(raw, '@reclaim_direct_count').get(pid) ?? 0);
    const ns = (rawOf(raw, '@reclaim_memcg_ns').get(pid) ?? 0) + (rawOf(raw, '@reclaim_direct_ns').get(pid) ?? 0);
    assert.equal(r.stalls, count, `pid ${pid}: report stalls = the capture's count maps`);
    assert.equal(r.stallNs, ns, `pid ${pid}: report stallNs = the capture's ns maps`);
    // the histogram is a map of its own in the kernel: it must hold every stall
    assert.equal(raw.histCounts.get(pid) ?? 0, count, `pid ${pid}: the capture's histogram holds every stall`);
    assert.equal(total(rowsOf(snapshots, pid), (v) => v.reclaim.stallHistogram.reduce((n, b) => n + b.count, 0)), count, `pid ${pid}: snapshots' histograms`);
    const maxNs = Math.max(raw.maxes.get('@reclaim_memcg_max_ns')?.get(pid) ?? 0, raw.maxes.get('@reclaim_direct_max_ns')?.get(pid) ?? 0);
    assert.equal(r.maxStallNs, maxNs, `pid ${pid}: report maxStallNs`);
    // stalls over the threshold are also printed one by one: the longest is among them
    const printed = raw.stalls.filter((s) => s.pid === pid).map((s) => s.ns);
    if (printed.length > 0) assert.equal(r.maxStallNs, Math.max(...printed), `pid ${pid}: the longest stall printed`);
  }
  const events = snapshots.flatMap((s) => s.events);
  const stallEvents = events.filter((e) => e.type === 'reclaim-stall').map((e) => `${e.pid}:${e.durationNs}`).sort();
  assert.deepEqual(stallEvents, raw.stalls.map((s) => `${s.pid}:${s.ns}`).sort(), 'a reclaim-stall event per reclaim_stall line');
  const ooms = events.filter((e) => e.type === 'oom-kill').map((e) => `${e.pid}:${e.anonRssBytes}`);
  assert.deepEqual(ooms, raw.oomVictims.map((o) => `${o.pid}:${o.anonKb * 1024}`), 'an oom-kill event per oom_victim line');
  assert.equal(report.host.oomKills, raw.oomVictims.length, 'report host.oomKills = oom_victim lines');
}

/** What the load of test/fixtures/bpftrace/capture.ts (or the lab) must have left. */
function checkLoad(run: CaptureRun, raw: RawCapture, result: CaptureResult): void {
  const { snapshots, report } = result;
  if (run.guest) {
    const ref = run.guest.reference as { '@npf': number; '@level': Record<string, number>; '@unmap': number; '@age': number };
    const vm = report.vms.find((v) => v.pid === run.guest!.pid && v.kind === 'vm');
    assert.ok(vm, 'the guest is a VM row');
    // the lab's own bpftrace program counted beside kvm.bt (test/lab/)
    assert.equal(vm.faults.eptFaults, ref['@npf'], 'NPT faults = the lab count');
    assert.equal(vm.faults.guestRam, ref['@npf'], 'guest-RAM faults come from KVM');
    const rows = rowsOf(snapshots, run.guest.pid);
    assert.equal(total(rows, (v) => v.kvm.map4k), ref['@level']['1'] ?? 0, '4 KiB mappings = the lab count');
    assert.equal(total(rows, (v) => v.kvm.map2m), ref['@level']['2'] ?? 0, '2 MiB mappings = the lab count');
    assert.equal(total(rows, (v) => v.kvm.mmuNotifier), ref['@unmap'] + ref['@age'], 'MMU notifier calls in guest RAM = the lab count');
  } else if (run.group === 'faults') {
    // touch-pages touched 16384 fresh pages; the sample is 1 in 16 by page number
    assert.ok(report.vms.some((v) => v.faults.user >= 16384), 'the touch-pages process');
  } else if (run.group === 'growth') {
    // brk-churn: +1 MiB of break in one interval, -1 MiB in another
    const brk = snapshots.flatMap((s) => s.vms.map((v) => v.growth.brkBytes));
    assert.ok(brk.includes(MiB) && brk.includes(-MiB), brk.join(' '));
  } else if (run.group === 'reclaim') {
    // alloc-forever in a 64 MiB memory cgroup: one OOM kill, near the limit
    const ooms = snapshots.flatMap((s) => s.events.filter((e) => e.type === 'oom-kill'));
    assert.equal(ooms.length, 1);
    assert.ok(ooms[0]!.anonRssBytes > 32 * MiB && ooms[0]!.anonRssBytes <= 64 * MiB, String(ooms[0]!.anonRssBytes));
    assert.ok(report.vms.some((v) => v.oomKills === 1 && v.reclaim.memcgStalls > 0), 'the victim stalled in memcg reclaim first');
  } else if (run.group === 'kvm') {
    // no /dev/kvm where it was captured: ticks only
    assert.ok(raw.ticks >= 2);
    assert.ok(snapshots.every((s) => s.vms.length === 0 && s.events.length === 0));
  }
}

export function captureFacts(root: string, run: CaptureRun): Facts {
  return async (expected) => {
    const raw = readRawCapture(readFileSync(`${root}/${run.file}`, 'utf8'));
    checkCounts(run, raw, expected as CaptureResult);
    checkLoad(run, raw, expected as CaptureResult);
  };
}

interface RecordingResult {
  report: Report;
  detectAgain: { rows: { id: string; leak: VmReport['leak'] }[] };
}

/** samples/make-sample.ts: a 256 MiB guest that grows then is ballooned, a process
 * leaking 1 MiB every 500 ms, a memcg OOM kill; 60 s at 1 s. */
export function recordingFacts(root: string, file: string): Facts {
  return async (expected) => {
    const { report, detectAgain } = expected as RecordingResult;
    const reader = await openRecording(`${root}/${file}`);
    const snapshots: Snapshot[] = [];
    for await (const s of reader.snapshots()) snapshots.push(s);
    assert.equal(report.recording.snapshots, snapshots.length);
    assert.ok(report.recording.durationMs >= 55_000 && report.recording.durationMs <= 70_000, `${report.recording.durationMs} ms`);
    for (const row of report.vms) {
      const rows = snapshots.flatMap((s) => s.vms.filter((v) => v.id === row.id));
      assert.equal(row.snapshots, rows.length, row.id);
      const sums = {
        minor: total(rows, (v) => v.faults.minor), major: total(rows, (v) => v.faults.major), user: total(rows, (v) => v.faults.user),
        kernel: total(rows, (v) => v.faults.kernel), file: total(rows, (v) => v.faults.file), guestRam: total(rows, (v) => v.faults.guestRam),
        eptFaults: total(rows, (v) => v.kvm.eptFaults),
      };
      assert.deepEqual(row.faults, sums, `${row.id}: report faults = the sums of its snapshot rows`);
      assert.equal(row.reclaim.stalls, total(rows, (v) => v.reclaim.stalls), `${row.id}: stalls`);
      assert.equal(row.reclaim.stalls, total(rows, (v) => v.reclaim.stallHistogram.reduce((n, b) => n + b.count, 0)), `${row.id}: the histograms hold every stall`);
    }
    // the kernel's oom_kill counter (/proc/vmstat) against the probe's OOM events
    assert.equal(snapshots.reduce((n, s) => n + s.host.vmstat.oomKill, 0), 1, '/proc/vmstat oom_kill');
    assert.equal(report.host.oomKills, 1, 'report host.oomKills: the one memcg OOM kill');
    const vm = report.vms.find((v) => v.kind === 'vm');
    assert.equal(vm?.name, 'sample-web01');
    assert.equal(vm.memoryBytes, 256 * MiB);
    assert.ok(vm.rss.peak.guestRamBytes <= vm.memoryBytes && vm.rss.peak.guestRamBytes - vm.rss.final.guestRamBytes > 64 * MiB, 'grew, then ballooned');
    // the leaker: 1 MiB every 500 ms is 2 MiB/s
    const leaker = report.vms.find((v) => v.kind === 'process' && v.leak.verdict === 'leak');
    assert.ok(leaker, 'the leaking process has a leak verdict');
    assert.ok(Math.abs(leaker.leak.growthBytesPerSec / (2 * MiB) - 1) < 0.05, `${leaker.leak.growthBytesPerSec} B/s`);
    assert.equal(detectAgain.rows.find((r) => r.id === leaker.id)?.leak.verdict, 'leak', 'the detectors, run again, say leak too');
    // faults of the leaker: sampled by the probe, exact from /proc: within 10%
    assert.ok(Math.abs(leaker.faults.user / leaker.faults.minor - 1) < 0.1, `${leaker.faults.user} sampled, ${leaker.faults.minor} in /proc`);
  };
}
