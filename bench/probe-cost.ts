// Kernel-side benchmark: what each BPF program of faultline's default probe set costs
// per event, from the kernel's own accounting (kernel.bpf_stats_enabled=1, run_time_ns
// / run_cnt per program), side by side with a one-counter floor program on the same
// tracepoint, a (pid, 2 MiB region) key program, a naive bpftrace that prints every
// fault, and `perf record -e exceptions:page_fault_user` (wall time: perf's cost is not
// a BPF program). Workload: bench/fault-loop.c. Needs root, bpftrace, bpftool, perf.
//
// One run = three phases, each holding the machine's heavy lock while it runs:
//   cost    stats on; floor + region-key + the 4 probe groups attached together
//   naive   stats on; floor + the naive printer
//   wall    stats off; a warm-up run, then the workload alone, under the default set,
//           under perf record, 3 times each (the fastest counts), and once under the
//           naive printer (wall time, and the tracer's own CPU per workload)
// Ratios are taken inside a phase (same tracepoint, same moment), then the median
// over runs is printed.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpftraceRunner } from '../src/probe/bpftrace-runner.js';
import { probeEnv, readBpftraceVersion, type BpftraceVersion } from '../src/probe/bpftrace-version.js';
import { PROBE_GROUPS, PROBES_DIR, probeArgs, probeFile, type ProbeGroup } from '../src/probe/probe-groups.js';
import { BpfStats, ownProcess, probeCosts, readCostSample, type CostSample } from '../src/probe/probe-cost.js';
import { takeHeavyLock } from './lib/heavy-lock.js';
import { fixed, formatTable, median } from './lib/stats.js';
import { cpuMs, startBpftrace, startPerfRecord, type Tool } from './lib/tools.js';
import { runWorkload, type WorkloadSize } from './lib/workload.js';
import { FLOOR, NAIVE_PRINTF, REGION_KEY, VARIANTS } from './probe-programs.js';

const FAULT_TRACEPOINTS = new Set(['page_fault_user', 'page_fault_kernel', 'mm_filemap_fault', 'kvm_page_fault']);
const FLOOR_LABEL = 'floor: @ = count()';

export interface ProbeCostOptions {
  runs: number;
  probesDir: string;
  /** Also measure the probes in this folder (an older version), side by side. */
  compareDir?: string;
  size: WorkloadSize;
  log: (line: string) => void;
}

interface ProgramCost {
  label: string;
  nsPerEvent: number;
  events: number;
}

interface RunResult {
  cost: ProgramCost[];
  naive: ProgramCost[];
  /** faultline default set: BPF ns of every program / page faults (user + kernel) */
  setNsPerFault: number;
  /** the same for --compare-probes (NaN without) */
  compareNsPerFault: number;
  naiveLostEvents: number;
  wall: { tool: string; wallMs: number; workloadCpuMs: number; toolCpuMs: number; note: string }[];
}

/** Cost per program between two samples, labelled through the owner pid. */
function costsOf(before: CostSample, after: CostSample, owners: Map<number, string>): ProgramCost[] {
  return probeCosts(before, after, new Map([...owners].map(([pid, label]) => [pid, ownProcess(label)])))
    .filter((c) => c.eventsPerSec > 0 && !c.program.startsWith('perf_event'))
    .map((c) => {
      const seconds = (after.timeMs - before.timeMs) / 1000;
      return { label: `${c.group} ${c.program.replace(/^tracepoint:/, '')}`, nsPerEvent: c.nsPerEvent, events: Math.round(c.eventsPerSec * seconds) };
    });
}

async function startDefaultSet(version: BpftraceVersion | null, probesDir: string, groups: readonly ProbeGroup[] = PROBE_GROUPS): Promise<BpftraceRunner[]> {
  const runners = groups.map(
    (group) =>
      new BpftraceRunner({
        groups: [group],
        programPath: probeFile(group, probesDir),
        args: probeArgs(1000, 10_000_000),
        env: probeEnv(version),
        onBatch: () => {},
      }),
  );
  await Promise.all(runners.map((r) => r.start()));
  return runners;
}

async function stopAll(tools: { stop(): Promise<void> }[]): Promise<void> {
  await Promise.all(tools.map((t) => t.stop()));
}

