// A live tracing session: checks the host, starts the probes, and emits one
// Snapshot per interval until stopped. Sinks (stdout, websocket, recorder) subscribe
// to it; they never see bpftrace.
import { cleanUpStaleDefinitions } from '../leaks/probe-definitions.js';
import type { Thresholds } from '../diagnose/thresholds.js';
import { hostname, release } from 'node:os';
import type { Meta, Snapshot } from '../model/snapshot.js';
import { blockingProblem, checkHost } from '../probe/preflight.js';
import { ProbeSet } from '../probe/probe-set.js';
import { errorLine } from '../probe/bpftrace-stderr.js';
import { PROBE_GROUPS, type ProbeGroup } from '../probe/probe-groups.js';
import { makeEvent } from '../aggregate/events.js';
import { Collector } from './collector.js';
import { BpfStats, ProbeCostReader } from '../probe/probe-cost.js';
import { pageOutLines } from '../probe/code-page-out.js';
import type { FaultlineError } from '../model/errors.js';
import type { ProbeBatch } from '../parse/probe-batch.js';
import { boundaryIndexAt, decideTick, firstBoundaryIndex } from './tick-wait.js';

export const FORMAT_VERSION = 1;
export const FAULTLINE_VERSION = '0.1.0';

export interface LiveOptions {
  intervalMs: number;
  /** The diagnosis's thresholds (--thresholds); default the playbook's. */
  thresholds?: Thresholds;
  pinnedPids: number[];
  bpftrace?: string;
  groups?: readonly ProbeGroup[];
  longStallMs?: number;
  busiestLimit?: number;
  probesDir?: string;
  /** progress and warnings for a human (stderr) */
  log?: (line: string) => void;
  /** The leak detectors' window; default 10 min. */
  leakWindowMs?: number;
  /** First restart delay of a dead probe group (doubles each try), ms. */
  restartBaseDelayMs?: number;
  /** How long a probe group may take to attach before it is left out, ms (default 60 s). */
  attachTimeoutMs?: number;
  /** Keys per probe map at start (src/probe/map-keys.ts; default 4096, grown when one fills). */
  mapKeys?: number;
  /** A probe group died and could not be restarted: the session cannot go on. */
  onFatal?: (error: FaultlineError) => void;
  /** Measure each probe program's cost (kernel.bpf_stats_enabled on for the session). */
  probeCost?: boolean;
  /** Give back each bpftrace's compiler pages once it attached
   * (src/probe/code-page-out.ts; default true). */
  pageOutCode?: boolean;
}

export class LiveSession {
  private probes: ProbeSet | null = null;
  private collector: Collector;
  private stopped = false;
  /** The latest boundary each group delivered a complete batch for (src/collect/tick-wait.ts). */
  private readonly deliveredIndex = new Map<string, number>();
  /** Ends the current wait early: a batch arrived, or stop(). */
  private wake: (() => void) | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private bpfStats: BpfStats | null = null;
  private costReader: ProbeCostReader | null = null;
  private readonly restoreStatsAtExit = (): void => this.bpfStats?.restoreSync();
  meta: Meta | null = null;

  constructor(private readonly options: LiveOptions, private readonly onSnapshot: (s: Snapshot) => void) {
    this.collector = new Collector({
      intervalMs: options.intervalMs,
      pinnedPids: options.pinnedPids,
      busiestLimit: options.busiestLimit,
      leakWindowMs: options.leakWindowMs,
      thresholds: options.thresholds,
      log: options.log,
    });
  }

