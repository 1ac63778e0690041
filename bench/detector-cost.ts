// What one judgment of a growth detector costs (classifyGrowth, the shared classifier
// of src/detect/growth-shape.ts) on a full stored history: 361 points (3 windows of
// 120, the LeakTracker's most), for the shapes rows have. Each row is judged once a
// point (window/120: every 5 s with the 10 min default), by 2 (process) to 3 (VM)
// growth detectors. Pure CPU: no root. Medians over --runs.
//   npm run bench -- detector-cost [--runs 5]
import { classifyGrowth, SHAPE_DEFAULTS } from '../src/detect/growth-shape.js';
import type { Point } from '../src/detect/robust-trend.js';
import { mulberry32 } from '../test/harness/seeded-random.js';

const MiB = 2 ** 20;
const POINTS = 361;
const STEP_MS = 5000;

function series(value: (i: number, noise: number) => number): Point[] {
  const rand = mulberry32(7);
  return Array.from({ length: POINTS }, (_, i) => ({ tMs: i * STEP_MS, value: value(i, (rand() - 0.5) * MiB) }));
}

const SHAPES: [string, Point[]][] = [
  ['flat (a paused or idle VM)', series(() => 512 * MiB)],
  ['noisy flat (σ ~0.3 MiB)', series((_, n) => 512 * MiB + n)],
  ['sawtooth (GC, 1 min period)', series((i, n) => 100 * MiB + (i % 12) * 4 * MiB + n)],
  ['steady leak 64 KiB/s', series((i, n) => 100 * MiB + i * 5 * 64 * 1024 + n)],
];

export function benchDetectorCost(options: { runs: number; log: (line: string) => void }): string {
  const rows: string[][] = [['shape', 'µs per judgment (median)', 'verdict']];
  for (const [name, s] of SHAPES) {
    const perRun: number[] = [];
    let verdict = '';
    for (let r = 0; r < options.runs; r++) {
      for (let k = 0; k < 100; k++) verdict = classifyGrowth(s, SHAPE_DEFAULTS).verdict;
      const n = 1000;
      const t = process.hrtime.bigint();
      for (let k = 0; k < n; k++) classifyGrowth(s, SHAPE_DEFAULTS);
      perRun.push(Number(process.hrtime.bigint() - t) / n / 1000);
    }
    perRun.sort((a, b) => a - b);
    rows.push([name, perRun[perRun.length >> 1]!.toFixed(1), verdict]);
    options.log(`detector-cost: ${name} done`);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [
    `Detector cost: classifyGrowth on a ${POINTS}-point history, median of ${options.runs} runs of 1000 calls`,
    ...rows.map((r) => r.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()),
  ].join('\n');
}