async function measured(owners: Map<number, string>, size: WorkloadSize): Promise<ProgramCost[]> {
  const before = await readCostSample();
  await runWorkload(size);
  const after = await readCostSample();
  return costsOf(before, after, owners);
}

/** BPF ns of every program of the probe set (labels "GROUP.bt program") per page fault
 * (runs of its page_fault_user + page_fault_kernel programs). */
function nsPerFault(cost: ProgramCost[]): number {
  const set = cost.filter((c) => PROBE_GROUPS.some((g) => c.label.startsWith(`${g}.bt `)));
  const faults = set.filter((c) => /\b(page_fault_user|page_fault_kernel)$/.test(c.label)).reduce((sum, c) => sum + c.events, 0);
  const ns = set.reduce((sum, c) => sum + c.nsPerEvent * c.events, 0);
  return faults > 0 ? ns / faults : Number.NaN;
}

async function costPhase(version: BpftraceVersion | null, o: ProbeCostOptions): Promise<{ cost: ProgramCost[]; setNsPerFault: number; compareNsPerFault: number }> {
  const stats = new BpfStats();
  const tools: Tool[] = [];
  let runners: BpftraceRunner[] = [];
  try {
    tools.push(await startBpftrace('floor', FLOOR));
    tools.push(await startBpftrace('region', REGION_KEY, probeEnv(version)));
    runners = await startDefaultSet(version, o.probesDir);
    const compare = o.compareDir ? await startDefaultSet(version, o.compareDir, ['faults']) : [];
    runners.push(...compare);
    await stats.enable();
    const owners = new Map<number, string>([
      [tools[0]!.pid, 'floor'],
      [tools[1]!.pid, 'region-key'],
      ...runners.map((r): [number, string] => [r.pid!, compare.includes(r) ? `before/${r.groups[0]}.bt` : `${r.groups[0]}.bt`]),
    ]);
    const cost = await measured(owners, o.size);
    // the set as it was: the other groups as measured, with the older faults.bt
    const older = cost
      .filter((c) => !c.label.startsWith('faults.bt '))
      .map((c) => ({ ...c, label: c.label.replace('before/faults.bt ', 'faults.bt ') }));
    return { cost, setNsPerFault: nsPerFault(cost), compareNsPerFault: compare.length ? nsPerFault(older) : Number.NaN };
  } finally {
    await stats.restore();
    await stopAll([...tools, ...runners]);
  }
}

async function naivePhase(o: ProbeCostOptions): Promise<{ naive: ProgramCost[]; lost: number }> {
  const stats = new BpfStats();
  const tools: Tool[] = [];
  try {
    tools.push(await startBpftrace('floor', FLOOR));
    tools.push(await startBpftrace('naive', NAIVE_PRINTF));
    await stats.enable();
    const naive = await measured(new Map([[tools[0]!.pid, 'floor'], [tools[1]!.pid, 'naive-printf']]), o.size);
    return { naive, lost: tools[1]!.lostEvents() };
  } finally {
    await stats.restore();
    await stopAll(tools);
  }
}

const WALL_REPEATS = 3;

