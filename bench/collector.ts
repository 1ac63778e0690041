// User-side benchmark: the collector's cost for a host of 100 VMs with 10,000 hotspot
// keys in each region map per interval (SYNTHETIC values in bpftrace 0.17's exact
// output shapes, bench/lib/synthetic-probe-output.ts).
//
//   pipeline  four real BpftraceRunners read bench/fake-bpftrace.mjs (prints the
//             interval's output at every whole second) -> real parser and batcher ->
//             foldBatches -> buildSnapshot (100 synthetic VM rows) -> MetricsState
//             (update + one render, i.e. a scrape per interval), the leak detectors
//             (LeakTracker), LiveFrameSource -> UiServer.broadcast (encodeFrame,
//             websocket) -> a websocket client in another process, and the recorder
//             (RecordingWriter, a .flt file in the temp dir). Prints CPU ms per interval of this process, peak RSS,
//             and the time from the map print to the frame arriving at the client.
//   parse     the same lines through parseBpftraceLine + ProbeBatcher in a loop: MB/s.
//   /proc     what the live collector reads per VM and interval (readProcessDetail):
//             on the real QEMU capture in test/fixtures/proc, and on a live process
//             holding 512 MiB of 4 KiB pages as its "guest RAM" (smaps walks it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BpftraceRunner } from '../src/probe/bpftrace-runner.js';
import { PROBE_GROUPS, probeFile } from '../src/probe/probe-groups.js';
import { parseBpftraceLine } from '../src/parse/bpftrace-json.js';
import { ProbeBatcher, type ProbeBatch } from '../src/parse/probe-batch.js';
import { foldBatches } from '../src/aggregate/probe-counters.js';
import { buildSnapshot, type TrackedProcess } from '../src/aggregate/build-snapshot.js';
import { encodeFrame } from '../src/proto/codec.js';
import { UiServer } from '../src/serve/ui-server.js';
import { LiveFrameSource } from '../src/serve/live-source.js';
import { MetricsState, metricsHandler } from '../src/serve/metrics.js';
import { readProcessDetail } from '../src/host/process-detail.js';
import { LeakTracker } from '../src/detect/run-detectors.js';
import { RecordingWriter } from '../src/record/writer.js';
import { parseProcStat } from '../src/host/proc-stat.js';
import type { HostMemory } from '../src/model/host.js';
import type { Meta, Snapshot } from '../src/model/snapshot.js';
import { fixed, formatTable, median } from './lib/stats.js';
import { takeHeavyLock } from './lib/heavy-lock.js';
import { syntheticVms, trackedProcesses } from './lib/synthetic-host.js';
import { syntheticIntervalOutput } from './lib/synthetic-probe-output.js';

const FAKE_BPFTRACE = fileURLToPath(new URL('./fake-bpftrace.mjs', import.meta.url));
/** The repository (for node_modules); FAULTLINE_REPO when this file runs compiled elsewhere. */
const REPO_ROOT = process.env.FAULTLINE_REPO ?? fileURLToPath(new URL('..', import.meta.url));
const QEMU_CAPTURE = join(REPO_ROOT, 'test/fixtures/proc/real-debian12-qemu-tcg');
const MiB = 2 ** 20;

export interface CollectorBenchOptions {
  intervals: number;
  vms?: number;
  hotspotKeys?: number;
  log: (line: string) => void;
}

interface StageTimes {
  fold: number[];
  build: number[];
  detect: number[];
  metrics: number[];
  send: number[];
  record: number[];
}

const HOST: HostMemory = {
  meminfoBytes: { MemTotal: 256 * 1024 * MiB, MemAvailable: 64 * 1024 * MiB, MemFree: 8 * 1024 * MiB, SwapTotal: 0, SwapFree: 0 },
  vmstat: {},
  psiMemSomeAvg10: 0.2,
  psiMemFullAvg10: 0,
};
const VMSTAT = { pgfault: 1e6, pgmajfault: 10, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0 };

function snapshotOf(seq: number, batches: ProbeBatch[], rows: TrackedProcess[], times: StageTimes): Snapshot {
  let t = performance.now();
  const totals = foldBatches(batches);
  times.fold.push(performance.now() - t);
  t = performance.now();
  const snapshot = buildSnapshot({
    seq, timeMs: Date.now(), intervalMs: 1000, totals, processes: rows, host: HOST, vmstat: VMSTAT,
    probes: { attached: [...PROBE_GROUPS], groups: PROBE_GROUPS.map((group) => ({ group, attached: true, error: '', lostEvents: 0, badLines: 0 })), bpftraceVersion: '0.17.0', badLines: 0 },
    lifecycleEvents: [],
    pidIndex: new Map(rows.map((r) => [r.pid, { id: r.id, comm: r.comm }])),
    hotspotLimit: 8,
  });
  times.build.push(performance.now() - t);
  return snapshot;
}

