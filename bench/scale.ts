// What faultline costs a host with many VMs: real QEMU processes (bench/lib/qemu-fleet.ts:
// paused, guest RAM preallocated, libvirt-style command lines), the real CLI
// (`node bin/faultline.js live --interval 1s`, compiled, its UI served), real bpftrace.
// For each fleet size, over a window after a warm-up:
//   - CPU of the node process and of each bpftrace (utime + stime from /proc/PID/stat),
//     as a share of one core;
//   - PSS and RSS of each at the end (smaps_rollup);
//   - truth: how many of the fleet's VMs /metrics lists with guest RAM equal to the
//     VM's size (every VM preallocated it, so all of them).
// At the size nearest 100 it also runs with `--clients` websocket clients connected
// and a recording on. Runs alternate with a baseline tree (--baseline REF: git archive
// of REF, compiled the same way) when given, so both see the same machine; medians.
// `--breakdown` adds one profiled run at the largest size: where node's CPU goes by
// source (V8 --cpu-prof samples by the faultline directory of the innermost frame), and
// which /proc and /sys files it opens per interval (counted by a bpftrace one-liner on
// its openat calls) times what one read of each kind costs (read here, from the same
// fleet).
//   sudo npm run bench -- scale [--vms 10,100,300] [--seconds 60] [--warmup 20] [--runs 3]
//     [--guest-mib 64] [--clients 20] [--baseline REF] [--node-flags 'FLAG ...'] [--breakdown]
// --node-flags adds this tree run with those node flags (e.g. V8's GC settings) as one
// more tree in the alternation.
// Takes /tmp/faultline-heavy.lock. Root only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startFleet, type Fleet } from './lib/qemu-fleet.js';
import { takeHeavyLock } from './lib/heavy-lock.js';
import { cpuMs, cpuMsOfStatFile } from './lib/tools.js';
import { fixed, formatTable, median } from './lib/stats.js';
import { cpuBySource, hottestFunctions, type FunctionShare, type SourceShare } from './lib/profile-sources.js';
import { readBpfMaps } from '../test/harness/bpf-maps.js';
import { PAGE_WALKS_PER_INTERVAL } from '../src/collect/page-walks.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MiB = 2 ** 20;

export interface ScaleOptions {
  vmCounts: number[];
  seconds: number;
  warmupSeconds: number;
  runs: number;
  guestMiB: number;
  /** websocket clients of the loaded variant (0: no loaded variant) */
  clients: number;
  baseline?: string;
  /** One more variant: this tree with these node flags (e.g. --single-threaded-gc). */
  nodeFlags?: string[];
  /** Instead of the windows: one session per tree this many minutes long at the largest
   * size, its CPU minute by minute (what a host pays once the detectors' 10-minute
   * window has filled, and the JIT has settled). */
  overTimeMinutes?: number;
  breakdown: boolean;
  log: (line: string) => void;
}

interface Tree {
  label: string;
  root: string;
  /** node flags faultline runs with (none: node's defaults) */
  nodeFlags?: string[];
}

interface RunResult {
  nodeCorePct: number;
  /** node's main thread (our JavaScript); the rest of nodeCorePct is V8's helper threads
   * (parallel and concurrent GC) and libuv's pool (file reads) */
  nodeMainCorePct: number;
  bpftraceCorePct: Map<string, number>;
  nodePssMiB: number;
  bpftracePssMiB: number;
  /** Kernel memory of bpftrace's BPF maps (in no PSS): memlock of each map fd. */
  bpfMapsMiB: number;
  nodeRssMiB: number;
  vmsRight: number;
}

interface Variant {
  vms: number;
  loaded: boolean;
}

/** PSS and RSS of a process in MiB from smaps_rollup (0 when gone). */
function pssRssMiB(pid: number): { pss: number; rss: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { pss: kib('Pss') / 1024, rss: kib('Rss') / 1024 };
  } catch {
    return { pss: 0, rss: 0 };
  }
}

/** The bpftrace children of pid, by the probe groups their program names ("faults", or
 * "faults+kvm+reclaim+growth" for the one bpftrace that runs them all). */
