// What each attached BPF program costs, from the kernel's own accounting: with
// kernel.bpf_stats_enabled=1 every program carries run_time_ns and run_cnt
// (`bpftool prog show --json`). `bpftool perf show --json` says which process owns
// each program and what it is attached to. A program maps to its probe group through
// the pid of the bpftrace it belongs to and, when that bpftrace runs several groups
// (src/probe/combine-programs.ts), through its attach target: most tracepoints are in
// one group only; where two groups have a block on the same one (faults and growth on
// sched_process_exit), the programs on it are told apart by load order, because
// bpftrace loads a program's blocks in the order of its text (its program ids grow in
// that order: checked with 0.17, 0.23 and 0.27 by test/kernel/probes-attach.test.ts).
// Program names cannot do it: 0.17 names a program by its tracepoint, cut to 15
// characters (`sched_process_e`).
//
// bpf_stats is off by default because it has a cost of its own (two clock reads per
// program run, ~20-40 ns here); `faultline live --probe-cost` turns it on for the
// session and puts the old value back at exit (BpfStats below).
//
// Pure: parseProgShow, parsePerfShow, groupOfProgram, probeCosts. IO: readCostSample, BpfStats.
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { ProbeCost } from '../model/snapshot.js';

export interface BpfProgramStats {
  id: number;
  /** The kernel's program name (15 characters at most). */
  name: string;
  /** Absent (0) while bpf_stats is off. */
  runTimeNs: number;
  runCount: number;
}

export interface BpfAttachment {
  pid: number;
  progId: number;
  /** bpftool's fd_type: tracepoint, raw_tracepoint, kprobe, uprobe, perf_event... */
  kind: string;
  /** Tracepoint name, kprobe function or uprobe file; '' for perf events. */
  target: string;
}

export interface CostSample {
  timeMs: number;
  programs: Map<number, BpfProgramStats>;
  attachments: BpfAttachment[];
}

function asNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function asArray(json: string): unknown[] {
  const parsed: unknown = JSON.parse(json === '' ? '[]' : json);
  if (!Array.isArray(parsed)) throw new Error('bpftool output is not a JSON array');
  return parsed;
}

/** `bpftool prog show --json` -> programs by id. */
export function parseProgShow(json: string): Map<number, BpfProgramStats> {
  const programs = new Map<number, BpfProgramStats>();
  for (const p of asArray(json)) {
    if (typeof p !== 'object' || p === null) continue;
    const r = p as Record<string, unknown>;
    const id = asNumber(r.id);
    if (id <= 0) continue;
    programs.set(id, {
      id,
      name: typeof r.name === 'string' ? r.name : '',
      runTimeNs: asNumber(r.run_time_ns),
      runCount: asNumber(r.run_cnt),
    });
  }
  return programs;
}

/** `bpftool perf show --json` -> which pid holds which program, attached to what. */
export function parsePerfShow(json: string): BpfAttachment[] {
  const out: BpfAttachment[] = [];
  for (const a of asArray(json)) {
    if (typeof a !== 'object' || a === null) continue;
    const r = a as Record<string, unknown>;
    const kind = typeof r.fd_type === 'string' ? r.fd_type : '';
    const target = [r.tracepoint, r.func, r.filename].find((v): v is string => typeof v === 'string') ?? '';
    out.push({ pid: asNumber(r.pid), progId: asNumber(r.prog_id), kind, target });
  }
  return out;
}

/** Program label: the tracepoint (or function) it runs on, else the kind ("perf_event"
 * is bpftrace's interval probe; "uprobe" its BEGIN/END). */
function programLabel(a: BpfAttachment): string {
  return a.target ? `${a.kind}:${a.target}` : a.kind;
}

/** Which group each BPF program of one bpftrace process comes from. */
export interface ProcessPrograms {
  /** The groups the process runs, in program order. */
  groups: readonly string[];
  /** Attach target (a tracepoint's event name, '' for a timer) -> the group of each block
   * on it, in program order. */
  groupsByTarget: ReadonlyMap<string, readonly string[]>;
}

/** The programs of a bpftrace that runs one group. */
export function ownProcess(group: string): ProcessPrograms {
  return { groups: [group], groupsByTarget: new Map() };
}

/** The group of the program that is `rank`-th (by program id) of the `count` programs
 * of its process on `target`. When the count does not match the blocks (it should),
 * the candidates joined with '+': not known which. */