/** A websocket client in its own process (its CPU is not the collector's): prints
 * "<seq> <receipt ms>" per snapshot frame. */
function startClient(url: string): { lines: AsyncIterableIterator<string>; stop(): void } {
  // from source under tsx, or compiled (bench and src built side by side): the codec
  // next to this file's own flavour
  const compiled = import.meta.url.endsWith('.js');
  const codec = fileURLToPath(new URL(`../src/proto/codec.${compiled ? 'js' : 'ts'}`, import.meta.url));
  const script = `
    import WebSocket from 'ws';
    import { decodeFrame } from ${JSON.stringify(codec)};
    const ws = new WebSocket(${JSON.stringify(url)});
    ws.on('open', () => console.log('open'));
    ws.on('message', (data) => {
      const at = Date.now();
      const frame = decodeFrame(new Uint8Array(data));
      if ('snapshot' in frame) console.log(frame.snapshot.seq + ' ' + at + ' ' + data.length);
    });`;
  const args = [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', script];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO_ROOT });
  return { lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator](), stop: () => child.pid && process.kill(child.pid, 'SIGKILL') };
}

async function pipeline(o: CollectorBenchOptions, dir: string, rows: TrackedProcess[]) {
  const meta: Meta = { formatVersion: 1, hostname: 'bench', kernel: '', bpftraceVersion: '0.17.0', probeGroups: [...PROBE_GROUPS], intervalMs: 1000, startTimeMs: Date.now(), faultlineVersion: '', mode: 'live', endTimeMs: 0, historyMs: 900_000, deepLeaks: false };
  const source = new LiveFrameSource(meta, 900);
  const metrics = new MetricsState();
  const ui = new UiServer({ listen: { host: '127.0.0.1', port: 0 }, token: null, source, routes: { '/metrics': metricsHandler(metrics) } });
  const url = await ui.start();
  const client = startClient(`${url.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`);
  await client.lines.next(); // open

  const times: StageTimes = { fold: [], build: [], detect: [], metrics: [], send: [], record: [] };
  const leaks = new LeakTracker();
  const recorder = await RecordingWriter.open(join(dir, 'bench.flt'), meta);
  const printedAt = new Map<number, number>();
  const sentAt = new Map<number, number>();
  const frameBytes: number[] = [];
  let pending: ProbeBatch[] = [];
  let seq = 0;
  const rss: number[] = [];
  const cpu: { start: NodeJS.CpuUsage | null; used: NodeJS.CpuUsage | null } = { start: null, used: null };
  const warmup = 2;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));

  const onBatch = (batch: ProbeBatch): void => {
    const marker = batch.lines.find((l) => l.startsWith('bench_print t='));
    if (marker) {
      const t = Number(marker.slice('bench_print t='.length));
      printedAt.set(seq, Math.min(printedAt.get(seq) ?? t, t));
      batch.lines = batch.lines.filter((l) => l !== marker);
    }
    if (!batch.complete) return;
    pending.push(batch);
    if (pending.length < PROBE_GROUPS.length) return;
    // every group delivered this interval: one snapshot, as an event-driven collector would
    const batches = pending;
    pending = [];
    if (seq === warmup) cpu.start = process.cpuUsage();
    let t = performance.now();
    const snapshot = leaks.annotate(snapshotOf(seq, batches, rows, times));
    times.detect.push(performance.now() - t - times.fold.at(-1)! - times.build.at(-1)!);
    t = performance.now();
    metrics.update(snapshot);
    metrics.render();
    times.metrics.push(performance.now() - t);
    t = performance.now();
    source.push(snapshot);
    ui.broadcast({ snapshot });
    times.send.push(performance.now() - t);
    t = performance.now();
    void recorder.append({ snapshot });
    times.record.push(performance.now() - t);
    sentAt.set(seq, Date.now());
    rss.push(process.memoryUsage().rss);
    seq += 1;
    if (seq === warmup + o.intervals) {
      cpu.used = process.cpuUsage(cpu.start!);
      done();
    }
  };
  const runners = PROBE_GROUPS.map((group) => new BpftraceRunner({
    group, programPath: probeFile(group), args: ['1000', '10000000'], bpftracePath: FAKE_BPFTRACE,
    env: { FAULTLINE_BENCH_OUTPUT_DIR: dir }, onBatch,
  }));
  await Promise.all(runners.map((r) => r.start()));
  // bounded waits: a frame the hub skipped (slow client) must not hang the benchmark
  const deadline = Date.now() + (warmup + o.intervals + 15) * 1000;
  const timeLeft = (): Promise<null> => new Promise((resolve) => setTimeout(() => resolve(null), Math.max(0, deadline - Date.now())).unref());
  if ((await Promise.race([finished.then(() => true), timeLeft()])) === null) o.log(`collector: only ${seq} intervals arrived in time`);
  // the client's receipts of the measured intervals
  const latencies: number[] = [];
  for (;;) {
    const next = await Promise.race([client.lines.next(), timeLeft()]);
    if (next === null || next.done) break;
    const [s, at, bytes] = next.value.split(' ').map(Number) as [number, number, number];
    if (s >= warmup && printedAt.has(s)) {
      latencies.push(at - printedAt.get(s)!);
      frameBytes.push(bytes);
    }
    if (s >= Math.min(seq, warmup + o.intervals) - 1) break;
  }
  client.stop();
  await Promise.all(runners.map((r) => r.stop()));
  await recorder.close();
  const recordingBytes = recorder.bytesWritten;
  await ui.close();
  return {
    cpuMsPerInterval: cpu.used ? (cpu.used.user + cpu.used.system) / 1000 / o.intervals : Number.NaN,
    peakRssMiB: Math.max(...rss) / MiB,
    /** RSS after a tenth of the intervals and at the end: a long run (--intervals 3600)
     * shows whether memory stays flat */
    rssEarlyMiB: (rss[Math.floor(rss.length / 10)] ?? Number.NaN) / MiB,
    rssEndMiB: (rss.at(-1) ?? Number.NaN) / MiB,
    latencyMs: latencies,
    stages: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median((v as number[]).slice(warmup))])) as Record<keyof StageTimes, number>,
    frameBytes: median(frameBytes),
    recordingBytesPerInterval: recordingBytes / Math.max(1, seq),
  };
}

