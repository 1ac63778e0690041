// Starts the probe groups and tracks their status for the snapshot. The groups' programs,
// each assembled for this kernel, run as one program in one bpftrace
// (src/probe/combine-programs.ts): one compiler's memory and one pipe instead of four.
// When that program cannot run (its parts clash, or bpftrace refuses it: one group's
// program fails on this kernel), each group runs in a bpftrace of its own, as before,
// and the groups' status says why (ownProcessReason); a group that fails alone is then
// left out and the others run.
// A bpftrace that dies mid-run is restarted with backoff (1 s, 2 s, 4 s ... 30 s), with
// every group it ran: the groups sharing one bpftrace go down and come back together.
// After `maxRestarts` failed restarts in a row the set gives up and reports it as fatal.
// Every map holds MAP_KEYS_START keys at first; when one fills in an interval, its
// bpftrace is restarted with more (src/probe/map-keys.ts), a gap of one attach.
import { FaultlineError } from '../model/errors.js';
import type { ProbeGroupStatus } from '../model/snapshot.js';
import type { ProbeBatch } from '../parse/probe-batch.js';
import { BpftraceRunner } from './bpftrace-runner.js';
import { errorLine } from './bpftrace-stderr.js';
import { probeEnv, type BpftraceVersion } from './bpftrace-version.js';
import { probeArgs, type ProbeGroup } from './probe-groups.js';
import { assembleGroup, missingPointsText } from './assemble-group.js';
import { combinePrograms, type CombinedProgram } from './combine-programs.js';
import type { AssembledProgram, PointStatus } from './probe-program.js';
import type { ProcessPrograms } from './probe-cost.js';
import { fullMaps, grownMapKeys, MAP_KEYS_CAP, MAP_KEYS_START } from './map-keys.js';
import { pageOutCode, type PageOutResult } from './code-page-out.js';

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
  /** A group's bpftrace died (called for each group it ran); it is being restarted. */
  onGroupExit: (group: string, error: FaultlineError) => void;
  /** A group came back after dying. */
  onGroupRestart?: (group: string, attempt: number) => void;
  /** A group could not be restarted: the session should end with this error. */
  onFatal?: (error: FaultlineError) => void;
  /** A map filled at the largest size faultline grows to (said once). */
  onMapsFull?: (message: string) => void;
  maxRestarts?: number;
  restartBaseDelayMs?: number;
  /** How long a bpftrace may take to attach before its groups are left out (default
   * 60 s; emulated or overloaded machines need longer). */
  attachTimeoutMs?: number;
  /** Keys per probe map at start (default MAP_KEYS_START); grown when a map fills, up to
   * the larger of this and MAP_KEYS_CAP. */
  mapKeys?: number;
  /** Page out each bpftrace's compiler pages once it attached (src/probe/code-page-out.ts;
   * default true). */
  pageOutCode?: boolean;
}

interface RunningProbe {
  runner: BpftraceRunner;
  groups: ProbeGroup[];
  programs: ProcessPrograms;
  mapKeys: number;
}

export class ProbeSet {
  private running: RunningProbe[] = [];
  /** How long each group's last start took to attach, ms. */
  readonly attachMs = new Map<string, number>();
  /** What paging out each group's bpftrace's code pages after its last start did. */
  readonly codePageOut = new Map<string, PageOutResult>();
  private stopped = false;
  /** bad lines of runners that died, so the total never goes down */
  private badRetired = 0;
  private readonly status = new Map<string, ProbeGroupStatus>();
  private badLinesReported = 0;
  /** Why the groups run one bpftrace each: the last try of one for all failed so. */
  private ownProcessReason = '';
  /** Keys per map of the next bpftrace started. */
  private mapKeys: number;
  private readonly mapKeysCap: number;
  private growing = false;
  private capReported = false;

  constructor(private readonly options: ProbeSetOptions) {
    this.mapKeys = options.mapKeys ?? MAP_KEYS_START;
    this.mapKeysCap = Math.max(this.mapKeys, MAP_KEYS_CAP);
  }

  /** Keys per map that bpftrace is (or will be) started with. */
  get keysPerMap(): number {
    return this.mapKeys;
  }

  /** Resolves when every group attached or failed; throws E_NO_PROBES if none attached. */
  async start(): Promise<ProbeGroupStatus[]> {
    await this.startGroups(this.options.groups);
    const statuses = this.groups();
    if (!statuses.some((s) => s.attached)) {
      throw new FaultlineError('E_NO_PROBES', 'no probe group attached',
        'run `sudo faultline doctor` to see why each group fails',
        statuses.map((s) => `${s.group}: ${s.error}`));
    }
    return statuses;
  }

