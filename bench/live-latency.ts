// How long a probe group's interval waits between bpftrace printing it and the
// snapshot that holds it reaching a websocket client, in a real live session: real
// bpftrace (root), the real LiveSession and UiServer in-process, a ws client on
// 127.0.0.1. Per group: (frame received, process.hrtime) - (tick printed, the NSECS in
// `faultline_tick GROUP INDEX NSECS`; the same CLOCK_MONOTONIC). Probes older than
// that tick line carry no NSECS: there the batch's arrival in Node stands in (the
// pipe and the JSON parse, about a millisecond later).
//
// --baseline REF runs the tree at git REF (src/ and probes/, from `git archive`) the
// same way, alternating runs with this tree, so the two see the same machine.
//   npm run bench -- live-latency [--intervals 20] [--runs 3] [--baseline REF]
// Takes /tmp/faultline-heavy.lock. Root only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { LiveSession as LiveSessionType } from '../src/collect/live-session.js';
import type { Collector as CollectorType } from '../src/collect/collector.js';
import type { Frame, Snapshot } from '../src/model/snapshot.js';
import type { ProbeBatch } from '../src/parse/probe-batch.js';
import { takeHeavyLock } from './lib/heavy-lock.js';
import { median } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Snapshots at the start that are left out: the first covers 0.5-1.5 intervals from
 * attach, and a baseline's first ones wait for groups still settling. */
const WARMUP_SNAPSHOTS = 2;

export interface LiveLatencyOptions {
  intervals: number;
  runs: number;
  intervalMs?: number;
  /** git ref of the "before" tree; none: this tree only */
  baseline?: string;
  log: (line: string) => void;
}

interface TreeModules {
  LiveSession: new (options: { intervalMs: number; pinnedPids: number[]; log?: (l: string) => void }, onSnapshot: (s: Snapshot) => void) => LiveSessionType;
  Collector: typeof CollectorType;
  UiServer: typeof import('../src/serve/ui-server.js').UiServer;
  LiveFrameSource: typeof import('../src/serve/live-source.js').LiveFrameSource;
  decodeFrame: (bytes: Uint8Array) => Frame;
}

async function loadTree(root: string): Promise<TreeModules> {
  const load = (path: string) => import(pathToFileURL(join(root, path)).href);
  const [session, collector, server, source, codec] = await Promise.all([
    load('src/collect/live-session.ts'), load('src/collect/collector.ts'), load('src/serve/ui-server.ts'),
    load('src/serve/live-source.ts'), load('src/proto/codec.ts'),
  ]);
  return { LiveSession: session.LiveSession, Collector: collector.Collector, UiServer: server.UiServer, LiveFrameSource: source.LiveFrameSource, decodeFrame: codec.decodeFrame };
}

const monotonicNs = (): number => Number(process.hrtime.bigint());

interface Delivered {
  batch: ProbeBatch;
  /** when bpftrace printed the tick: NSECS from the tick line, else arrival in Node */
  printedNs: number;
  fromTickLine: boolean;
}

/** Which batches each snapshot (by seq) folded in: wraps the tree's Collector, which
 * keeps pending batches in `batches` until tick() takes them. */
function tapCollector(Collector: typeof CollectorType): { bySeq: Map<number, Delivered[]>; untap: () => void } {
  const proto = Collector.prototype as unknown as {
    addBatch(b: ProbeBatch): void;
    tick(...args: unknown[]): Promise<Snapshot>;
  };
  const { addBatch, tick } = proto;
  const pending: Delivered[] = [];
  const bySeq = new Map<number, Delivered[]>();
  proto.addBatch = function (batch: ProbeBatch) {
    if (batch.complete) pending.push({ batch, printedNs: batch.tickNs ?? monotonicNs(), fromTickLine: batch.tickNs !== undefined });
    addBatch.call(this, batch);
  };
  proto.tick = async function (...args: unknown[]) {
    const snapshot = await tick.apply(this, args);
    const left = new Set((this as unknown as { batches: ProbeBatch[] }).batches);
    const taken = pending.filter((d) => !left.has(d.batch));
    pending.splice(0, pending.length, ...pending.filter((d) => left.has(d.batch)));
    bySeq.set(snapshot.seq, taken);
    return snapshot;
  };
  return { bySeq, untap: () => Object.assign(proto, { addBatch, tick }) };
}

interface RunResult {
  /** ms from print to websocket, per group */
  latencyMs: Map<string, number[]>;
  fromTickLine: boolean;
}