/** Parser + batcher alone over the same lines: MB/s of bpftrace JSON. */
function parseThroughput(outputs: Record<string, string>, rounds: number): { mbPerSec: number; msPerInterval: number; bytes: number } {
  const lines = Object.entries(outputs).flatMap(([group, text]) => text.split('\n').map((line) => ({ group, line })));
  const bytes = lines.reduce((s, l) => s + l.line.length + 1, 0);
  const batchers = new Map(PROBE_GROUPS.map((g) => [g, new ProbeBatcher(g)]));
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const { group, line } of lines) {
      const result = parseBpftraceLine(line);
      if (result.ok) for (const record of result.records) batchers.get(group as never)!.push(record);
    }
  }
  const ms = (performance.now() - start) / rounds;
  return { mbPerSec: bytes / MiB / (ms / 1000), msPerInterval: ms, bytes };
}

/** readProcessDetail per VM: on the captured QEMU tree, and on a live process whose
 * 512 MiB of 4 KiB pages stand for guest RAM (smaps and smaps_rollup walk them). */
async function procReadCost(calls: number): Promise<{ captureMs: number; liveMs: number; liveCpuMs: number }> {
  const stat = parseProcStat(readFileSync(join(QEMU_CAPTURE, '10180/stat'), 'utf8'))!;
  let t = performance.now();
  for (let i = 0; i < calls; i++) await readProcessDetail(QEMU_CAPTURE, '/nonexistent', stat, { memoryBytes: 0, readNuma: false });
  const captureMs = (performance.now() - t) / calls;

  const { compiledProgram } = (await import('../test/harness/c-program.js')) as typeof import('../test/harness/c-program.js');
  const pages = (512 * MiB) / 4096;
  const child = spawn(compiledProgram('touch-pages'), [String(pages)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  await out.next(); // ready
  child.stdin!.write('go\n');
  await out.next(); // done: every page touched
  try {
    const liveStat = parseProcStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))!;
    const cpu = process.cpuUsage();
    t = performance.now();
    for (let i = 0; i < calls; i++) await readProcessDetail('/proc', '/sys/fs/cgroup', liveStat, { memoryBytes: 512 * MiB, readNuma: false });
    const liveMs = (performance.now() - t) / calls;
    const used = process.cpuUsage(cpu);
    return { captureMs, liveMs, liveCpuMs: (used.user + used.system) / 1000 / calls };
  } finally {
    if (child.pid) process.kill(child.pid, 'SIGKILL');
  }
}

