// Starts every probe group (one bpftrace each, in parallel), keeps going with the
// groups that attached, and tracks their status for the snapshot. A group whose
// bpftrace dies mid-run is restarted with backoff (1 s, 2 s, 4 s ... 30 s); after
// `maxRestarts` failed restarts in a row the set gives up and reports it as fatal.
import { FaultlineError } from '../model/errors.js';
import type { ProbeGroupStatus } from '../model/snapshot.js';
import type { ProbeBatch } from '../parse/probe-batch.js';
import { BpftraceRunner } from './bpftrace-runner.js';
import { probeEnv, type BpftraceVersion } from './bpftrace-version.js';
import { probeArgs, type ProbeGroup } from './probe-groups.js';
import { assembleGroup, missingPointsText } from './assemble-group.js';
import type { PointStatus } from './probe-program.js';

export interface ProbeSetOptions {
  groups: readonly ProbeGroup[];
  intervalMs: number;
  longStallNs: number;
  bpftracePath: string;
  bpftraceVersion: BpftraceVersion | null;
  probesDir?: string;
  /** Where the kernel's tracepoints are listed (events/GROUP/NAME/format). */
  tracefsPath: string;
  onBatch: (batch: ProbeBatch) => void;
  /** Each event line as soon as a probe printed it (see BpftraceRunner). */
  onEventLine?: (line: string) => void;
  onGroupExit: (error: FaultlineError) => void;
  /** A group came back after dying. */
  onGroupRestart?: (group: string, attempt: number) => void;
  /** A group could not be restarted: the session should end with this error. */
  onFatal?: (error: FaultlineError) => void;
  maxRestarts?: number;
  restartBaseDelayMs?: number;
  /** How long a group's bpftrace may take to attach before the group is left out
   * (default 60 s; emulated or overloaded machines need longer). */
  attachTimeoutMs?: number;
}

export class ProbeSet {
  private runners: BpftraceRunner[] = [];
  /** How long each group's last start took to attach, ms. */
  readonly attachMs = new Map<string, number>();
  private stopped = false;
  /** bad lines of runners that died, so the total never goes down */
  private badRetired = 0;
  private readonly status = new Map<string, ProbeGroupStatus>();
  private badLinesReported = 0;

  constructor(private readonly options: ProbeSetOptions) {}

  /** Resolves when every group attached or failed; throws E_NO_PROBES if none attached. */
  async start(): Promise<ProbeGroupStatus[]> {
    await Promise.all(
      this.options.groups.map(async (group) => {
        try {
          await this.startGroup(group);
        } catch (error) {
          const message = error instanceof FaultlineError ? oneLine(error) : String(error);
          this.status.set(group, { ...this.groupStatus(group), attached: false, error: message });
        }
      }),
    );
    const statuses = this.groups();
    if (!statuses.some((s) => s.attached)) {
      throw new FaultlineError('E_NO_PROBES', 'no probe group attached',
        'run `sudo faultline doctor` to see why each group fails',
        statuses.map((s) => `${s.group}: ${s.error}`));
    }
    return statuses;
  }

  private async startGroup(group: ProbeGroup): Promise<void> {
    const o = this.options;
    // assembled for this kernel at every start: a module loaded since brings its points
    const program = await assembleGroup(group, o.tracefsPath, o.probesDir);
    this.status.set(group, { ...this.groupStatus(group), points: program.points });
    if (!program.text) {
      throw new FaultlineError('E_PROBE_ATTACH', `probe group "${group}": none of its tracepoints are on this kernel`,
        group === 'kvm' ? 'load the kvm module (modprobe kvm_intel or kvm_amd) and start faultline again' : 'run `sudo faultline doctor`',
        missingPointsText(program));
    }
    const runner = new BpftraceRunner({
      group,
      programText: program.text,
      args: probeArgs(o.intervalMs, o.longStallNs),
      bpftracePath: o.bpftracePath,
      env: probeEnv(o.bpftraceVersion),
      onBatch: o.onBatch,
      onEventLine: o.onEventLine,
      attachTimeoutMs: o.attachTimeoutMs,
      onUnexpectedExit: (error) => {
        this.retire(runner);
        this.status.set(group, { ...this.groupStatus(group), attached: false, error: oneLine(error) });
        o.onGroupExit(error);
        void this.restart(group, 1);
      },
    });
    const startedMs = Date.now();
    await runner.start();
    this.runners.push(runner);
    this.status.set(group, { ...this.groupStatus(group), group, attached: true, error: '' });
    this.attachMs.set(group, Date.now() - startedMs);
  }

  private retire(runner: BpftraceRunner): void {
    this.badRetired += runner.badLines;
    this.runners = this.runners.filter((r) => r !== runner);
  }

  private async restart(group: ProbeGroup, attempt: number): Promise<void> {
    const o = this.options;
    const delayMs = Math.min(30_000, (o.restartBaseDelayMs ?? 1000) * 2 ** (attempt - 1));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.stopped) return;
    try {
      await this.startGroup(group);
      o.onGroupRestart?.(group, attempt);
    } catch (error) {
      const failure = error instanceof FaultlineError ? error : new FaultlineError('E_PROBE_EXIT', String(error));
      this.status.set(group, { ...this.groupStatus(group), attached: false, error: oneLine(failure) });
      if (attempt >= (o.maxRestarts ?? 5)) {
        o.onFatal?.(new FaultlineError('E_PROBE_EXIT', `probe group "${group}" died and could not be restarted (${attempt} tries)`,
          'run `sudo faultline doctor`', failure.evidence));
      } else void this.restart(group, attempt + 1);
    }
  }

  private groupStatus(group: string): ProbeGroupStatus {
    return this.status.get(group) ?? { group, attached: false, error: '', lostEvents: 0, badLines: 0, points: [] };
  }

  /** Status per group; lost events and bad lines are totals since start. */
  groups(): ProbeGroupStatus[] {
    for (const r of this.runners) {
      const s = this.groupStatus(r.group);
      this.status.set(r.group, { ...s, lostEvents: r.lostEvents, badLines: r.badLines });
    }
    return this.options.groups.map((g) => this.groupStatus(g));
  }

  /** Bad lines since the last call, all groups. */
  takeBadLines(): number {
    const total = this.badRetired + this.runners.reduce((sum, r) => sum + r.badLines, 0);
    const fresh = total - this.badLinesReported;
    this.badLinesReported = total;
    return fresh;
  }

  /** Every point of every group, with its group. */
  points(): (PointStatus & { group: string })[] {
    return this.groups().flatMap((g) => g.points.map((p) => ({ ...p, group: g.group })));
  }

  pids(): number[] {
    return this.runners.map((r) => r.pid).filter((p): p is number => p !== undefined);
  }

  /** The group of each running bpftrace, by pid: per-program costs (src/probe/probe-cost.ts)
   * find their group through the program's owner. */
  groupByPid(): Map<number, string> {
    const groups = new Map<number, string>();
    for (const r of this.runners) if (r.pid !== undefined) groups.set(r.pid, r.group);
    return groups;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}

function oneLine(error: FaultlineError): string {
  const evidence = error.evidence.at(-1);
  return evidence ? `${error.message}: ${evidence}` : error.message;
}
