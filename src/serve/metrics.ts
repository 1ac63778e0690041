// /metrics for Prometheus: MetricsState takes every Snapshot (update) and renders the
// text format 0.0.4 (render). Pure apart from metricsHandler at the bottom.
//
// One series per VM (and per reported host process), labelled {vm, uuid}: no pid,
// no address, so a VM keeps its series across restarts and pid reuse. A host process
// has no uuid: it also gets process="PID@START" (its row id), so two processes of one
// name (three `node`s) are two series; a restarted process is a new one, dropped
// after staleAfterMs like any gone series, so the count stays bounded (maxSeries). Counters add
// up the per-interval counts of the snapshots (src/aggregate/counter-totals.ts, the
// same sums the report makes); gauges are the latest snapshot's and are only exposed
// for rows in it (a host process that left the top list stops exporting gauges at
// once, Prometheus marks them stale). Series not seen for
// `staleAfterMs` are dropped, and at most `maxSeries` are kept (VMs before host
// processes, most recently seen first), so a long run stays bounded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addFaults, addHostCounts, NO_FAULTS, NO_HOST_COUNTS, type FaultTotals, type HostCounterTotals } from '../aggregate/counter-totals.js';
import type { FaultlineEvent, GuestMemory, ProcessKind, Snapshot, VmSnapshot } from '../model/snapshot.js';
import { labelText, renderFamilies, type MetricFamily, type MetricType, type Sample } from './metrics-format.js';
import { guestFamilies } from './metrics-guest.js';
import { addBuckets, cumulativeCounts, emptyHistogram, STALL_LE, type CumulativeHistogram } from './metrics-histogram.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const RSS_KINDS = ['guest_ram', 'own_anon', 'file', 'shmem', 'swap', 'total'] as const;
/** type="..." label values and the totals they read. */
const FAULT_TYPES = [
  ['minor', 'minor'], ['major', 'major'], ['user', 'user'], ['kernel', 'kernel'], ['file', 'file'], ['guest_ram', 'guestRam'],
] as const satisfies ReadonlyArray<readonly [string, keyof FaultTotals]>;
type RssKind = (typeof RSS_KINDS)[number];

export interface MetricsOptions {
  /** Drop a VM's series when no snapshot had it for this long (default 10 min). */
  staleAfterMs?: number;
  /** At most this many VM/process series (default 500). */
  maxSeries?: number;
}

interface VmSeries {
  vm: string;
  uuid: string;
  /** `vm="...",uuid="..."`, escaped once */
  labels: string;
  /** the labels with kind=, type= and le= appended, per RSS_KINDS, FAULT_TYPES and
   * stall bucket: made once per series, not per sample and scrape */
  rssLabels: string[];
  faultLabels: string[];
  bucketLabels: string[];
  kind: ProcessKind;
  source: string;
  vmid: string;
  lastSeenMs: number;
  /** update() count when last in a snapshot: gauges only for the latest. */
  lastSeenUpdate: number;
  faults: FaultTotals;
  oomKills: number;
  stall: CumulativeHistogram;
  rss: Record<RssKind, number>;
  memoryBytes: number;
  leakSuspect: number;
  /** The guest's own view (libvirt VMs), latest snapshot's; null without one. */
  guest: GuestMemory | null;
}

interface ProbeGroupSeries {
  attached: number;
  lostEvents: number;
  badLines: number;
  /** the group's running totals as last reported (they restart with the probe) */
  lastLostTotal: number;
  lastBadTotal: number;
}

function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** Adds a row's resident bytes to a series' (in place: update runs every interval). */
function addRss(rss: Record<RssKind, number>, row: VmSnapshot): void {
  rss.guest_ram += row.rss.guestRamBytes;
  rss.own_anon += row.rss.ownAnonBytes;
  rss.file += row.rss.fileBytes;
  rss.shmem += row.rss.shmemBytes;
  rss.swap += row.rss.swapBytes;
  rss.total += row.rss.totalBytes;
}

