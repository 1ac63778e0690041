// The postmortem summary of a recording, built one snapshot at a time in bounded
// memory (per VM: a few counters, its hotspots, its chart points). Pure: the CLI
// reads the file and renders the result (render-text.ts, render-html.ts, or JSON).
import type {
  FaultlineEvent, Finding, Hotspot, LeakVerdict, Meta, ProcessExit, ProcessKind, RssBreakdown, Snapshot, VmSnapshot,
} from '../../model/snapshot.js';
import { addFaults, addHostCounts, NO_FAULTS, NO_HOST_COUNTS, type FaultTotals } from '../../aggregate/counter-totals.js';
import type { ReadStats } from '../reader.js';
import { DiagnosisTimeline, type DiagnosisSummary } from '../../diagnose/diagnosis-timeline.js';
import { addBuckets, quantileUpperNs } from './histogram.js';
import { SeriesSampler, type Keep } from './series-sampler.js';

export interface HotspotTotal {
  region: Hotspot['region'];
  mapping: string;
  startAddress: number;
  guestPhysAddress: number;
  faults: number;
}

export interface FindingSeen extends Finding {
  /** since when the detector has had this verdict */
  firstSeenMs: number;
  lastSeenMs: number;
}

/** A detector's verdict changed on this row (the recorded findings are the detectors'
 * current states, finding-state.ts; this is their history). */
export interface VerdictChangeSeen {
  atMs: number;
  detector: string;
  from: Finding['verdict'];
  to: Finding['verdict'];
}

/** Changes kept per row: the first ones and the latest ones. */
const MAX_CHANGES_KEPT = 40;

export interface VmReport {
  id: string;
  name: string;
  kind: ProcessKind;
  pid: number;
  uuid: string;
  vmid: string;
  source: string;
  memoryBytes: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** snapshots that had a row for it */
  snapshots: number;
  exited: boolean;
  /** how a host process ended (its last row's exit), null while it lived or for VMs */
  exit: Pick<ProcessExit, 'atMs' | 'cause' | 'code' | 'signal'> | null;
  rss: { peak: RssBreakdown; final: RssBreakdown; peakTotalAtMs: number };
  faults: FaultTotals;
  hotspots: HotspotTotal[];
  reclaim: { stalls: number; stallNs: number; directStalls: number; memcgStalls: number; maxStallNs: number; p99StallNs: number };
  oomKills: number;
  /** its current leak verdict: the one of its last snapshot (verdict '' when no detector ran) */
  leak: LeakVerdict;
  /** each detector's current finding (its last snapshot's), one per detector */
  findings: FindingSeen[];
  /** when each detector's verdict changed, in time order (at most MAX_CHANGES_KEPT:
   * the first half and the latest half; `changesDropped` says how many in between) */
  verdictChanges: VerdictChangeSeen[];
  changesDropped: number;
}

export interface Gap {
  fromMs: number;
  toMs: number;
  missedIntervals: number;
}

export interface HostReport {
  memTotalBytes: number;
  memAvailableMin: { bytes: number; atMs: number };
  psiSomePeak: { avg10: number; atMs: number };
  psiFullPeak: { avg10: number; atMs: number };
  swap: { totalBytes: number; peakUsedBytes: number; atMs: number; swapInPages: number; swapOutPages: number };
  oomKills: number;
  lostEvents: { total: number; intervals: number };
  probeErrors: number;
  gaps: Gap[];
  missedIntervals: number;
}

export interface RecordingSummary {
  file: string;
  hostname: string;
  kernel: string;
  bpftraceVersion: string;
  faultlineVersion: string;
  probeGroups: string[];
  intervalMs: number;
  startTimeMs: number;
  endTimeMs: number;
  durationMs: number;
  snapshots: number;
  frames: number;
  bytesIgnoredAtEnd: number;
  corruptFramesSkipped: number;
  /** Its writer had not closed it when it was read: the report covers up to
   * endTimeMs (src/record/still-open.ts says how that is told). */
  stillOpen: boolean;
}

export interface Report {
  recording: RecordingSummary;
  /** The diagnosis at the recording's end and when each cause started and ended. */
  diagnosis: DiagnosisSummary;
  host: HostReport;
  vms: VmReport[];
  /** OOM kills, leak findings, probe errors and gaps, in time order (the first 500). */
  events: FaultlineEvent[];
}