export function groupOfProgram(programs: ProcessPrograms, target: string, rank: number, count: number): string {
  if (programs.groups.length === 1) return programs.groups[0]!;
  const candidates = programs.groupsByTarget.get(target) ?? [];
  if (candidates.length === count) return candidates[rank]!;
  const distinct = [...new Set(candidates.length ? candidates : programs.groups)];
  return distinct.join('+');
}

/**
 * Cost of every program owned by faultline's bpftrace processes between two samples:
 * nsPerEvent = delta run_time_ns / delta run_cnt, eventsPerSec = delta run_cnt / delta
 * time. A program with no runs in between reports its lifetime average (0 if it never
 * ran). A program loaded after `prev` counts from zero. BEGIN/END (uprobes, run once)
 * are left out.
 */
export function probeCosts(prev: CostSample | null, cur: CostSample, owners: ReadonlyMap<number, ProcessPrograms>): ProbeCost[] {
  const seconds = prev ? (cur.timeMs - prev.timeMs) / 1000 : 0;
  // each owned program once, then by (pid, target) in load order
  const seen = new Set<number>();
  const byTarget = new Map<string, BpfAttachment[]>();
  for (const a of cur.attachments) {
    if (!owners.has(a.pid) || !cur.programs.has(a.progId) || a.kind === 'uprobe' || seen.has(a.progId)) continue;
    seen.add(a.progId);
    const key = `${a.pid} ${a.target}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), a]);
  }
  const costs: ProbeCost[] = [];
  for (const attachments of byTarget.values()) {
    attachments.sort((x, y) => x.progId - y.progId);
    attachments.forEach((a, rank) => {
      const now = cur.programs.get(a.progId)!;
      const before = prev?.programs.get(a.progId);
      const runs = now.runCount - (before?.runCount ?? 0);
      const ns = now.runTimeNs - (before?.runTimeNs ?? 0);
      const nsPerEvent = runs > 0 ? ns / runs : now.runCount > 0 ? now.runTimeNs / now.runCount : 0;
      costs.push({
        group: groupOfProgram(owners.get(a.pid)!, a.target, rank, attachments.length),
        program: programLabel(a),
        nsPerEvent: Math.round(nsPerEvent * 10) / 10,
        eventsPerSec: seconds > 0 ? Math.round((runs / seconds) * 10) / 10 : 0,
      });
    });
  }
  return costs.sort((x, y) => x.group.localeCompare(y.group) || x.program.localeCompare(y.program));
}

export async function readCostSample(bpftool = 'bpftool', now: () => number = Date.now): Promise<CostSample> {
  const [progs, perf] = await Promise.all([
    execa(bpftool, ['prog', 'show', '--json'], { timeout: 10_000 }),
    execa(bpftool, ['perf', 'show', '--json'], { timeout: 10_000 }),
  ]);
  return { timeMs: now(), programs: parseProgShow(progs.stdout), attachments: parsePerfShow(perf.stdout) };
}

export const BPF_STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** Turns kernel.bpf_stats_enabled on and, on restore(), back to what it was. */
export class BpfStats {
  private previous: string | null = null;

  constructor(private readonly path = BPF_STATS_SYSCTL) {}

  async enable(): Promise<void> {
    const value = (await readFile(this.path, 'utf8')).trim();
    if (value !== '1') {
      await writeFile(this.path, '1\n');
      this.previous = value;
    }
  }

  /** Idempotent; a no-op when enable() found it on already. */
  async restore(): Promise<void> {
    if (this.previous === null) return;
    const value = this.previous;
    this.previous = null;
    await writeFile(this.path, `${value}\n`);
  }

  /** For a process 'exit' handler, where nothing async runs any more. */
  restoreSync(): void {
    if (this.previous === null) return;
    const value = this.previous;
    this.previous = null;
    try {
      writeFileSync(this.path, `${value}\n`);
    } catch {
      // nothing more can be done while exiting
    }
  }
}

/** Reads costs once per call, each since the previous call. */
export class ProbeCostReader {
  private prev: CostSample | null = null;

  constructor(private readonly read: () => Promise<CostSample> = () => readCostSample()) {}

  async costs(owners: ReadonlyMap<number, ProcessPrograms>): Promise<ProbeCost[]> {
    const cur = await this.read();
    const costs = probeCosts(this.prev, cur, owners);
    this.prev = cur;
    return costs;
  }
}