function bpftraceChildren(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid || !stat.includes('(bpftrace)')) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const groups = [...cmdline.matchAll(/faultline_ready (\w+)/g)].map((m) => m[1]!);
      out.set(groups.length ? groups.join('+') : `pid ${name}`, Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU ms of a process's main thread (node's: our JavaScript), from its task stat. */
const mainThreadCpuMs = (pid: number): number => cpuMsOfStatFile(`/proc/${pid}/task/${pid}/stat`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `faultline live`; resolves with the child and its UI's URL once it serves. */
async function startLive(tree: Tree, port: number, extra: string[], nodeFlags: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...nodeFlags, join(tree.root, 'bin/faultline.js'), 'live', '--interval', '1s', '--listen', `127.0.0.1:${port}`, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`faultline did not serve in 60 s:\n${lines.join('\n')}`)), 60_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      const match = /UI at (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`faultline exited (${code}) before serving:\n${lines.join('\n')}`)));
  });
  return { child, url };
}

async function stopLive(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** VMs of the fleet that /metrics lists with guest RAM equal to their size. */
async function vmsWithRightGuestRam(url: string, guestMiB: number): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const pattern = /^faultline_vm_rss_bytes\{vm="scale-\d+"[^}]*kind="guest_ram"[^}]*\} (\S+)$/gm;
  return [...text.matchAll(pattern)].filter((m) => Number(m[1]) === guestMiB * MiB).length;
}

/** MiB of kernel memory the process's BPF maps hold: `memlock` of each map in its fdinfo
 * (what the kernel charges for the map, preallocated entries included). */
function bpfMapsMiB(pid: number): number {
  return readBpfMaps(pid).reduce((sum, m) => sum + m.memlockBytes, 0) / 2 ** 20;
}

/** The warm-up before a measurement: --warmup, or longer when the VMs' first page walks
 * (PAGE_WALKS_PER_INTERVAL a 1 s interval) take longer, plus 5 s: a one-time cost that
 * is not what a host pays from then on (at 300 VMs, 38 s). */
function warmupSecondsFor(vms: number, options: ScaleOptions): number {
  return Math.max(options.warmupSeconds, Math.ceil(vms / PAGE_WALKS_PER_INTERVAL) + 5);
}

async function runOnce(tree: Tree, variant: Variant, options: ScaleOptions, port: number): Promise<RunResult> {
  const recordDir = variant.loaded ? mkdtempSync(join(tmpdir(), 'faultline-scale-')) : null;
  const extra = recordDir ? ['--record', join(recordDir, 'scale.flt')] : [];
  const { child, url } = await startLive(tree, port, extra, tree.nodeFlags ?? []);
  const clients: WebSocket[] = [];
  try {
    if (variant.loaded) {
      const wsUrl = `${url.replace('http', 'ws').replace(/\/$/, '')}/ws`;
      for (let i = 0; i < options.clients; i++) {
        const ws = new WebSocket(wsUrl);
        ws.on('error', () => {});
        clients.push(ws);
      }
    }
    await sleep(warmupSecondsFor(variant.vms, options) * 1000);
    const pid = child.pid!;
    const probes = bpftraceChildren(pid);
    const before = new Map([[pid, cpuMs(pid)], ...[...probes.values()].map((p): [number, number] => [p, cpuMs(p)])]);
    const mainBefore = mainThreadCpuMs(pid);
    const startedMs = Date.now();
    await sleep(options.seconds * 1000);
    const windowMs = Date.now() - startedMs;
    const pct = (p: number): number => ((cpuMs(p) - before.get(p)!) / windowMs) * 100;
    const node = pssRssMiB(pid);
    const result: RunResult = {
      nodeCorePct: pct(pid),
      nodeMainCorePct: ((mainThreadCpuMs(pid) - mainBefore) / windowMs) * 100,
      bpftraceCorePct: new Map([...probes].map(([group, p]) => [group, pct(p)])),
      nodePssMiB: node.pss,
      nodeRssMiB: node.rss,
      bpftracePssMiB: [...probes.values()].reduce((sum, p) => sum + pssRssMiB(p).pss, 0),
      bpfMapsMiB: [...probes.values()].reduce((sum, p) => sum + bpfMapsMiB(p), 0),
      vmsRight: await vmsWithRightGuestRam(url, options.guestMiB),
    };
    if (child.exitCode !== null) throw new Error(`faultline exited (${child.exitCode}) during the window`);
    return result;
  } finally {
    for (const ws of clients) ws.terminate();
    await stopLive(child);
    if (recordDir) rmSync(recordDir, { recursive: true, force: true });
  }
}