export async function benchCollector(o: CollectorBenchOptions): Promise<{ text: string; result: unknown }> {
  const vmCount = o.vms ?? 100;
  const hotspotKeys = o.hotspotKeys ?? 10_000;
  const vms = syntheticVms(vmCount);
  const rows = trackedProcesses(vms);
  const outputs = syntheticIntervalOutput(vms, hotspotKeys);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-collector-'));
  const lock = await takeHeavyLock();
  try {
    for (const [group, text] of Object.entries(outputs)) writeFileSync(join(dir, `${group}.ndjson`), text);
    o.log(`collector: ${vmCount} VMs, ${hotspotKeys} keys per region map, ${o.intervals} intervals`);
    const rssBaselineMiB = process.memoryUsage().rss / MiB;
    const run = await pipeline(o, dir, rows);
    const parse = parseThroughput(outputs, 20);
    const proc = await procReadCost(20);
    const bytesMb = parse.bytes / MiB;
    const cpuOk = run.cpuMsPerInterval < 20;
    const rssOk = run.peakRssMiB < 150;
    const latency = median(run.latencyMs);
    const latencyOk = Math.max(...run.latencyMs) < 100;
    const rowsOut = [
      ['CPU per 1 s interval (this process: parse .. websocket send)', `${fixed(run.cpuMsPerInterval, 1)} ms`, '< 20 ms', cpuOk ? 'met' : 'NOT met'],
      [`peak RSS (before the pipeline: modules loaded, ${import.meta.url.endsWith('.js') ? 'compiled JS' : 'under tsx'})`, `${fixed(run.peakRssMiB)} MiB (${fixed(rssBaselineMiB)} MiB)`, '< 150 MiB', rssOk ? 'met' : 'NOT met'],
      ['RSS after 1/10 of the intervals -> at the end', `${fixed(run.rssEarlyMiB)} -> ${fixed(run.rssEndMiB)} MiB`, 'flat', ''],
      ['map print -> frame at the websocket client, median (max)', `${fixed(latency)} ms (${fixed(Math.max(...run.latencyMs))})`, '< 100 ms', latencyOk ? 'met' : 'NOT met'],
      ['parse throughput (parseBpftraceLine + batcher)', `${fixed(parse.mbPerSec, 1)} MB/s`, '', ''],
      ['bpftrace JSON per interval', `${fixed(bytesMb, 2)} MB, parsed in ${fixed(parse.msPerInterval, 1)} ms`, '', ''],
      ['  foldBatches', `${fixed(run.stages.fold, 1)} ms`, '', ''],
      ['  buildSnapshot (100 VM rows, hotspots)', `${fixed(run.stages.build, 1)} ms`, '', ''],
      ['  leak detectors (LeakTracker.annotate)', `${fixed(run.stages.detect, 1)} ms`, '', ''],
      ['  MetricsState update + render', `${fixed(run.stages.metrics, 1)} ms`, '', ''],
      ['  history push + encodeFrame + websocket send', `${fixed(run.stages.send, 1)} ms (frame ${fixed(run.frameBytes / 1024)} KiB)`, '', ''],
      ['  recorder append (synchronous part; compression runs later)', `${fixed(run.stages.record, 1)} ms (${fixed(run.recordingBytesPerInterval / 1024)} KiB per interval on disk)`, '', ''],
      ['/proc read per VM, captured QEMU tree (file reads)', `${fixed(proc.captureMs, 2)} ms`, '', ''],
      ['/proc read per VM, live 512 MiB 4K-page process', `${fixed(proc.liveMs, 2)} ms wall, ${fixed(proc.liveCpuMs, 2)} ms CPU`, '', ''],
      ['  x 100 VMs per interval (not in the CPU line above)', `${fixed(proc.liveCpuMs * 100)} ms CPU`, '', ''],
    ];
    const text = [
      `Collector: ${vmCount} VMs, ${hotspotKeys} keys in each region map, median over ${o.intervals} intervals (after 2 warm-up)`,
      formatTable(['measure', 'value', 'target', ''], rowsOut),
    ].join('\n');
    return { text, result: { run, parse, proc, rssBaselineMiB } };
  } finally {
    await lock.release();
    rmSync(dir, { recursive: true, force: true });
  }
}