async function wallPhase(version: BpftraceVersion | null, o: ProbeCostOptions): Promise<RunResult['wall']> {
  const rows: RunResult['wall'] = [];
  // each tracer: the workload WALL_REPEATS times in a row, the fastest counts (the
  // machine is shared: interference only ever adds time), after a second to settle
  const timed = async (tool: string, pids: number[], repeats = WALL_REPEATS): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const cpuBefore = pids.reduce((s, p) => s + cpuMs(p), 0);
    const results = [];
    for (let i = 0; i < repeats; i++) results.push(await runWorkload(o.size));
    const cpuAfter = pids.reduce((s, p) => s + cpuMs(p), 0);
    rows.push({
      tool,
      wallMs: Math.min(...results.map((r) => r.wallNs / 1e6)),
      workloadCpuMs: Math.min(...results.map((r) => r.cpuNs / 1e6)),
      toolCpuMs: (cpuAfter - cpuBefore) / repeats,
      note: '',
    });
  };
  await runWorkload(o.size); // warm-up: page cache, allocator, CPU caches
  await timed('workload alone', []);
  const runners = await startDefaultSet(version, o.probesDir);
  try {
    await timed('faultline default set (4 bpftrace)', runners.map((r) => r.pid!));
  } finally {
    await stopAll(runners);
  }
  if (o.compareDir) {
    const before = await startDefaultSet(version, o.compareDir);
    try {
      await timed('faultline default set, before', before.map((r) => r.pid!));
    } finally {
      await stopAll(before);
    }
  }
  const perfData = join(tmpdir(), `faultline-bench-perf-${process.pid}.data`);
  const perf = await startPerfRecord('exceptions:page_fault_user', perfData);
  try {
    await timed('perf record -a -e exceptions:page_fault_user', [perf.pid]);
  } finally {
    await perf.stop();
    const wrote = perf.output().match(/Captured and wrote ([\d.]+ MB)[^(]*\((\d+) samples\)/);
    rows.at(-1)!.note = wrote ? `${WALL_REPEATS} workloads: wrote ${wrote[1]}, ${wrote[2]} samples` : '';
    rmSync(perfData, { force: true });
  }
  const naive = await startBpftrace('naive', NAIVE_PRINTF);
  try {
    await timed('bpftrace printf per fault', [naive.pid], 1);
  } finally {
    await naive.stop();
    rows.at(-1)!.note = `lost ${naive.lostEvents()} events, printed ${(naive.stdoutBytes() / 2 ** 20).toFixed(0)} MiB`;
  }
  return rows;
}

async function oneRun(version: BpftraceVersion | null, o: ProbeCostOptions): Promise<RunResult> {
  const locked = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const lock = await takeHeavyLock();
    try {
      o.log(`  ${what}`);
      return await f();
    } finally {
      await lock.release();
    }
  };
  const { cost, setNsPerFault, compareNsPerFault } = await locked('cost phase', () => costPhase(version, o));
  const { naive, lost } = await locked('naive phase', () => naivePhase(o));
  const wall = await locked('wall phase', () => wallPhase(version, o));
  return { cost, naive, setNsPerFault, compareNsPerFault, naiveLostEvents: lost, wall };
}

function floorNs(costs: ProgramCost[]): number {
  return costs.find((c) => c.label === 'floor page_fault_user')?.nsPerEvent ?? Number.NaN;
}

export interface ProbeCostReport {
  text: string;
  runs: RunResult[];
  setRatio: number;
  naiveOverSet: number;
}