/** Columnar chart data for the HTML report (downsampled; see series-sampler.ts). */
export interface ReportCharts {
  timeMs: number[];
  series: Map<string, { keep: Keep; values: number[] }>;
}

const NOTABLE_EVENTS = new Set(['oom-kill', 'leak-finding', 'probe-error', 'gap', 'vm-start', 'vm-exit', 'process-exit']);
const MAX_EVENTS = 500;
const MAX_HOTSPOTS_KEPT = 512;
const TOP_HOTSPOTS = 5;
const RSS_KINDS: Array<keyof RssBreakdown> = ['totalBytes', 'anonBytes', 'fileBytes', 'shmemBytes', 'swapBytes', 'guestRamBytes', 'ownAnonBytes', 'anonHugeBytes', 'guestRamHugeBytes'];

interface VmState {
  report: VmReport;
  hotspots: Map<string, HotspotTotal>;
  stallHistogram: Map<number, number>;
  findings: Map<string, FindingSeen>;
}

function zeroRss(): RssBreakdown {
  return { totalBytes: 0, anonBytes: 0, fileBytes: 0, shmemBytes: 0, swapBytes: 0, guestRamBytes: 0, ownAnonBytes: 0, anonHugeBytes: 0, guestRamHugeBytes: 0 };
}

function newVm(v: VmSnapshot, timeMs: number): VmState {
  return {
    report: {
      id: v.id, name: v.name, kind: v.kind, pid: v.pid, uuid: v.uuid, vmid: v.vmid, source: v.source, memoryBytes: v.memoryBytes,
      firstSeenMs: timeMs, lastSeenMs: timeMs, snapshots: 0, exited: false, exit: null,
      rss: { peak: zeroRss(), final: zeroRss(), peakTotalAtMs: timeMs },
      faults: { ...NO_FAULTS },
      hotspots: [],
      reclaim: { stalls: 0, stallNs: 0, directStalls: 0, memcgStalls: 0, maxStallNs: 0, p99StallNs: -1 },
      oomKills: 0,
      leak: { verdict: '', growthBytesPerSec: 0, windowMs: 0, fit: 0 },
      findings: [],
      verdictChanges: [],
      changesDropped: 0,
    },
    hotspots: new Map(),
    stallHistogram: new Map(),
    findings: new Map(),
  };
}

/** Keeps the first half of MAX_CHANGES_KEPT and the latest half (a verdict that
 * flapped all night keeps how it began and how it ended). */
function addChange(r: VmReport, change: VerdictChangeSeen): void {
  const half = MAX_CHANGES_KEPT / 2;
  if (r.verdictChanges.length >= MAX_CHANGES_KEPT) {
    r.verdictChanges.splice(half, 1);
    r.changesDropped += 1;
  }
  r.verdictChanges.push(change);
}

/** Chart series names: `host:memAvailableBytes`, `vm:ID:rssBytes`... */
export const seriesName = {
  host: (field: string): string => `host:${field}`,
  vm: (id: string, field: string): string => `vm:${id}:${field}`,
};

export class ReportBuilder {
  private vms = new Map<string, VmState>();
  private events: FaultlineEvent[] = [];
  private charts = new SeriesSampler(600);
  private hostCounts = NO_HOST_COUNTS;
  private first: Snapshot | null = null;
  private readonly diagnosis = new DiagnosisTimeline();
  private last: Snapshot | null = null;
  private host: HostReport = {
    memTotalBytes: 0,
    memAvailableMin: { bytes: Infinity, atMs: 0 },
    psiSomePeak: { avg10: -1, atMs: 0 },
    psiFullPeak: { avg10: -1, atMs: 0 },
    swap: { totalBytes: 0, peakUsedBytes: 0, atMs: 0, swapInPages: 0, swapOutPages: 0 },
    oomKills: 0,
    lostEvents: { total: 0, intervals: 0 },
    probeErrors: 0,
    gaps: [],
    missedIntervals: 0,
  };

  constructor(private readonly meta: Meta, private readonly file: string) {}