  /** Starts these groups: in one bpftrace, else one each. Returns the groups that did
   * not attach, with why (also in their status). */
  private async startGroups(groups: readonly ProbeGroup[]): Promise<Map<ProbeGroup, FaultlineError>> {
    const failed = new Map<ProbeGroup, FaultlineError>();
    // assembled for this kernel at every start: a module loaded since brings its points
    const programs: AssembledProgram[] = [];
    for (const [group, program] of await Promise.all(groups.map(async (g) => [g, await this.assemble(g)] as const))) {
      if (program instanceof FaultlineError) failed.set(group, program);
      else programs.push(program);
    }
    if (programs.length > 1) {
      try {
        await this.startProcess(combinePrograms(programs));
        this.ownProcessReason = '';
        return this.markFailed(failed);
      } catch (error) {
        const why = error instanceof FaultlineError ? errorLine(error.evidence) ?? error.message : (error as Error).message;
        this.ownProcessReason = `one bpftrace for ${programs.map((p) => p.group).join(', ')} did not start: ${why}`;
      }
    }
    await Promise.all(programs.map(async (program) => {
      const group = program.group as ProbeGroup;
      try {
        await this.startProcess(combinePrograms([program]));
      } catch (error) {
        failed.set(group, error instanceof FaultlineError ? error : new FaultlineError('E_PROBE_ATTACH', String(error)));
      }
    }));
    return this.markFailed(failed);
  }

  private async assemble(group: ProbeGroup): Promise<AssembledProgram | FaultlineError> {
    const program = await assembleGroup(group, this.options.tracefsPath, this.options.probesDir);
    this.status.set(group, { ...this.groupStatus(group), points: program.points });
    if (program.text) return program;
    return new FaultlineError('E_PROBE_ATTACH', `probe group "${group}": none of its tracepoints are on this kernel`,
      group === 'kvm' ? 'load the kvm module (modprobe kvm_intel or kvm_amd) and start faultline again' : 'run `sudo faultline doctor`',
      missingPointsText(program));
  }

  private markFailed(failed: Map<ProbeGroup, FaultlineError>): Map<ProbeGroup, FaultlineError> {
    for (const [group, error] of failed) {
      this.status.set(group, { ...this.groupStatus(group), attached: false, error: oneLine(error), sharesProcessWith: [], ownProcessReason: '' });
    }
    return failed;
  }

  /** One bpftrace for the program's groups; resolves once it attached. */
  private async startProcess(program: CombinedProgram): Promise<void> {
    const o = this.options;
    const groups = program.groups as ProbeGroup[];
    const mapKeys = this.mapKeys;
    const runner = new BpftraceRunner({
      groups,
      routes: program.routes,
      programText: program.text,
      args: probeArgs(o.intervalMs, o.longStallNs),
      bpftracePath: o.bpftracePath,
      env: probeEnv(o.bpftraceVersion, mapKeys),
      onBatch: (batch) => {
        o.onBatch(batch);
        this.checkFull(runner, batch, mapKeys);
      },
      onEventLine: o.onEventLine,
      attachTimeoutMs: o.attachTimeoutMs,
      onUnexpectedExit: (error) => this.onProcessDied(runner, groups, error),
    });
    const startedMs = Date.now();
    await runner.start();
    const attachedMs = Date.now();
    this.running.push({ runner, groups, programs: program.programs, mapKeys });
    if (o.pageOutCode !== false && runner.pid !== undefined) {
      const pagedOut = await pageOutCode(runner.pid);
      for (const group of groups) this.codePageOut.set(group, pagedOut);
    }
    for (const group of groups) {
      this.status.set(group, {
        ...this.groupStatus(group), group, attached: true, error: '',
        sharesProcessWith: groups.filter((g) => g !== group), ownProcessReason: groups.length === 1 ? this.ownProcessReason : '',
      });
      this.attachMs.set(group, attachedMs - startedMs);
    }
  }

  private onProcessDied(runner: BpftraceRunner, groups: ProbeGroup[], error: FaultlineError): void {
    this.retire(runner);
    const together = groups.length > 1 ? `; ${groups.join(', ')} share this bpftrace and restart together` : '';
    for (const group of groups) {
      this.status.set(group, { ...this.groupStatus(group), attached: false, error: `${oneLine(error)}${together}` });
      this.options.onGroupExit(group, error);
    }
    void this.restart(groups, 1);
  }