/** A running total that may restart from 0 (a restarted probe): add what it grew. */
function grown(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

export class MetricsState {
  private readonly series = new Map<string, VmSeries>();
  /** snapshot row id (pid@start) -> series key, to place OOM kills of VMs that are gone */
  private readonly keyById = new Map<string, string>();
  private readonly groups = new Map<string, ProbeGroupSeries>();
  private latest: Snapshot | null = null;
  private updates = 0;
  private droppedSeries = 0;
  private host: HostCounterTotals = NO_HOST_COUNTS;
  private readonly staleAfterMs: number;
  private readonly maxSeries: number;

  constructor(options: MetricsOptions = {}) {
    this.staleAfterMs = options.staleAfterMs ?? 10 * 60_000;
    this.maxSeries = options.maxSeries ?? 500;
  }

  update(snapshot: Snapshot): void {
    this.updates += 1;
    this.latest = snapshot;
    const fresh = new Set<string>();
    for (const row of snapshot.vms) {
      const process = row.kind === 'process' ? row.id : '';
      const key = `${row.name}\u0000${row.uuid}\u0000${process}`;
      let s = this.series.get(key);
      if (!s) {
        const labels = labelText(process ? { vm: row.name, uuid: row.uuid, process } : { vm: row.name, uuid: row.uuid });
        s = {
          vm: row.name, uuid: row.uuid, labels, kind: row.kind, source: row.source, vmid: row.vmid,
          rssLabels: RSS_KINDS.map((k) => `${labels},kind="${k}"`),
          faultLabels: FAULT_TYPES.map(([t]) => `${labels},type="${t}"`),
          bucketLabels: STALL_LE.map((le) => `${labels},le="${le}"`),
          lastSeenMs: 0, lastSeenUpdate: 0, faults: NO_FAULTS, oomKills: 0,
          stall: emptyHistogram(), rss: zeroed(RSS_KINDS), memoryBytes: 0, leakSuspect: Number.NaN, guest: null,
        };
        this.series.set(key, s);
      }
      // several rows with one label set (a VM listed twice while it restarts): gauges add up
      if (!fresh.has(key)) {
        fresh.add(key);
        for (const k of RSS_KINDS) s.rss[k] = 0;
        s.memoryBytes = 0;
        s.leakSuspect = Number.NaN;
        s.guest = null;
      }
      s.kind = row.kind;
      s.source = row.source;
      s.vmid = row.vmid;
      s.lastSeenMs = snapshot.timeMs;
      s.lastSeenUpdate = this.updates;
      addRss(s.rss, row);
      s.memoryBytes += row.memoryBytes;
      s.guest = row.guestMemory ?? s.guest;
      // not judged yet is unknown (NaN), never 0: "no leak" is a verdict too
      if (row.leak.verdict === 'leak' || row.leak.verdict === 'suspect') s.leakSuspect = 1;
      else if (row.leak.verdict === 'ok' && Number.isNaN(s.leakSuspect)) s.leakSuspect = 0;
      s.faults = addFaults(s.faults, row);
      addBuckets(s.stall, row.reclaim.stallHistogram, row.reclaim.stallNs);
      this.keyById.set(row.id, key);
    }
    for (const event of snapshot.events) this.countEvent(event);
    this.updateProbes(snapshot);
    this.host = addHostCounts(this.host, snapshot.host);
    this.prune(snapshot.timeMs);
  }

  private countEvent(event: FaultlineEvent): void {
    if (event.type !== 'oom-kill' || !event.vmId) return;
    const key = this.keyById.get(event.vmId);
    const s = key === undefined ? undefined : this.series.get(key);
    if (s) s.oomKills += 1;
  }

  private updateProbes(snapshot: Snapshot): void {
    for (const g of snapshot.probes.groups) {
      const s = this.groups.get(g.group) ?? { attached: 0, lostEvents: 0, badLines: 0, lastLostTotal: 0, lastBadTotal: 0 };
      s.attached = g.attached ? 1 : 0;
      s.lostEvents += grown(s.lastLostTotal, g.lostEvents);
      s.badLines += grown(s.lastBadTotal, g.badLines);
      s.lastLostTotal = g.lostEvents;
      s.lastBadTotal = g.badLines;
      this.groups.set(g.group, s);
    }
  }

  private prune(nowMs: number): void {
    for (const [key, s] of this.series) {
      if (nowMs - s.lastSeenMs > this.staleAfterMs) this.drop(key);
    }
    if (this.series.size <= this.maxSeries) return;
    const keep = [...this.series]
      .sort(([, a], [, b]) => Number(a.kind !== 'vm') - Number(b.kind !== 'vm') || b.lastSeenMs - a.lastSeenMs)
      .slice(this.maxSeries);
    for (const [key] of keep) this.drop(key);
  }

  private drop(key: string): void {
    this.series.delete(key);
    this.droppedSeries += 1;
    for (const [id, k] of this.keyById) if (k === key) this.keyById.delete(id);
  }

  /** Series tracked now (VMs and host processes). */
  seriesCount(): number {
    return this.series.size;
  }

  render(): string {
    const all = [...this.series.values()].sort((a, b) => a.vm.localeCompare(b.vm) || a.uuid.localeCompare(b.uuid));
    const current = all.filter((s) => s.lastSeenUpdate === this.updates);
    const id = (s: VmSeries): string => s.labels;
    const family = (name: string, type: MetricType, help: string, samples: Sample[]): MetricFamily => ({ name, type, help, samples });
    const perVm = (rows: VmSeries[], value: (s: VmSeries) => number): Sample[] => rows.map((s) => ({ labels: id(s), value: value(s) }));
    const families: MetricFamily[] = [
      family('faultline_vm_info', 'gauge', 'A VM (kind="vm", a QEMU process) or host process faultline reports; always 1. Join on vm, uuid.',
        all.map((s) => ({ labels: `${s.labels},${labelText({ source: s.source, vmid: s.vmid, kind: s.kind })}`, value: 1 }))),
      family('faultline_vm_rss_bytes', 'gauge', 'Resident memory by kind: guest_ram (the guest-RAM mapping), own_anon (QEMU\'s own memory: anon + shmem outside guest RAM), file, shmem, swap (swapped out), total.',
        current.flatMap((s) => RSS_KINDS.map((k, i) => ({ labels: s.rssLabels[i]!, value: s.rss[k] })))),
      family('faultline_vm_memory_bytes', 'gauge', 'Configured guest memory (-m or memory backends); 0 for host processes.', perVm(current, (s) => s.memoryBytes)),
      family('faultline_vm_faults_total', 'counter', 'Page faults by type. minor and major are the exact totals from /proc/PID/stat; user, kernel and file are the probe\'s split, estimated from a 1-in-16 page sample; guest_ram are faults that populated guest RAM. Do not sum across types.',
        all.flatMap((s) => FAULT_TYPES.map(([, key], i) => ({ labels: s.faultLabels[i]!, value: s.faults[key] })))),
      family('faultline_vm_ept_faults_total', 'counter', 'NPT/EPT faults (kvm:kvm_page_fault; AMD NPT, Intel EPT violations): guest accesses to guest RAM KVM had not mapped.', perVm(all, (s) => s.faults.eptFaults)),
      family('faultline_vm_reclaim_stall_seconds', 'histogram', 'Time the VM\'s threads stalled in direct or memcg reclaim, per stall.', all.flatMap((s) => [
        ...cumulativeCounts(s.stall).map((count, i) => ({ suffix: '_bucket', labels: s.bucketLabels[i]!, value: count })),
        { suffix: '_sum', labels: id(s), value: s.stall.sumSeconds },
        { suffix: '_count', labels: id(s), value: s.stall.count },
      ])),
      family('faultline_vm_oom_kills_total', 'counter', 'Times the OOM killer chose this VM (or process).', perVm(all, (s) => s.oomKills)),
      family('faultline_vm_leak_suspect', 'gauge', '1 when the leak detector says leak or suspect, 0 when it says ok, NaN while it has not judged yet (its window is not full).', perVm(current, (s) => s.leakSuspect)),
      ...guestFamilies(current.flatMap((s) => (s.guest ? [{ labels: s.labels, guest: s.guest }] : []))),
      ...this.diagnosisFamilies(family),
      ...this.hostFamilies(family),
      ...this.probeFamilies(family),
      family('faultline_vm_series', 'gauge', 'VM and process series faultline is exporting.', [{ labels: {}, value: this.series.size }]),
      family('faultline_vm_series_dropped_total', 'counter', 'Series dropped because their VM or process was gone for a while, or over the cap.', [{ labels: {}, value: this.droppedSeries }]),
      family('faultline_snapshots_total', 'counter', 'Snapshots taken since faultline started.', [{ labels: {}, value: this.updates }]),
    ];
    if (this.latest) {
      families.push(family('faultline_last_snapshot_timestamp_seconds', 'gauge', 'When the latest snapshot was taken (Unix time).', [{ labels: {}, value: this.latest.timeMs / 1000 }]));
    }
    return renderFamilies(families);
  }

  /** The latest snapshot's diagnosis (src/diagnose/): its status and each cause. */
  private diagnosisFamilies(family: (n: string, t: MetricType, h: string, s: Sample[]) => MetricFamily): MetricFamily[] {
    const d = this.latest?.diagnosis;
    const level = { healthy: 0, warning: 1, critical: 2 } as const;
    const status = d && d.status in level ? [{ labels: {}, value: level[d.status] }] : [];
    return [
      family('faultline_health_status', 'gauge', 'The diagnosis over the last 10 s (docs/diagnosis.md): 0 healthy, 1 warning, 2 critical.', status),
      family('faultline_diagnosis_cause', 'gauge', 'One series per current cause of the diagnosis, always 1: cause (memory-low, paging, pressure, overcommit, oom-kill, reclaim-stall, cgroup-near-limit, leak), severity, subject (host or the VM / process name) and subject_id (its row id, "" for the host).',
        // one series per label set: two OOM kills of one subject are one cause here
        [...new Map((d?.causes ?? []).map((c) => {
          const labels = { cause: c.cause, severity: c.severity, subject: c.subject, subject_id: c.subjectId };
          return [labelText(labels), { labels, value: 1 }] as const;
        })).values()]),
    ];
  }

  private hostFamilies(family: (n: string, t: MetricType, h: string, s: Sample[]) => MetricFamily): MetricFamily[] {
    const h = this.latest?.host;
    const one = (value: number | undefined): Sample[] => (value === undefined || value < 0 ? [] : [{ labels: {}, value }]);
    const c = this.latest ? this.host : null;
    return [
      family('faultline_host_memory_total_bytes', 'gauge', 'MemTotal.', one(h?.memTotalBytes)),
      family('faultline_host_memory_available_bytes', 'gauge', 'MemAvailable.', one(h?.memAvailableBytes)),
      family('faultline_host_swap_used_bytes', 'gauge', 'SwapTotal - SwapFree.', one(h?.swapUsedBytes)),
      family('faultline_host_zswap_bytes', 'gauge', 'Zswap pool size.', one(h?.zswapBytes)),
      family('faultline_host_zswapped_bytes', 'gauge', 'What the zswap pool holds, uncompressed (meminfo Zswapped).', one(h?.zswappedBytes)),
      family('faultline_host_psi_memory_some_avg10', 'gauge', 'PSI memory "some" avg10, percent.', one(h?.psiMemSomeAvg10)),
      family('faultline_host_psi_memory_full_avg10', 'gauge', 'PSI memory "full" avg10, percent.', one(h?.psiMemFullAvg10)),
      family('faultline_host_page_faults_total', 'counter', 'pgfault from /proc/vmstat since faultline started.', one(c?.pageFaults)),
      family('faultline_host_major_page_faults_total', 'counter', 'pgmajfault from /proc/vmstat since faultline started.', one(c?.majorPageFaults)),
      family('faultline_host_swap_in_pages_total', 'counter', 'pswpin since faultline started.', one(c?.swapInPages)),
      family('faultline_host_swap_out_pages_total', 'counter', 'pswpout since faultline started.', one(c?.swapOutPages)),
      family('faultline_host_zswap_in_pages_total', 'counter', 'zswpin (pages loaded from the zswap pool) since faultline started; 0 without zswap counters.', one(c?.zswapInPages)),
      family('faultline_host_zswap_out_pages_total', 'counter', 'zswpout (pages stored into the zswap pool) since faultline started.', one(c?.zswapOutPages)),
      family('faultline_host_zswap_written_back_pages_total', 'counter', 'zswpwb (pages written back from the zswap pool to the swap device; also in swap_out) since faultline started.', one(c?.zswapWrittenBackPages)),
      family('faultline_host_oom_kills_total', 'counter', 'oom_kill from /proc/vmstat since faultline started.', one(c?.oomKills)),
      family('faultline_host_compaction_stalls_total', 'counter', 'compact_stall since faultline started.', one(c?.compactionStalls)),
      family('faultline_host_kswapd_wakes_total', 'counter', 'kswapd wake-ups seen by the reclaim probe.', one(c?.kswapdWakes)),
      family('faultline_host_kswapd_run_seconds_total', 'counter', 'kswapd busy time seen by the reclaim probe.', one(c ? c.kswapdRunNs / 1e9 : undefined)),
    ];
  }

  private probeFamilies(family: (n: string, t: MetricType, h: string, s: Sample[]) => MetricFamily): MetricFamily[] {
    const groups = [...this.groups].sort(([a], [b]) => a.localeCompare(b));
    const costs = this.latest?.probes.costs ?? [];
    const perGroup = (value: (g: ProbeGroupSeries) => number): Sample[] => groups.map(([group, g]) => ({ labels: { group }, value: value(g) }));
    return [
      family('faultline_probe_attached', 'gauge', '1 when the probe group\'s bpftrace program is attached.', perGroup((g) => g.attached)),
      // counted by bpftrace for its whole process: groups that share one show the same total
      family('faultline_probe_lost_events_total', 'counter', 'Events the kernel dropped (bpftrace lost_events), in the bpftrace this group runs in (groups sharing one show its total each).', perGroup((g) => g.lostEvents)),
      family('faultline_probe_bad_lines_total', 'counter', 'bpftrace output lines that did not parse, in the bpftrace this group runs in (groups sharing one show its total each).', perGroup((g) => g.badLines)),
      family('faultline_probe_ns_per_event', 'gauge', 'BPF run time per event of each probe program (kernel.bpf_stats_enabled; faultline live --probe-cost).',
        costs.map((c) => ({ labels: { group: c.group, program: c.program }, value: c.nsPerEvent }))),
      family('faultline_probe_events_per_second', 'gauge', 'Events per second each probe program ran on (--probe-cost).',
        costs.map((c) => ({ labels: { group: c.group, program: c.program }, value: c.eventsPerSec }))),
    ];
  }
}

/** GET/HEAD /metrics, for the UI server's routes. Access checks (token) are the server's. */
export function metricsHandler(state: MetricsState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    const body = state.render();
    res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
