// Soak: the live pipeline under a 100-VM SYNTHETIC load for N minutes (default 10),
// with 20 websocket clients and recording on. bpftrace is replaced by
// bench/fake-bpftrace.mjs printing one interval of high map sizes (10,000 hotspot
// keys) per second, read by the real BpftraceRunners; the real parser, aggregator,
// leak tracker, UI server, websocket clients and recorder do the rest. VMs come and
// go: every minute --churn of them exit and as many new ones start (new pids, names
// and uuids, in the probe output too), so an hour sees 100 + 60 x churn VMs, and
// memory stays flat only if exited VMs are dropped (history, leak tracker).
// Prints a table: frames made vs frames read back from the recording, RSS over time
// (start, half-way, end, max), VMs seen vs VMs still held, client lag (snapshots
// behind the newest) and the event-loop delay. A benchmark, not a test: nothing is
// asserted.
//   node --import tsx bench/soak.ts [--minutes 10] [--vms 100] [--clients 20] [--churn 5]
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BpftraceRunner } from '../src/probe/bpftrace-runner.js';
import { PROBE_GROUPS } from '../src/probe/probe-groups.js';
import type { ProbeBatch } from '../src/parse/probe-batch.js';
import { foldBatches } from '../src/aggregate/probe-counters.js';
import { buildSnapshot } from '../src/aggregate/build-snapshot.js';
import { LeakTracker } from '../src/detect/run-detectors.js';
import { LiveFrameSource } from '../src/serve/live-source.js';
import { UiServer } from '../src/serve/ui-server.js';
import { decodeFrame } from '../src/proto/codec.js';
import { RecordEncoder, RecordingFile, RecordingWriter } from '../src/record/writer.js';
import { openRecording } from '../src/record/reader.js';
import type { History, Meta, Snapshot } from '../src/model/snapshot.js';
import { syntheticVms, trackedProcesses } from './lib/synthetic-host.js';
import { syntheticIntervalOutput } from './lib/synthetic-probe-output.js';
import { fixed, formatTable } from './lib/stats.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, vms: { type: 'string', default: '100' }, clients: { type: 'string', default: '20' }, churn: { type: 'string', default: '5' } } });
const minutes = Number(values.minutes);
const vmCount = Number(values.vms);
const clientCount = Number(values.clients);
const churnPerMinute = Number(values.churn);
const MiB = 2 ** 20;
const INTERVAL_MS = 1000;

const dir = mkdtempSync(join(tmpdir(), 'faultline-soak-'));
const pool = syntheticVms(vmCount + churnPerMinute * Math.ceil(minutes));
const poolRows = trackedProcesses(pool);
/** The VMs running in minute m: a window sliding by --churn each minute. */
const firstVmOfMinute = (m: number): number => m * churnPerMinute;
/** What fake-bpftrace prints from now on (it reads the files at every print; the
 * rename makes each switch whole). */
function writeProbeOutput(m: number): void {
  const running = pool.slice(firstVmOfMinute(m), firstVmOfMinute(m) + vmCount);
  for (const [group, text] of Object.entries(syntheticIntervalOutput(running, 5_000))) {
    writeFileSync(join(dir, `${group}.ndjson.new`), text);
    renameSync(join(dir, `${group}.ndjson.new`), join(dir, `${group}.ndjson`));
  }
}
writeProbeOutput(0);

let batches: ProbeBatch[] = [];
const runners = PROBE_GROUPS.map((group) => new BpftraceRunner({
  groups: [group], programPath: `${group}.bt`, args: [], bpftracePath: fileURLToPath(new URL('./fake-bpftrace.mjs', import.meta.url)),
  env: { FAULTLINE_BENCH_OUTPUT_DIR: dir }, onBatch: (b) => batches.push(b),
}));
await Promise.all(runners.map((r) => r.start()));

const meta: Meta = {
  formatVersion: 1, hostname: 'soak-synthetic', kernel: 'synthetic', bpftraceVersion: '0.17.0', probeGroups: [...PROBE_GROUPS],
  intervalMs: INTERVAL_MS, startTimeMs: Date.now(), faultlineVersion: 'bench', mode: 'live', endTimeMs: 0, historyMs: 15 * 60_000, deepLeaks: false,
};
const source = new LiveFrameSource(meta, 900);
const server = new UiServer({ listen: { host: '127.0.0.1', port: 0 }, token: null, source });
const url = await server.start();
const recordingPath = join(dir, 'soak.flt');
const file = await RecordingFile.create(recordingPath);
await file.writeHeader(meta);
let writeErrors = 0;
const writer = new RecordingWriter(file, new RecordEncoder(), { onError: () => (writeErrors += 1) });
const leaks = new LeakTracker({ leakWindowMs: 60_000 });