  /** Resolves once the probes are attached; the first snapshot follows 0.5-1.5 intervals
   * later, at a boundary of the probes' clock (src/collect/tick-wait.ts). */
  async start(): Promise<Meta> {
    const log = this.options.log ?? (() => {});
    const checks = await checkHost(this.options.bpftrace);
    const problem = blockingProblem(checks);
    if (problem) throw problem;
    // uprobe/kprobe definitions a killed tracer left (faultline leaks, bcc's tools):
    // nobody else removes them (src/leaks/probe-definitions.ts)
    cleanUpStaleDefinitions(checks.tracefsPath!, '/proc', log);
    await this.collector.prime();
    const groups = this.options.groups ?? PROBE_GROUPS;
    const downSince = new Map<string, number>();
    let lastExit: FaultlineError | null = null;
    log(`faultline: attaching probe groups ${groups.join(', ')} (bpftrace ${checks.bpftraceVersion?.text ?? '?'})`);
    this.probes = new ProbeSet({
      groups,
      intervalMs: this.options.intervalMs,
      longStallNs: Math.round((this.options.longStallMs ?? 10) * 1e6),
      bpftracePath: checks.bpftracePath!,
      bpftraceVersion: checks.bpftraceVersion,
      probesDir: this.options.probesDir,
      tracefsPath: checks.tracefsPath!,
      attachTimeoutMs: this.options.attachTimeoutMs,
      mapKeys: this.options.mapKeys,
      pageOutCode: this.options.pageOutCode,
      onMapsFull: (message) => {
        log(`faultline: ${message}`);
        this.collector.addEvent(makeEvent('probe-error', Date.now(), { group: '', message }));
      },
      onBatch: (batch) => this.onBatch(batch),
      onEventLine: (line) => this.collector.noteEventLine(line),
      onGroupExit: (group, error) => {
        const detail = error.evidence.length ? `: ${errorLine(error.evidence)}` : '';
        // once per bpftrace, however many groups it ran
        if (error !== lastExit) log(`faultline: ${error.message}${detail}; restarting it`);
        lastExit = error;
        this.collector.addEvent(makeEvent('probe-error', Date.now(), { group, message: `${error.message}${detail}` }));
        downSince.set(group, Date.now());
      },
      onGroupRestart: (group, attempt) => {
        const downMs = Date.now() - (downSince.get(group) ?? Date.now());
        log(`faultline: probe group "${group}" restarted (try ${attempt}) after ${(downMs / 1000).toFixed(1)} s`);
        this.collector.addEvent(makeEvent('probe-restart', Date.now(), { group, message: `probe group ${group} restarted after ${(downMs / 1000).toFixed(1)} s` }));
        this.collector.addEvent(makeEvent('gap', Date.now(), {
          group, durationNs: downMs * 1e6,
          message: `no ${group} data for ${(downMs / 1000).toFixed(1)} s while its bpftrace was down`,
        }));
      },
      onFatal: (error) => this.options.onFatal?.(error),
      restartBaseDelayMs: this.options.restartBaseDelayMs,
    });
    const statuses = await this.probes.start();
    const shared = statuses.find((s) => s.attached && s.sharesProcessWith.length > 0);
    if (shared) log(`faultline:   one bpftrace runs ${[shared.group, ...shared.sharesProcessWith].join(', ')}`);
    const reason = statuses.find((s) => s.ownProcessReason)?.ownProcessReason;
    if (reason) log(`faultline:   one bpftrace per group: ${reason}`);
    for (const s of statuses) {
      const took = this.probes!.attachMs.get(s.group);
      log(`faultline:   ${s.group.padEnd(8)} ${s.attached ? `attached${took !== undefined ? ` in ${(took / 1000).toFixed(1)} s` : ''}` : `NOT attached: ${s.error}`}`);
      for (const p of s.points.filter((p) => p.state === 'missing')) {
        log(`faultline:            without ${p.point}: ${p.reason}${p.needs ? ` (needs ${p.needs})` : ''}${p.fallback ? `; ${p.fallback}` : ''}`);
      }
    }
    for (const line of pageOutLines(statuses.filter((s) => s.attached).map((s) => [s.group, this.probes!.codePageOut.get(s.group)]))) log(line);
    if (this.options.probeCost) await this.startProbeCost(log);
    this.meta = {
      formatVersion: FORMAT_VERSION,
      hostname: hostname(),
      kernel: release(),
      bpftraceVersion: checks.bpftraceVersion?.text ?? '',
      probeGroups: statuses.filter((s) => s.attached).map((s) => s.group),
      intervalMs: this.options.intervalMs,
      startTimeMs: Date.now(),
      faultlineVersion: FAULTLINE_VERSION,
      mode: 'live',
      endTimeMs: 0,
      historyMs: 0,
      deepLeaks: false,
    };
    this.ticking = this.run(firstBoundaryIndex(monotonicNs(), this.options.intervalMs));
    return this.meta!;
  }

