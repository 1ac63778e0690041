// What a .flt recording costs: bytes per VM-second, the CPU to write a frame, and how
// long a replay takes to load a 1-hour, 50-VM recording. On SYNTHETIC snapshots
// (test/record/synthetic-snapshots.ts: built with the real snapshot builder from
// made-up counters with Poisson noise), so the numbers are repeatable; a real host's
// counters are as noisy or noisier, see docs/recording-format.md for a real one.
//
//   node --import tsx bench/recording-size.ts [--vms 50] [--seconds 600] [--replay-seconds 3600]
//
// Table 1, per activity mix (idle: every VM idle; mixed: a third idle, a third
// steady, a third busy; busy: every VM busy, reclaim stalls in 30% of its seconds):
//   protobuf   one encoded Frame per snapshot, as the websocket sends it
//   plain      .flt records of kind F (a Frame each, no compression)
//   chunks/15  .flt with a brotli chunk restarting every 15 frames
//   chunks/60  .flt as `faultline record` writes it (chunk every 60 frames)
// Table 2: a 1-hour recording of 50 mixed VMs at 1 s: read every snapshot, build the
// report, load into the replay source (src/serve/replay-source.ts), and seek (open at
// a chunk offset and decode to a moment in it, as a replay could instead of keeping
// every snapshot).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { Snapshot } from '../src/model/snapshot.js';
import { encodeFrame } from '../src/proto/codec.js';
import { RecordEncoder, RecordingWriter } from '../src/record/writer.js';
import { openRecording } from '../src/record/reader.js';
import { ReportBuilder } from '../src/record/report/build-report.js';
import { ReplaySource } from '../src/serve/replay-source.js';
import { syntheticSnapshots, type Activity } from '../test/record/synthetic-snapshots.js';
import { testMeta } from '../test/record/recording-bytes.js';
import { fixed, formatTable } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    vms: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '600' },
    'replay-seconds': { type: 'string', default: '3600' },
  },
});
const vms = Number(values.vms);
const seconds = Number(values.seconds);
const replaySeconds = Number(values['replay-seconds']);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const DAY_S = 86_400;

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function sizes(activity: Activity): Promise<(string | number)[][]> {
  const encoders = { plain: new RecordEncoder({ compress: false }), 'chunks/15': new RecordEncoder({ framesPerChunk: 15 }), 'chunks/60': new RecordEncoder() };
  const bytes: Record<string, number> = { protobuf: 0, plain: 0, 'chunks/15': 0, 'chunks/60': 0 };
  const cpu: Record<string, number> = { protobuf: 0, plain: 0, 'chunks/15': 0, 'chunks/60': 0 };
  for (const snapshot of syntheticSnapshots({ vms, snapshots: seconds, activity, seed: 42 })) {
    const start = process.cpuUsage();
    bytes.protobuf! += encodeFrame({ snapshot }).length;
    cpu.protobuf! += cpuMs(start);
    for (const [name, encoder] of Object.entries(encoders)) {
      const t = process.cpuUsage();
      bytes[name]! += (await encoder.encode({ snapshot })).record.length;
      cpu[name]! += cpuMs(t);
    }
  }
  for (const encoder of Object.values(encoders)) encoder.close();
  const vmSeconds = vms * seconds;
  return Object.keys(bytes).map((name) => {
    const perVmSecond = bytes[name]! / vmSeconds;
    return [`${activity} ${name}`, fixed(perVmSecond, 1), fixed((perVmSecond * 50 * DAY_S) / 1e6), fixed((perVmSecond * 50 * 600) / 1e6, 1), fixed(cpu[name]! / seconds, 2)];
  });
}

async function replayLoad(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  const path = join(dir, 'hour.flt');
  try {
    const meta = testMeta({ startTimeMs: 1_764_000_000_000 });
    const writer = await RecordingWriter.open(path, meta);
    let t = performance.now();
    let encodeMs = 0;
    for (const snapshot of syntheticSnapshots({ vms: 50, snapshots: replaySeconds, activity: 'mixed', seed: 7 })) {
      const start = performance.now();
      await writer.append({ snapshot });
      encodeMs += performance.now() - start;
    }
    await writer.close();
    log(`recording-size: wrote ${replaySeconds} snapshots in ${fixed(performance.now() - t)} ms (${fixed(encodeMs)} ms in the writer)`);
    const fileBytes = statSync(path).size;

    const rows: (string | number)[][] = [];
    const measure = async (name: string, work: (s: Snapshot) => void, end: () => void = () => {}): Promise<void> => {
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const cpu = process.cpuUsage();
      t = performance.now();
      const reader = await openRecording(path);
      let n = 0;
      for await (const s of reader.snapshots()) {
        work(s);
        n += 1;
      }
      end();
      const wallMs = performance.now() - t;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      rows.push([name, n, fixed(wallMs), fixed(cpuMs(cpu)), fixed((peak - rss0) / 2 ** 20)]);
    };
    await measure('read every snapshot', () => {});
    const report = new ReportBuilder(meta, path);
    await measure('read + report', (s) => report.add(s), () => report.finish({ frames: 0, snapshots: 0, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] }));
    {
      // ReplaySource reads the file itself (an index pass and a history pass)
      const rss0 = process.memoryUsage().rss;
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      const replay = new ReplaySource(path);
      await replay.load();
      replay.greeting();
      rows.push(['replay load (ReplaySource.load, greeting)', replay.length, fixed(performance.now() - t0), fixed(cpuMs(cpu)), fixed((process.memoryUsage().rss - rss0) / 2 ** 20)]);
    }
    // seek: what a replay pays to show one moment: open at its chunk, decode up to it
    const offsets: number[] = [];
    const index = await openRecording(path);
    for await (const s of index.snapshots()) if (s.seq % 360 === 359) offsets.push(index.chunkOffset);
    const seekCpu = process.cpuUsage();
    t = performance.now();
    let decoded = 0;
    for (const startAt of offsets) {
      const reader = await openRecording(path, { startAt });
      for await (const s of reader.snapshots()) {
        decoded += 1;
        if (s.seq % 360 === 359) break;
      }
    }
    rows.push([`seek: open at a chunk, decode to the moment (mean of ${offsets.length})`, fixed(decoded / offsets.length), fixed((performance.now() - t) / offsets.length), fixed(cpuMs(seekCpu) / offsets.length), '']);
    const header = [`1 h of 50 mixed VMs at 1 s: ${fixed(fileBytes / 2 ** 20, 1)} MiB (${fixed(fileBytes / (50 * replaySeconds), 1)} B/VM-s)`, 'snapshots', 'wall ms', 'cpu ms', 'RSS growth MiB'];
    return formatTable(header, rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

log(`recording-size: ${vms} synthetic VMs (+3 processes), ${seconds} s at 1 s per activity mix`);
const rows: (string | number)[][] = [];
for (const activity of ['idle', 'mixed', 'busy'] as const) {
  log(`recording-size: ${activity}...`);
  rows.push(...(await sizes(activity)));
}
console.log(formatTable([`${vms} VMs, ${seconds} s`, 'B/VM-s', 'MB/day 50 VMs', 'MB ring 10 min', 'cpu ms/frame'], rows));
console.log();
if (replaySeconds > 0) console.log(await replayLoad());