const clients = Array.from({ length: clientCount }, () => {
  const state = { lastSeq: -1, frames: 0 };
  const ws = new WebSocket(`${url.replace('http', 'ws').replace(/\/$/, '')}/ws`);
  ws.on('message', (data) => {
    const frame = decodeFrame(new Uint8Array(data as Buffer));
    state.frames += 1;
    if ('snapshot' in frame) state.lastSeq = Math.max(state.lastSeq, frame.snapshot.seq);
  });
  return { ws, state };
});

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const rssMiB: number[] = [];
let maxLag = 0;
let made = 0;
const totalIntervals = Math.round((minutes * 60_000) / INTERVAL_MS);
const t0 = Date.now();
for (let seq = 0; seq < totalIntervals; seq++) {
  await new Promise((r) => setTimeout(r, t0 + (seq + 1) * INTERVAL_MS - Date.now()));
  const minute = Math.floor(seq / 60);
  if (seq > 0 && seq % 60 === 0) writeProbeOutput(minute);
  const rows = poolRows.slice(firstVmOfMinute(minute), firstVmOfMinute(minute) + vmCount);
  const totals = foldBatches(batches);
  batches = [];
  const processes = rows.map((p, i) => ({
    ...p,
    detail: p.detail && { ...p.detail, status: { ...p.detail.status, rssBytes: p.detail.status.rssBytes + ((seq * (i + 1)) % 64) * MiB } },
  }));
  const snapshot: Snapshot = leaks.annotate(buildSnapshot({
    seq, timeMs: Date.now(), intervalMs: INTERVAL_MS, totals, processes,
    host: { meminfoBytes: { MemTotal: 256 * 2 ** 30, MemAvailable: 64 * 2 ** 30 }, vmstat: {}, psiMemSomeAvg10: 0, psiMemFullAvg10: 0 },
    vmstat: { pgfault: 0, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
    probes: { attached: [...PROBE_GROUPS], groups: [], bpftraceVersion: '0.17.0', badLines: 0 },
    lifecycleEvents: [], pidIndex: new Map(), hotspotLimit: 8,
  }), null);
  source.push(snapshot);
  server.broadcast({ snapshot });
  void writer.append({ snapshot });
  made += 1;
  // a client is current when it has the snapshot before this one (it is in flight)
  for (const c of clients) maxLag = Math.max(maxLag, seq - c.state.lastSeq);
  if (seq % 10 === 0) rssMiB.push(process.memoryUsage().rss / MiB);
  if (seq % 60 === 0) process.stderr.write(`soak: ${seq}/${totalIntervals} intervals, RSS ${fixed(process.memoryUsage().rss / MiB)} MiB\n`);
}
await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
const greetingHistory = source.greeting().find((f): f is { history: History } => 'history' in f)!.history;
const vmsSeen = Math.min(pool.length, firstVmOfMinute(Math.floor((made - 1) / 60)) + vmCount);
const finalLag = Math.max(...clients.map((c) => made - 1 - c.state.lastSeq));
await writer.close();
for (const c of clients) c.ws.close();
await server.close();
await Promise.all(runners.map((r) => r.stop()));
loopDelay.disable();

let readBack = 0;
const reader = await openRecording(recordingPath);
for await (const _ of reader.snapshots()) readBack += 1;
rmSync(dir, { recursive: true, force: true });

const half = rssMiB[Math.floor(rssMiB.length / 2)] ?? 0;
console.log(`\nfaultline soak: ${vmCount} synthetic VMs (${churnPerMinute} exit and ${churnPerMinute} start every minute), 10,000 hotspot keys per interval, ${clientCount} websocket clients, recording on, ${minutes} min at 1 s (${new Date().toISOString().slice(0, 10)})`);
console.log(formatTable(['measure', 'value'], [
  ['snapshots made', made],
  ['VMs seen (started over the run) / running at the end', `${vmsSeen} / ${vmCount}`],
  ['VM series held in the UI history (15 min) / in the leak tracker at the end', `${greetingHistory.vms.length} / ${leaks.trackedIds().length}`],
  ['snapshots read back from the recording', readBack],
  ['recording write errors', writeErrors],
  ['RSS start / half-way / end (MiB)', `${fixed(rssMiB[0] ?? 0)} / ${fixed(half)} / ${fixed(rssMiB.at(-1) ?? 0)}`],
  ['RSS max (MiB)', fixed(Math.max(...rssMiB))],
  ['largest client lag during the run (snapshots)', maxLag],
  ['client lag at the end (snapshots)', finalLag],
  ['event-loop delay p99 / max (ms)', `${fixed(loopDelay.percentile(99) / 1e6, 1)} / ${fixed(loopDelay.max / 1e6, 1)}`],
  ['lost probe lines (bad lines)', runners.reduce((s, r) => s + r.badLines, 0)],
]));