export function summarize(runs: RunResult[]): ProbeCostReport {
  const labels = [...new Set(runs.flatMap((r) => [...r.cost, ...r.naive].map((c) => c.label)))];
  const rows = labels.map((label) => {
    const perRun = runs.map((r) => {
      const phase = r.cost.some((c) => c.label === label) ? r.cost : r.naive;
      const c = phase.find((x) => x.label === label);
      return { ns: c?.nsPerEvent ?? Number.NaN, events: c?.events ?? 0, ratio: (c?.nsPerEvent ?? Number.NaN) / floorNs(phase) };
    });
    const name = label === 'floor page_fault_user' ? FLOOR_LABEL : label;
    return [
      name,
      fixed(median(perRun.map((p) => p.ns))),
      `${fixed(median(perRun.map((p) => p.ratio)), 2)}x`,
      perRun.map((p) => fixed(p.ns)).join(' / '),
      fixed(median(perRun.map((p) => p.events))),
    ];
  });
  const setRatios = runs.map((r) => r.setNsPerFault / floorNs(r.cost));
  const naiveRatios = runs.map((r) => (r.naive.find((c) => c.label === 'naive-printf page_fault_user')?.nsPerEvent ?? Number.NaN) / floorNs(r.naive));
  const setRatio = median(setRatios);
  const naiveOverSet = median(naiveRatios.map((n, i) => n / setRatios[i]!));
  const wallTools = [...new Set(runs.flatMap((r) => r.wall.map((w) => w.tool)))];
  const alone = median(runs.map((r) => r.wall[0]!.wallMs));
  const aloneCpu = median(runs.map((r) => r.wall[0]!.workloadCpuMs));
  const pct = (value: number, base: number): string => `${value >= base ? '+' : ''}${fixed(((value - base) / base) * 100, 1)}%`;
  const wallRows = wallTools.map((tool) => {
    const w = runs.map((r) => r.wall.find((x) => x.tool === tool)!);
    const wallMs = median(w.map((x) => x.wallMs));
    const cpu = median(w.map((x) => x.workloadCpuMs));
    return [tool, fixed(cpu), pct(cpu, aloneCpu), fixed(wallMs), pct(wallMs, alone), fixed(median(w.map((x) => x.toolCpuMs))), w.at(-1)!.note];
  });
  const text = [
    'BPF cost per event (kernel.bpf_stats_enabled: run_time_ns / run_cnt), median of ' + `${runs.length} runs`,
    formatTable(['program', 'ns/event', 'x floor', 'runs (ns)', 'events'], rows),
    '',
    `faultline default set, BPF ns per page fault (all its programs / user+kernel faults): ${fixed(median(runs.map((r) => r.setNsPerFault)))} ns`
      + ` = ${fixed(setRatio, 2)}x the floor (target <= 2x: ${setRatio <= 2 ? 'met' : 'NOT met'})`,
    `naive printf per event / faultline default set: ${fixed(naiveOverSet, 1)}x (target >= 8x: ${naiveOverSet >= 8 ? 'met' : 'NOT met'})`,
    ...(runs.some((r) => Number.isFinite(r.compareNsPerFault))
      ? [`the same set with the --compare-probes faults.bt: ${fixed(median(runs.map((r) => r.compareNsPerFault)))} ns per fault`
        + ` = ${fixed(median(runs.map((r) => r.compareNsPerFault / floorNs(r.cost))), 2)}x the floor`]
      : []),
    '',
    'The same workload under each tracer (bpf_stats off): its CPU time (user+sys, where in-kernel tracing',
    'costs land) and wall time, fastest of 3 workloads per run, median of ' + `${runs.length} runs; tracer CPU = the tracer process's own`,
    formatTable(['tracer', 'workload CPU ms', 'vs alone', 'wall ms', 'vs alone', 'tracer CPU ms', 'note'], wallRows),
  ].join('\n');
  return { text, runs, setRatio, naiveOverSet };
}

export async function benchProbeCost(o: ProbeCostOptions): Promise<ProbeCostReport> {
  const version = await readBpftraceVersion('bpftrace');
  const runs: RunResult[] = [];
  for (let i = 0; i < o.runs; i++) {
    o.log(`probe-cost run ${i + 1}/${o.runs}`);
    runs.push(await oneRun(version, o));
  }
  return summarize(runs);
}

/** `variants`: ideas for the user-fault program, each its own bpftrace, all attached
 * next to the floor at once; attach order rotates between runs. */
export async function benchVariants(o: ProbeCostOptions): Promise<string> {
  const version = await readBpftraceVersion('bpftrace');
  const names = Object.keys(VARIANTS);
  const perName = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let run = 0; run < o.runs; run++) {
    o.log(`variants run ${run + 1}/${o.runs}`);
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)];
    const lock = await takeHeavyLock();
    const stats = new BpfStats();
    const tools: Tool[] = [];
    try {
      tools.push(await startBpftrace('floor', FLOOR));
      for (const name of order) tools.push(await startBpftrace(name, VARIANTS[name]!, probeEnv(version)));
      await stats.enable();
      const costs = await measured(new Map(tools.map((t) => [t.pid, t.name])), o.size);
      const floor = costs.find((c) => c.label === 'floor page_fault_user')!.nsPerEvent;
      for (const name of names) {
        const c = costs.find((x) => x.label === `${name} page_fault_user`);
        perName.get(name)!.push(c ? c.nsPerEvent / floor : Number.NaN);
      }
      perName.set('floor ns (absolute)', [...(perName.get('floor ns (absolute)') ?? []), floor]);
    } finally {
      await stats.restore();
      await stopAll(tools);
      await lock.release();
    }
  }
  const rows = [...perName].map(([name, values]) => [
    name,
    name.startsWith('floor') ? fixed(median(values)) : `${fixed(median(values), 2)}x`,
    values.map((v) => fixed(v, 2)).join(' / '),
  ]);
  return [`User-fault program variants, x the floor in the same run, median of ${o.runs} runs`, formatTable(['variant', 'median', 'runs'], rows)].join('\n');
}

export const DEFAULT_PROBES_DIR = PROBES_DIR;