  /** A map of this runner's batch filled: restart it with more keys per map (once at a
   * time), or say once that the cap is reached. */
  private checkFull(runner: BpftraceRunner, batch: ProbeBatch, mapKeys: number): void {
    if (this.growing || this.stopped) return;
    const full = fullMaps(batch, mapKeys);
    if (full.length === 0) return;
    const running = this.running.find((r) => r.runner === runner);
    if (!running) return;
    const next = grownMapKeys(Math.max(mapKeys, this.mapKeys), this.mapKeysCap);
    const what = `probe map ${full.join(', ')} held its limit of ${mapKeys} keys in one interval, so updates past it were dropped`;
    if (next === null) {
      if (!this.capReported) this.options.onMapsFull?.(`${what}; at ${this.mapKeysCap} keys per map, faultline does not grow it further (--map-keys N sets more)`);
      this.capReported = true;
      return;
    }
    this.growing = true;
    this.mapKeys = next;
    void this.regrow(running, new FaultlineError('E_PROBE_MAP_FULL', `${what}: restarting bpftrace with ${next} keys per map`));
  }

  private async regrow(running: RunningProbe, why: FaultlineError): Promise<void> {
    const { runner, groups } = running;
    this.retire(runner);
    for (const group of groups) {
      this.status.set(group, { ...this.groupStatus(group), attached: false, error: why.message });
      this.options.onGroupExit(group, why);
    }
    try {
      await runner.stop();
      if (this.stopped) return;
      const failed = await this.startGroups(groups);
      for (const group of groups) if (!failed.has(group)) this.options.onGroupRestart?.(group, 1);
      if (failed.size > 0) void this.restart([...failed.keys()], 2);
    } finally {
      this.growing = false;
    }
  }

  private retire(runner: BpftraceRunner): void {
    this.badRetired += runner.badLines;
    this.running = this.running.filter((r) => r.runner !== runner);
  }

  private async restart(groups: readonly ProbeGroup[], attempt: number): Promise<void> {
    const o = this.options;
    const delayMs = Math.min(30_000, (o.restartBaseDelayMs ?? 1000) * 2 ** (attempt - 1));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.stopped) return;
    let failed: Map<ProbeGroup, FaultlineError>;
    try {
      failed = await this.startGroups(groups);
    } catch (error) {
      failed = this.markFailed(new Map(groups.map((g) => [g, new FaultlineError('E_PROBE_EXIT', String(error))])));
    }
    for (const group of groups) if (!failed.has(group)) o.onGroupRestart?.(group, attempt);
    if (failed.size === 0) return;
    const down = [...failed.keys()];
    if (attempt >= (o.maxRestarts ?? 5)) {
      const what = down.length === 1 ? `probe group "${down[0]}"` : `probe groups ${down.join(', ')}`;
      o.onFatal?.(new FaultlineError('E_PROBE_EXIT', `${what} died and could not be restarted (${attempt} tries)`,
        'run `sudo faultline doctor`', failed.get(down[0]!)!.evidence));
    } else void this.restart(down, attempt + 1);
  }

  private groupStatus(group: string): ProbeGroupStatus {
    return this.status.get(group) ?? {
      group, attached: false, error: '', lostEvents: 0, badLines: 0, points: [], sharesProcessWith: [], ownProcessReason: '',
    };
  }

  /** Status per group; lost events and bad lines are totals since start, of the bpftrace
   * the group runs in (groups that share one show the same totals: bpftrace does not say
   * whose they are). */
  groups(): ProbeGroupStatus[] {
    for (const { runner, groups } of this.running) {
      for (const group of groups) this.status.set(group, { ...this.groupStatus(group), lostEvents: runner.lostEvents, badLines: runner.badLines });
    }
    return this.options.groups.map((g) => this.groupStatus(g));
  }

  /** Bad lines since the last call, all groups. */
  takeBadLines(): number {
    const total = this.badRetired + this.running.reduce((sum, r) => sum + r.runner.badLines, 0);
    const fresh = total - this.badLinesReported;
    this.badLinesReported = total;
    return fresh;
  }

  /** Every point of every group, with its group. */
  points(): (PointStatus & { group: string })[] {
    return this.groups().flatMap((g) => g.points.map((p) => ({ ...p, group: g.group })));
  }

  pids(): number[] {
    return this.running.map((r) => r.runner.pid).filter((p): p is number => p !== undefined);
  }

  /** The groups of each running bpftrace and which BPF program is whose, by pid: per-program
   * costs (src/probe/probe-cost.ts) find their group through the program's owner. */
  programOwners(): Map<number, ProcessPrograms> {
    const owners = new Map<number, ProcessPrograms>();
    for (const r of this.running) if (r.runner.pid !== undefined) owners.set(r.runner.pid, r.programs);
    return owners;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running.map((r) => r.runner.stop()));
  }
}

function oneLine(error: FaultlineError): string {
  const evidence = errorLine(error.evidence);
  return evidence ? `${error.message}: ${evidence}` : error.message;
}