  add(s: Snapshot): void {
    this.first ??= s;
    this.diagnosis.add(s);
    this.addGap(s);
    this.last = s;
    this.addHost(s);
    const points = new Map<string, { value: number; keep: Keep }>([
      [seriesName.host('memAvailableBytes'), { value: s.host.memAvailableBytes, keep: 'min' }],
      [seriesName.host('swapUsedBytes'), { value: s.host.swapUsedBytes, keep: 'max' }],
      [seriesName.host('psiMemSomeAvg10'), { value: s.host.psiMemSomeAvg10, keep: 'max' }],
    ]);
    for (const v of s.vms) {
      this.addVm(v, s);
      points.set(seriesName.vm(v.id, 'rssBytes'), { value: v.rss.totalBytes, keep: 'max' });
      points.set(seriesName.vm(v.id, 'stallMs'), { value: v.reclaim.stallNs / 1e6, keep: 'max' });
    }
    this.charts.add(s.timeMs, points);
    for (const e of s.events) this.addEvent(e);
  }

  /** Snapshots missing (a seq jump: ring mode, damage) or a long silence (the
   * collector stalled: late ticks under load come up to half an interval late, so
   * only three intervals without a snapshot count). */
  private addGap(s: Snapshot): void {
    if (!this.last) return;
    const seqJump = s.seq - this.last.seq;
    // the nominal interval: a snapshot's own covers the silence before it
    const steps = Math.round((s.timeMs - this.last.timeMs) / (this.meta.intervalMs || s.intervalMs));
    const missed = Math.max(seqJump > 1 ? seqJump - 1 : 0, steps >= 3 ? steps - 1 : 0);
    if (missed > 0) {
      this.host.gaps.push({ fromMs: this.last.timeMs, toMs: s.timeMs, missedIntervals: missed });
      this.host.missedIntervals += missed;
    }
  }

  private addHost(s: Snapshot): void {
    const h = this.host;
    h.memTotalBytes = Math.max(h.memTotalBytes, s.host.memTotalBytes);
    if (s.host.memAvailableBytes < h.memAvailableMin.bytes) h.memAvailableMin = { bytes: s.host.memAvailableBytes, atMs: s.timeMs };
    if (s.host.psiMemSomeAvg10 > h.psiSomePeak.avg10) h.psiSomePeak = { avg10: s.host.psiMemSomeAvg10, atMs: s.timeMs };
    if (s.host.psiMemFullAvg10 > h.psiFullPeak.avg10) h.psiFullPeak = { avg10: s.host.psiMemFullAvg10, atMs: s.timeMs };
    h.swap.totalBytes = Math.max(h.swap.totalBytes, s.host.swapTotalBytes);
    if (s.host.swapUsedBytes > h.swap.peakUsedBytes) Object.assign(h.swap, { peakUsedBytes: s.host.swapUsedBytes, atMs: s.timeMs });
    this.hostCounts = addHostCounts(this.hostCounts, s.host);
    h.swap.swapInPages = this.hostCounts.swapInPages;
    h.swap.swapOutPages = this.hostCounts.swapOutPages;
    h.lostEvents.total += s.probes.lostEvents;
    if (s.probes.lostEvents > 0) h.lostEvents.intervals += 1;
  }

  private addVm(v: VmSnapshot, s: Snapshot): void {
    let state = this.vms.get(v.id);
    if (!state) this.vms.set(v.id, (state = newVm(v, s.timeMs)));
    const r = state.report;
    r.name = v.name || r.name;
    r.memoryBytes = v.memoryBytes || r.memoryBytes;
    r.lastSeenMs = s.timeMs;
    r.snapshots += 1;
    for (const kind of RSS_KINDS) r.rss.peak[kind] = Math.max(r.rss.peak[kind], v.rss[kind]);
    if (v.rss.totalBytes >= r.rss.peak.totalBytes) r.rss.peakTotalAtMs = s.timeMs;
    if (v.exit?.cause) {
      r.exited = true;
      r.exit = { atMs: v.exit.atMs, cause: v.exit.cause, code: v.exit.code ?? 0, signal: v.exit.signal ?? 0 };
    } else r.rss.final = { ...v.rss };
    r.faults = addFaults(r.faults, v);
    const c = r.reclaim;
    c.stalls += v.reclaim.stalls;
    c.stallNs += v.reclaim.stallNs;
    c.directStalls += v.reclaim.directStalls;
    c.memcgStalls += v.reclaim.memcgStalls;
    c.maxStallNs = Math.max(c.maxStallNs, v.reclaim.maxStallNs);
    addBuckets(state.stallHistogram, v.reclaim.stallHistogram);
    for (const h of v.hotspots) this.addHotspot(state, h);
    if (v.leak.verdict) r.leak = { ...v.leak };
    for (const finding of v.findings) {
      const seen = state.findings.get(finding.detector);
      const changed = !!seen && seen.verdict !== finding.verdict;
      if (changed) addChange(r, { atMs: s.timeMs, detector: finding.detector, from: seen.verdict, to: finding.verdict });
      const since = !seen || changed ? s.timeMs : seen.firstSeenMs;
      state.findings.set(finding.detector, { ...finding, firstSeenMs: since, lastSeenMs: s.timeMs });
    }
  }