  /** --probe-cost: bpf_stats on until stop() (or exit), costs read every interval. */
  private async startProbeCost(log: (line: string) => void): Promise<void> {
    try {
      this.bpfStats = new BpfStats();
      await this.bpfStats.enable();
      process.once('exit', this.restoreStatsAtExit);
      this.costReader = new ProbeCostReader();
      await this.costReader.costs(this.probes?.programOwners() ?? new Map());
      log('faultline: probe cost on (kernel.bpf_stats_enabled=1 until faultline exits)');
    } catch (error) {
      this.costReader = null;
      log(`faultline: --probe-cost: cannot read BPF program stats (${String(error)}); needs bpftool and root`);
    }
  }

  private onBatch(batch: ProbeBatch): void {
    this.collector.addBatch(batch);
    if (!batch.complete) return;
    // probes without the clock in their tick line (an older probes dir) deliver
    // for the boundary that last passed
    const index = batch.intervalIndex ?? boundaryIndexAt(monotonicNs(), this.options.intervalMs);
    this.deliveredIndex.set(batch.group, Math.max(index, this.deliveredIndex.get(batch.group) ?? -Infinity));
    this.wake?.();
  }

  /** One snapshot per boundary of the probes' shared clock, until stop(). */
  private async run(firstIndex: number): Promise<void> {
    const { intervalMs } = this.options;
    for (let index = firstIndex; !this.stopped; ) {
      await this.waitForBoundary(index);
      if (this.stopped) return;
      await this.emit().catch((error) => this.options.log?.(`faultline: snapshot failed: ${String(error)}`));
      // a snapshot that took longer than an interval skips to the latest boundary:
      // the batches in between fold into it rather than queueing up
      index = Math.max(index + 1, boundaryIndexAt(monotonicNs(), intervalMs));
    }
  }

  /** Until every attached group delivered its batch for the boundary, or the deadline. */
  private async waitForBoundary(boundaryIndex: number): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const attachedGroups = this.probes?.groups().filter((g) => g.attached).map((g) => g.group) ?? [];
      const decision = decideTick({
        boundaryIndex, intervalMs: this.options.intervalMs, attachedGroups, deliveredIndex: this.deliveredIndex, nowNs: monotonicNs(),
      });
      if (decision.emit) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.wake?.(), Math.ceil((decision.untilNs - monotonicNs()) / 1e6));
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  private async emit(): Promise<void> {
    if (!this.probes) return;
    const costs = this.costReader ? await this.costReader.costs(this.probes.programOwners()).catch(() => []) : undefined;
    const snapshot = await this.collector.tick({
      groups: this.probes.groups(),
      bpftraceVersion: this.meta?.bpftraceVersion ?? '',
      badLines: this.probes.takeBadLines(),
      costs,
    });
    this.onSnapshot(snapshot);
  }

  probePids(): number[] {
    return this.probes?.pids() ?? [];
  }

  /** Stops the probes (their last maps arrive) and emits a final snapshot of them. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    await this.ticking;
    if (!this.probes) return this.collector.close();
    await this.probes.stop();
    if (this.collector.hasPendingBatches()) await this.emit();
    this.collector.close();
    await this.bpfStats?.restore();
    process.removeListener('exit', this.restoreStatsAtExit);
  }
}

/** CLOCK_MONOTONIC in ns, the clock of bpftrace's nsecs. A double: exact to 2 ns for
 * 200 days of uptime, plenty for ms-sized intervals. */
function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}