/** A compiled copy of the tree at git REF (src, probes, web, bin), sharing node_modules. */
function baselineTree(ref: string, log: (line: string) => void): Tree & { remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-baseline-'));
  log(`scale: building ${ref} in ${dir}`);
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "$1" | tar -x -C "${dir}"`, 'sh', ref]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
  execFileSync(process.execPath, ['web/build.mjs'], { cwd: dir, stdio: 'inherit' });
  return { label: ref, root: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function ensureBuilt(log: (line: string) => void): void {
  if (existsSync(join(ROOT, 'dist/cli/main.js'))) return;
  log('scale: dist/ missing, building (npm run build)');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

const sumOf = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Least-squares line through (vms, pct): the cost per VM and the fixed cost. */
function perVmFit(points: Array<{ vms: number; pct: number }>): { perVmPct: number; fixedPct: number } | null {
  if (new Set(points.map((p) => p.vms)).size < 2) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.vms, 0) / n;
  const my = points.reduce((a, p) => a + p.pct, 0) / n;
  const slope = points.reduce((a, p) => a + (p.vms - mx) * (p.pct - my), 0) / points.reduce((a, p) => a + (p.vms - mx) ** 2, 0);
  return { perVmPct: slope, fixedPct: my - slope * mx };
}

export interface ScaleReport {
  text: string;
  overTime?: OverTimeRow[];
  rows: Array<{ tree: string; vms: number; loaded: boolean; runs: RunResult[] }>;
  breakdown?: { sources: SourceShare[]; functions: FunctionShare[]; files: FileKindCost[] };
}

export async function benchScale(options: ScaleOptions): Promise<ScaleReport> {
  const { log } = options;
  ensureBuilt(log);
  const trees: Array<Tree & { remove?(): void }> = [{ label: 'this tree', root: ROOT }];
  if (options.baseline) trees.push(baselineTree(options.baseline, log));
  if (options.nodeFlags?.length) trees.push({ label: `this tree ${options.nodeFlags.join(' ')}`, root: ROOT, nodeFlags: options.nodeFlags });
  const variants: Variant[] = options.vmCounts.map((vms) => ({ vms, loaded: false }));
  if (options.clients > 0) {
    const nearest = [...options.vmCounts].sort((a, b) => Math.abs(a - 100) - Math.abs(b - 100))[0]!;
    variants.splice(options.vmCounts.indexOf(nearest) + 1, 0, { vms: nearest, loaded: true });
  }
  const rows: ScaleReport['rows'] = [];
  let breakdown: ScaleReport['breakdown'];
  const lock = await takeHeavyLock();
  let fleet: Fleet | null = null;
  if (options.overTimeMinutes) {
    const vms = Math.max(...options.vmCounts);
    const overTime: OverTimeRow[] = [];
    try {
      log(`scale: starting ${vms} QEMU processes (-m ${options.guestMiB} -mem-prealloc, paused)`);
      fleet = await startFleet(vms, options.guestMiB, log);
      let port = 7300;
      for (const tree of trees) overTime.push(...(await runOverTime(tree, vms, options.overTimeMinutes, port++, log)));
    } finally {
      await fleet?.stop();
      for (const tree of trees) tree.remove?.();
      await lock.release();
    }
    return { text: renderOverTime(overTime, vms, options), rows: [], overTime };
  }
  try {
    let port = 7300;
    for (const vms of [...new Set(options.vmCounts)].sort((a, b) => a - b)) {
      log(`scale: starting ${vms} QEMU processes (-m ${options.guestMiB} -mem-prealloc, paused)`);
      fleet = await startFleet(vms, options.guestMiB, log);
      for (const variant of variants.filter((v) => v.vms === vms)) {
        const byTree = new Map(trees.map((t) => [t, [] as RunResult[]]));
        for (let run = 1; run <= options.runs; run++) {
          for (const tree of trees) {
            log(`scale: ${vms} VMs${variant.loaded ? `, ${options.clients} clients + recording` : ''}, ${tree.label}, run ${run}/${options.runs}`);
            const result = await runOnce(tree, variant, options, port++);
            log(`scale:   node ${fixed(result.nodeCorePct, 2)}% + bpftrace ${fixed(sumOf(result.bpftraceCorePct), 2)}% of a core, PSS ${fixed(result.nodePssMiB + result.bpftracePssMiB, 1)} MiB, VMs right ${result.vmsRight}/${vms}`);
            byTree.get(tree)!.push(result);
          }
        }
        for (const [tree, runs] of byTree) rows.push({ tree: tree.label, vms, loaded: variant.loaded, runs });
      }
      if (options.breakdown && vms === Math.max(...options.vmCounts)) breakdown = await profiledRun(trees[0]!, options, fleet.pids, port++);
      await fleet.stop();
      fleet = null;
    }
  } finally {
    await fleet?.stop();
    for (const tree of trees) tree.remove?.();
    await lock.release();
  }
  return { text: renderScale(rows, options, breakdown), rows, breakdown };
}

// --- over time -------------------------------------------------------------------

export interface OverTimeRow {
  tree: string;
  minute: number;
  nodeCorePct: number;
  nodeMainCorePct: number;
  bpftraceCorePct: number;
  nodeRssMiB: number;
}

/** One session of `minutes`, its CPU measured over each minute. */
async function runOverTime(tree: Tree, vms: number, minutes: number, port: number, log: (line: string) => void): Promise<OverTimeRow[]> {
  log(`scale: ${vms} VMs, ${tree.label}, ${minutes} min`);
  const { child } = await startLive(tree, port, [], tree.nodeFlags ?? []);
  const rows: OverTimeRow[] = [];
  // a short-lived process every second, as a host's cron jobs and health checks start
  // them: each faults at exec, and some become the interval's busiest rows
  const churn = setInterval(() => spawn('/bin/sh', ['-c', 'exec cat /proc/loadavg'], { stdio: 'ignore' }), 1000);
  try {
    const pid = child.pid!;
    const bpftraceMs = (): number => [...bpftraceChildren(pid).values()].reduce((sum, p) => sum + cpuMs(p), 0);
    for (let minute = 1; minute <= minutes; minute++) {
      const [node0, main0, bpf0, t0] = [cpuMs(pid), mainThreadCpuMs(pid), bpftraceMs(), Date.now()];
      await sleep(60_000);
      if (child.exitCode !== null) throw new Error(`faultline exited (${child.exitCode}) in minute ${minute}`);
      const windowMs = Date.now() - t0;
      const row = {
        tree: tree.label, minute,
        nodeCorePct: ((cpuMs(pid) - node0) / windowMs) * 100,
        nodeMainCorePct: ((mainThreadCpuMs(pid) - main0) / windowMs) * 100,
        bpftraceCorePct: ((bpftraceMs() - bpf0) / windowMs) * 100,
        nodeRssMiB: pssRssMiB(pid).rss,
      };
      log(`scale:   minute ${minute}: node ${fixed(row.nodeCorePct, 2)}% (main thread ${fixed(row.nodeMainCorePct, 2)}%) + bpftrace ${fixed(row.bpftraceCorePct, 2)}%`);
      rows.push(row);
    }
  } finally {
    clearInterval(churn);
    await stopLive(child);
  }
  return rows;
}

function renderOverTime(rows: OverTimeRow[], vms: number, options: ScaleOptions): string {
  const trees = [...new Set(rows.map((r) => r.tree))];
  const header = ['minute', ...trees.flatMap((t) => [`${t} node %core`, 'main thread', 'bpftrace', 'node RSS MiB'])];
  const table = formatTable(header, [...new Set(rows.map((r) => r.minute))].map((minute) => [
    String(minute),
    ...trees.flatMap((t) => {
      const r = rows.find((x) => x.tree === t && x.minute === minute);
      return r ? [fixed(r.nodeCorePct, 2), fixed(r.nodeMainCorePct, 2), fixed(r.bpftraceCorePct, 2), fixed(r.nodeRssMiB, 1)] : ['-', '-', '-', '-'];
    }),
  ]));
  return [
    `Scale over time: ${vms} real QEMU processes (-m ${options.guestMiB} -mem-prealloc, paused), faultline live --interval 1s with its UI served, one session per tree, a short-lived process started every second, ` +
      `% of one core over each minute (the leak detectors' window fills in minute 10)`,
    table,
  ].join('\n');
}

