// Starts every probe group (one bpftrace each, in parallel), keeps going with the
// groups that attached, and tracks their status for the snapshot.
import { FaultlineError } from '../model/errors.js';
import type { ProbeGroupStatus } from '../model/snapshot.js';
import type { ProbeBatch } from '../parse/probe-batch.js';
import { BpftraceRunner } from './bpftrace-runner.js';
import { probeEnv, type BpftraceVersion } from './bpftrace-version.js';
import { probeArgs, probeFile, type ProbeGroup } from './probe-groups.js';

export interface ProbeSetOptions {
  groups: readonly ProbeGroup[];
  intervalMs: number;
  longStallNs: number;
  bpftracePath: string;
  bpftraceVersion: BpftraceVersion | null;
  probesDir?: string;
  onBatch: (batch: ProbeBatch) => void;
  onGroupExit: (error: FaultlineError) => void;
}

export class ProbeSet {
  private runners: BpftraceRunner[] = [];
  private readonly status = new Map<string, ProbeGroupStatus>();
  private badLinesReported = 0;

  constructor(private readonly options: ProbeSetOptions) {}

  /** Resolves when every group attached or failed; throws E_NO_PROBES if none attached. */
  async start(): Promise<ProbeGroupStatus[]> {
    const o = this.options;
    const args = probeArgs(o.intervalMs, o.longStallNs);
    const env = probeEnv(o.bpftraceVersion);
    await Promise.all(
      o.groups.map(async (group) => {
        const runner = new BpftraceRunner({
          group,
          programPath: probeFile(group, o.probesDir),
          args,
          bpftracePath: o.bpftracePath,
          env,
          onBatch: o.onBatch,
          onUnexpectedExit: (error) => {
            this.status.set(group, { ...this.groupStatus(group), attached: false, error: oneLine(error) });
            o.onGroupExit(error);
          },
        });
        try {
          await runner.start();
          this.runners.push(runner);
          this.status.set(group, { group, attached: true, error: '', lostEvents: 0, badLines: 0 });
        } catch (error) {
          const message = error instanceof FaultlineError ? oneLine(error) : String(error);
          this.status.set(group, { group, attached: false, error: message, lostEvents: 0, badLines: 0 });
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

  private groupStatus(group: string): ProbeGroupStatus {
    return this.status.get(group) ?? { group, attached: false, error: '', lostEvents: 0, badLines: 0 };
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
    const total = this.runners.reduce((sum, r) => sum + r.badLines, 0);
    const fresh = total - this.badLinesReported;
    this.badLinesReported = total;
    return fresh;
  }

  pids(): number[] {
    return this.runners.map((r) => r.pid).filter((p): p is number => p !== undefined);
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}

function oneLine(error: FaultlineError): string {
  const evidence = error.evidence.at(-1);
  return evidence ? `${error.message}: ${evidence}` : error.message;
}