async function runOnce(tree: TreeModules, options: LiveLatencyOptions): Promise<RunResult> {
  const intervalMs = options.intervalMs ?? 1000;
  const { bySeq, untap } = tapCollector(tree.Collector);
  let broadcast: (s: Snapshot) => void = () => {};
  const session = new tree.LiveSession({ intervalMs, pinnedPids: [], log: () => {} }, (s) => broadcast(s));
  const latencyMs = new Map<string, number[]>();
  let fromTickLine = false;
  let server: InstanceType<TreeModules['UiServer']> | null = null;
  let ws: WebSocket | null = null;
  try {
    const meta = await session.start();
    const source = new tree.LiveFrameSource({ ...meta, historyMs: 60_000 }, 60);
    server = new tree.UiServer({ listen: { host: '127.0.0.1', port: 0 }, token: null, source });
    const url = await server.start();
    broadcast = (s) => {
      source.push(s);
      server!.broadcast({ snapshot: s });
    };
    const wsUrl = `${url.replace('http', 'ws').replace(/\/$/, '')}/ws`;
    ws = new WebSocket(wsUrl);
    const received = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      ws!.on('error', reject);
      ws!.on('message', (data: Buffer) => {
        const receivedNs = monotonicNs();
        const frame = tree.decodeFrame(new Uint8Array(data));
        const snapshot = 'snapshot' in frame ? frame.snapshot : null;
        if (!snapshot || received.has(snapshot.seq)) return; // the greeting repeats the latest
        received.add(snapshot.seq);
        if (received.size <= WARMUP_SNAPSHOTS) return;
        for (const d of bySeq.get(snapshot.seq) ?? []) {
          const list = latencyMs.get(d.batch.group) ?? [];
          list.push((receivedNs - d.printedNs) / 1e6);
          latencyMs.set(d.batch.group, list);
          fromTickLine ||= d.fromTickLine;
        }
        if (received.size >= WARMUP_SNAPSHOTS + options.intervals) resolve();
      });
    });
  } finally {
    ws?.close();
    await session.stop();
    await server?.close();
    untap();
  }
  return { latencyMs, fromTickLine };
}

/** `git archive REF src probes package.json tsconfig.json` (ESM, paths) into a temp dir that borrows this tree's node_modules. */
function checkoutTree(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-latency-baseline-'));
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" src probes package.json tsconfig.json | tar -x -C "$3"', 'sh', ROOT, ref, dir]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export async function benchLiveLatency(options: LiveLatencyOptions): Promise<{ text: string; runs: Record<string, Array<Record<string, number[]>>> }> {
  const lock = await takeHeavyLock();
  const baselineDir = options.baseline ? checkoutTree(options.baseline) : null;
  const variants: Array<{ name: string; tree: TreeModules }> = [];
  try {
    if (baselineDir) variants.push({ name: `before (${options.baseline})`, tree: await loadTree(baselineDir) });
    variants.push({ name: 'after (this tree)', tree: await loadTree(ROOT) });
    const results = new Map<string, RunResult[]>(variants.map((v) => [v.name, []]));
    for (let run = 1; run <= options.runs; run++) {
      for (const v of variants) {
        options.log(`live-latency: ${v.name}, run ${run}/${options.runs}, ${options.intervals} intervals`);
        results.get(v.name)!.push(await runOnce(v.tree, options));
      }
    }
    return report(results, options);
  } finally {
    if (baselineDir) rmSync(baselineDir, { recursive: true, force: true });
    await lock.release();
  }
}

function report(results: Map<string, RunResult[]>, options: LiveLatencyOptions) {
  const groups = [...new Set([...results.values()].flatMap((runs) => runs.flatMap((r) => [...r.latencyMs.keys()])))].sort();
  const names = [...results.keys()];
  const cell = (runs: RunResult[], group: string): string => {
    const perRun = runs.map((r) => r.latencyMs.get(group) ?? []).filter((l) => l.length > 0);
    if (perRun.length === 0) return '- | -';
    const medians = perRun.map((l) => median(l));
    return `${median(medians).toFixed(0)} (${medians.map((m) => m.toFixed(0)).join(', ')}) | ${Math.max(...perRun.flat()).toFixed(0)}`;
  };
  const lines = [
    `print -> websocket, ms (interval ${options.intervalMs ?? 1000} ms, ${options.intervals} snapshots per run after ${WARMUP_SNAPSHOTS} left out, ${options.runs} runs;`,
    ` median of the runs' medians (each run's median) | max over all runs)`,
    '',
    `| group | ${names.map((n) => `${n} median | max`).join(' | ')} |`,
    `|---|${names.map(() => '---:|---:').join('|')}|`,
    ...groups.map((g) => `| ${g} | ${names.map((n) => cell(results.get(n)!, g)).join(' | ')} |`),
    '',
    ...names.map((n) => `${n}: print time from ${results.get(n)!.some((r) => r.fromTickLine) ? 'the NSECS in the tick line' : 'the batch arriving in Node (no NSECS in its tick line)'}`),
  ];
  const raw = Object.fromEntries(names.map((n) => [n, results.get(n)!.map((r) => Object.fromEntries(r.latencyMs))]));
  return { text: lines.join('\n'), runs: raw };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { intervals: { type: 'string', default: '20' }, runs: { type: 'string', default: '3' }, baseline: { type: 'string' } } });
  const result = await benchLiveLatency({
    intervals: Number(values.intervals), runs: Number(values.runs), baseline: values.baseline,
    log: (line) => void process.stderr.write(`${line}\n`),
  });
  console.log(result.text);
}