// --- breakdown -------------------------------------------------------------------

export interface FileKindCost {
  kind: string;
  opensPerInterval: number;
  cpuUsPerRead: number;
}

/** /proc/1234/status -> /proc/PID/status; cgroup file paths keep their last name. */
function fileKind(path: string): string {
  if (path.startsWith('/sys/fs/cgroup/')) return `cgroup ${path.slice(path.lastIndexOf('/') + 1)}`;
  return path.replace(/\/\d+(?=\/|$)/g, '/PID');
}

/** CPU of one read of each file kind, on the fleet's processes, as faultline reads them. */
async function cpuUsPerRead(kind: string, pids: number[]): Promise<number> {
  const paths = kind.includes('PID') ? pids.slice(0, 50).map((pid) => kind.replace('PID', String(pid))) : [];
  if (paths.length === 0) return Number.NaN;
  const locked = /maps|smaps|cmdline/.test(kind);
  const started = process.cpuUsage();
  for (const path of paths) {
    try {
      if (locked) await readFile(path, 'utf8');
      else readFileSync(path, 'utf8');
    } catch {
      // gone
    }
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / paths.length;
}

async function profiledRun(tree: Tree, options: ScaleOptions, pids: number[], port: number): Promise<{ sources: SourceShare[]; functions: FunctionShare[]; files: FileKindCost[] }> {
  options.log('scale: breakdown run (--cpu-prof, openat counted by bpftrace)');
  const profDir = mkdtempSync(join(tmpdir(), 'faultline-prof-'));
  const { child } = await startLive(tree, port, [], ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  let counter: ChildProcess | null = null;
  try {
    await sleep(warmupSecondsFor(pids.length, options) * 1000);
    const program = 'tracepoint:syscalls:sys_enter_openat /pid == $1/ { @[str(args->filename)] = count(); } tracepoint:syscalls:sys_enter_pread64 /pid == $1/ { @["pread64 (stat via held descriptor)"] = count(); }';
    counter = spawn('bpftrace', ['-f', 'json', '-e', program, String(child.pid)], { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    counter.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    await sleep(2000); // attach
    const startedMs = Date.now();
    await sleep(options.seconds * 1000);
    const intervals = (Date.now() - startedMs) / 1000;
    const counterExited = new Promise((r) => counter!.once('exit', r));
    counter.kill('SIGINT');
    await counterExited;
    const line = output.split('\n').find((l) => l.includes('"type": "map"'));
    const counts = line ? (JSON.parse(line).data['@'] as Record<string, number>) : {};
    const byKind = new Map<string, number>();
    for (const [path, n] of Object.entries(counts)) byKind.set(fileKind(path), (byKind.get(fileKind(path)) ?? 0) + n);
    const files: FileKindCost[] = [];
    for (const [kind, n] of [...byKind].sort((a, b) => b[1] - a[1])) {
      files.push({ kind, opensPerInterval: n / intervals, cpuUsPerRead: await cpuUsPerRead(kind, pids) });
    }
    await stopLive(child);
    const profile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    const parsed = profile ? JSON.parse(readFileSync(join(profDir, profile), 'utf8')) : null;
    const skipUs = warmupSecondsFor(pids.length, options) * 1e6;
    const sources = parsed ? cpuBySource(parsed, skipUs) : [];
    const functions = parsed ? hottestFunctions(parsed, skipUs, 25) : [];
    return { sources, functions, files };
  } finally {
    if (counter && counter.exitCode === null) counter.kill('SIGKILL');
    await stopLive(child);
    rmSync(profDir, { recursive: true, force: true });
  }
}

// --- the tables ------------------------------------------------------------------

function renderScale(rows: ScaleReport['rows'], options: ScaleOptions, breakdown: ScaleReport['breakdown']): string {
  const med = (runs: RunResult[], f: (r: RunResult) => number): number => median(runs.map(f));
  // the bpftrace processes as a whole (one for all groups, or one per group: the JSON
  // output has each process's share)
  const table = formatTable(
    ['tree', 'VMs', 'load', 'node %core', 'node main thread %core', 'bpftrace %core', 'bpftrace procs', 'total %core', 'per VM %', 'PSS node MiB', 'PSS bpftrace MiB', 'PSS total MiB', 'RSS node MiB', 'BPF maps MiB', 'VMs right'],
    rows.map((r) => {
      const total = med(r.runs, (x) => x.nodeCorePct + sumOf(x.bpftraceCorePct));
      return [
        r.tree, r.vms, r.loaded ? `${options.clients} clients + rec` : '-',
        fixed(med(r.runs, (x) => x.nodeCorePct), 2),
        fixed(med(r.runs, (x) => x.nodeMainCorePct), 2),
        fixed(med(r.runs, (x) => sumOf(x.bpftraceCorePct)), 2),
        String(Math.max(...r.runs.map((x) => x.bpftraceCorePct.size))),
        fixed(total, 2),
        fixed(total / r.vms, 4),
        fixed(med(r.runs, (x) => x.nodePssMiB), 1),
        fixed(med(r.runs, (x) => x.bpftracePssMiB), 1),
        fixed(med(r.runs, (x) => x.nodePssMiB + x.bpftracePssMiB), 1),
        fixed(med(r.runs, (x) => x.nodeRssMiB), 1),
        fixed(med(r.runs, (x) => x.bpfMapsMiB), 1),
        `${Math.min(...r.runs.map((x) => x.vmsRight))}/${r.vms}`,
      ];
    }),
  );
  const lines = [
    `Scale: real QEMU processes (-m ${options.guestMiB} -mem-prealloc, paused), faultline live --interval 1s with its UI served; ` +
      `CPU over ${options.seconds} s after ${options.warmupSeconds} s (VMs / ${PAGE_WALKS_PER_INTERVAL} + 5 s where longer: their first page walks), % of one core, median of ${options.runs} run(s); ` +
      `"VMs right": VMs /metrics lists with guest RAM = ${options.guestMiB} MiB (lowest over the runs)`,
    table,
  ];
  for (const tree of new Set(rows.map((r) => r.tree))) {
    const fit = perVmFit(rows.filter((r) => r.tree === tree && !r.loaded).map((r) => ({ vms: r.vms, pct: median(r.runs.map((x) => x.nodeCorePct + sumOf(x.bpftraceCorePct))) })));
    if (fit) lines.push(`${tree}: ${fixed(fit.fixedPct, 2)}% of a core fixed + ${fixed(fit.perVmPct * 100, 2)}% per 100 VMs (least squares over the sizes)`);
  }
  if (breakdown) {
    lines.push('', `Where node's CPU goes at ${Math.max(...options.vmCounts)} VMs (one --cpu-prof run; samples by the faultline directory of the innermost frame)`);
    lines.push(formatTable(['source', 'ms per interval', 'share'], breakdown.sources.map((s) => [s.source, fixed(s.msPerSecond, 2), `${fixed(s.share * 100, 1)}%`])));
    lines.push('', 'Its hottest functions (self time; "(program)" is V8 outside JS, "(garbage collector)" GC)');
    lines.push(formatTable(['function', 'ms per interval', 'share'], breakdown.functions.map((f) => [f.frame, fixed(f.msPerSecond, 2), `${fixed(f.share * 100, 1)}%`])));
    lines.push('', 'Files node opens per interval (openat counted by bpftrace), and the CPU of one read of each kind here');
    lines.push(
      formatTable(
        ['file', 'per interval', 'us per read', 'ms per interval'],
        breakdown.files.map((f) => [f.kind, fixed(f.opensPerInterval, 1), Number.isNaN(f.cpuUsPerRead) ? '-' : fixed(f.cpuUsPerRead, 0), Number.isNaN(f.cpuUsPerRead) ? '-' : fixed((f.opensPerInterval * f.cpuUsPerRead) / 1000, 2)]),
      ),
    );
  }
  return lines.join('\n');
}