  private addHotspot(state: VmState, h: Hotspot): void {
    const key = `${h.region}:${h.startAddress}:${h.guestPhysAddress}`;
    const total = state.hotspots.get(key);
    if (total) total.faults += h.faults;
    else state.hotspots.set(key, { region: h.region, mapping: h.mapping, startAddress: h.startAddress, guestPhysAddress: h.guestPhysAddress, faults: h.faults });
    if (state.hotspots.size > MAX_HOTSPOTS_KEPT) {
      // keep the busiest half: a region that was cold for most of the recording and
      // busy late may be undercounted, the top ones are exact
      const kept = [...state.hotspots].sort((a, b) => b[1].faults - a[1].faults).slice(0, MAX_HOTSPOTS_KEPT / 2);
      state.hotspots = new Map(kept);
    }
  }

  private addEvent(e: FaultlineEvent): void {
    if (e.type === 'oom-kill') {
      this.host.oomKills += 1;
      const victim = this.vms.get(e.vmId) ?? [...this.vms.values()].find((v) => v.report.pid === e.pid && !e.vmId);
      if (victim) victim.report.oomKills += 1;
    }
    if (e.type === 'probe-error') this.host.probeErrors += 1;
    if (e.type === 'vm-exit') {
      const vm = this.vms.get(e.vmId);
      if (vm) vm.report.exited = true;
    }
    if (NOTABLE_EVENTS.has(e.type) && this.events.length < MAX_EVENTS) this.events.push(e);
  }

  /** `stillOpen`: the recording was still being written when it was read. */
  finish(stats: ReadStats, stillOpen = false): { report: Report; charts: ReportCharts } {
    const startTimeMs = this.meta.startTimeMs || this.first?.timeMs || 0;
    const vms = [...this.vms.values()].map((state) => {
      const r = state.report;
      r.hotspots = [...state.hotspots.values()].sort((a, b) => b.faults - a.faults || a.startAddress - b.startAddress).slice(0, TOP_HOTSPOTS);
      r.reclaim.p99StallNs = quantileUpperNs(state.stallHistogram, 0.99, r.reclaim.maxStallNs || Infinity);
      r.findings = [...state.findings.values()];
      return r;
    });
    vms.sort((a, b) => Number(a.kind === 'process') - Number(b.kind === 'process') || b.rss.peak.totalBytes - a.rss.peak.totalBytes || a.name.localeCompare(b.name));
    const host = { ...this.host };
    if (host.memAvailableMin.bytes === Infinity) host.memAvailableMin = { bytes: 0, atMs: 0 };
    return {
      report: {
        recording: {
          file: this.file,
          hostname: this.meta.hostname,
          kernel: this.meta.kernel,
          bpftraceVersion: this.meta.bpftraceVersion,
          faultlineVersion: this.meta.faultlineVersion,
          probeGroups: [...this.meta.probeGroups],
          intervalMs: this.meta.intervalMs,
          startTimeMs,
          endTimeMs: this.last?.timeMs ?? startTimeMs,
          durationMs: this.last ? this.last.timeMs - startTimeMs : 0,
          snapshots: stats.snapshots,
          frames: stats.frames,
          bytesIgnoredAtEnd: stats.bytesIgnoredAtEnd,
          corruptFramesSkipped: stats.corruptFramesSkipped,
          stillOpen,
        },
        diagnosis: this.diagnosis.finish(),
        host,
        vms,
        events: this.events,
      },
      charts: { timeMs: this.charts.timeMs, series: this.charts.series },
    };
  }
}
