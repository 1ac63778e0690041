// `npm run bench [-- WHICH] [--runs N] [--probes-dir DIR] [--compare-probes DIR]
//                  [--intervals N] [--warmup N] [--hotspot-keys N] [--json FILE]`
//   WHICH: probe-cost (kernel side; root), collector (user side), variants (ideas for
//   the user-fault program; root), all = probe-cost + collector (default),
//   live-latency (print -> websocket in a real live session; root; [--baseline REF]),
//   scale (real QEMU fleets, CPU and PSS of node and bpftrace; root; bench/scale.ts:
//   [--vms 10,100,300] [--seconds 60] [--warmup 20] [--guest-mib 64] [--clients 20]
//   [--baseline REF] [--node-flags 'FLAG ...'] [--over-time MINUTES] [--breakdown]), leaks-cost (`faultline leaks` on a malloc loop:
//   traced and bystander ns per pair per bpftrace; root; bench/leaks-cost.ts:
//   [--bpftrace PATH,PATH] [--pairs N]), history-cost (the UI's chart history per snapshot
//   with new process rows each interval; bench/history-cost.ts: [--baseline REF]),
//   exit-lines (how late bpftrace's exit line comes next to the reap; root;
//   bench/exit-line-lag.ts: [--exits N] [--bpftrace PATH]), encode-cost (a 100-VM snapshot
//   frame's encoding, its findings kept from the last frame or new; bench/encode-cost.ts).
// --compare-probes DIR also runs the probes in DIR (e.g. an older probes/, from git
// show) side by side. Prints tables on stdout, progress on stderr; --json also writes
// the raw results.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchProbeCost, benchVariants, DEFAULT_PROBES_DIR } from './probe-cost.js';
import { benchCollector } from './collector.js';
import { benchLiveLatency } from './live-latency.js';
import { benchScale } from './scale.js';
import { benchLeaksCost } from './leaks-cost.js';
import { benchDetectorCost } from './detector-cost.js';
import { benchHistoryCost } from './history-cost.js';
import { benchExitLines } from './exit-line-lag.js';
import { benchEncodeCost } from './encode-cost.js';

const { values, positionals } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'probes-dir': { type: 'string', default: DEFAULT_PROBES_DIR },
    'compare-probes': { type: 'string' },
    json: { type: 'string' },
    // collector: a 60-interval window after 180 warm-up intervals (bench/collector.ts)
    intervals: { type: 'string' },
    warmup: { type: 'string' },
    'hotspot-keys': { type: 'string', default: '10000' },
    baseline: { type: 'string' },
    vms: { type: 'string', default: '10,100,300' },
    seconds: { type: 'string', default: '60' },
    'guest-mib': { type: 'string', default: '64' },
    clients: { type: 'string', default: '20' },
    breakdown: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    'over-time': { type: 'string' },
    bpftrace: { type: 'string', default: 'bpftrace' },
    pairs: { type: 'string', default: '300000' },
    exits: { type: 'string', default: '300' },
  },
  allowPositionals: true,
});
const which = positionals[0] ?? 'all';
const runs = Number(values.runs);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const size = { anonMiB: 256, rounds: 8, kernelMiB: 32, fileMiB: 32 };
const results: Record<string, unknown> = {};
const isRoot = process.getuid?.() === 0;

if (which === 'probe-cost' || which === 'all') {
  if (!isRoot) log('probe-cost: skipped (needs root for bpftrace, bpftool and kernel.bpf_stats_enabled)');
  else {
    const report = await benchProbeCost({ runs, probesDir: values['probes-dir'], compareDir: values['compare-probes'], size, log });
    console.log(`${report.text}\n`);
    results.probeCost = report;
  }
}
if (which === 'detector-cost') {
  const text = benchDetectorCost({ runs, log });
  console.log(`${text}\n`);
}
if (which === 'encode-cost') {
  const text = benchEncodeCost({ runs, log });
  console.log(`${text}\n`);
}
if (which === 'history-cost') {
  const text = await benchHistoryCost({ runs, baseline: values.baseline, log });
  console.log(`${text}\n`);
}
if (which === 'variants') {
  const text = await benchVariants({ runs, probesDir: values['probes-dir'], size, log });
  console.log(`${text}\n`);
  results.variants = text;
}
if (which === 'collector' || which === 'all') {
  const report = await benchCollector({ intervals: Number(values.intervals ?? 60), warmup: values.warmup === undefined ? undefined : Number(values.warmup), runs, hotspotKeys: Number(values['hotspot-keys']), log });
  console.log(`${report.text}\n`);
  results.collector = report;
}
if (which === 'live-latency') {
  const intervals = Number(values.intervals ?? 20);
  const report = await benchLiveLatency({ intervals, runs, baseline: values.baseline, log });
  console.log(`${report.text}\n`);
  results.liveLatency = report;
}
if (which === 'scale') {
  const vmCounts = values.vms.split(',').map(Number);
  const numbers = [...vmCounts, Number(values.seconds), Number(values['guest-mib']), Number(values.clients), runs, Number(values['over-time'] ?? 0)];
  if (!isRoot) {
    console.error('scale: needs root (bpftrace, QEMU)');
    process.exit(2);
  }
  if (numbers.some((n) => !Number.isInteger(n) || n < 0) || vmCounts.some((n) => n < 1)) {
    console.error('scale: --vms takes positive whole numbers separated by commas; --seconds, --guest-mib, --clients, --runs, --over-time whole numbers');
    process.exit(2);
  }
  const report = await benchScale({
    vmCounts, seconds: Number(values.seconds), warmupSeconds: Number(values.warmup ?? 20), runs, guestMiB: Number(values['guest-mib']),
    clients: Number(values.clients), baseline: values.baseline, breakdown: values.breakdown, log,
    nodeFlags: values['node-flags']?.split(/\s+/).filter(Boolean),
    overTimeMinutes: values['over-time'] ? Number(values['over-time']) : undefined,
  });
  console.log(`${report.text}\n`);
  const wrong = report.rows.filter((r) => r.runs.some((x) => x.vmsRight < r.vms));
  if (wrong.length > 0) {
    console.error(`scale: /metrics did not list every VM with its guest RAM (${wrong.map((r) => `${r.vms} VMs, ${r.tree}`).join('; ')}): a number is wrong`);
    process.exitCode = 1;
  }
  results.scale = { ...report, rows: report.rows.map((r) => ({ ...r, runs: r.runs.map((x) => ({ ...x, bpftraceCorePct: Object.fromEntries(x.bpftraceCorePct) })) })) };
}
if (which === 'leaks-cost') {
  if (!isRoot) {
    console.error('leaks-cost: needs root (bpftrace)');
    process.exit(2);
  }
  const report = await benchLeaksCost({ runs, bpftraces: values.bpftrace.split(','), pairs: Number(values.pairs), log });
  console.log(`${report.text}\n`);
  results.leaksCost = report.rows;
}
if (which === 'exit-lines') {
  const exits = Number(values.exits);
  if (!isRoot || !Number.isInteger(exits) || exits < 1) {
    console.error(!isRoot ? 'exit-lines: needs root (bpftrace)' : 'exit-lines: --exits takes a positive whole number');
    process.exit(2);
  }
  console.log(`${await benchExitLines({ runs, exits, bpftrace: values.bpftrace, log })}\n`);
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
