// Every detector on seeded synthetic series (test/detect/synthetic.ts) at three
// noise levels, five seeds each: steady leaks at several rates, sawtooth, plateau
// after warm-up, step growth, page-cache growth, guest warm-up, balloon, mapping
// growth, kernel slab. Prints the table (scenario, noise, expected, got) and fails
// on any verdict outside the expected set. Production defaults (10 min window),
// samples every 5 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, Verdict } from '../../src/model/snapshot.js';
import type { DetectContext, VmHistoryPoint } from '../../src/detect/history.js';
import { detectProcessGrowth } from '../../src/detect/process-growth.js';
import { detectQemuOwn } from '../../src/detect/qemu-own.js';
import { detectGuestGrowth } from '../../src/detect/guest-growth.js';
import { detectBalloon } from '../../src/detect/balloon.js';
import { detectMappingGrowth } from '../../src/detect/mapping-growth.js';
import { detectKernelMemory } from '../../src/detect/kernel-memory.js';
import { hostPointAt, KiB, MiB, noiseSource, shapes, times, vmPointAt } from './synthetic.js';

const WINDOW_S = 600;
const STEP_S = 5;
const SEEDS = [1, 2, 3, 4, 5];
const NOISES = [0, 0.5 * MiB, 2 * MiB];
const GiB = 1024 * MiB;

const context = (fields: Partial<DetectContext> = {}): DetectContext => ({
  hostMemAvailableBytes: 40 * GiB, hostMemTotalBytes: 64 * GiB, psiMemSomeAvg10: 0,
  cgroupLimitBytes: 0, cgroupUsageBytes: 0, vmMemoryBytes: 0, lostEventsInWindow: 0,
  ...fields,
});

type Shape = (s: number) => number;

/** A process: anon = 300 MiB + shape + noise over `durationS`; file optional. */
function processHistory(anon: Shape, noise: number, seed: number, durationS = 2 * WINDOW_S, file: Shape = () => 0): VmHistoryPoint[] {
  const n = noiseSource(seed, noise);
  return times(durationS * 1000, STEP_S * 1000).map((t) =>
    vmPointAt(t, STEP_S * 1000, { anonBytes: 300 * MiB + anon(t / 1000) + n(), fileBytes: 50 * MiB + file(t / 1000) }));
}

/** A VM of `memoryBytes`: guest RAM and QEMU's own anon memory by shape. */
function vmHistory(guest: Shape, own: Shape, noise: number, seed: number, memoryBytes = 4 * GiB, extra: (s: number) => Partial<VmHistoryPoint> = () => ({})): VmHistoryPoint[] {
  const n = noiseSource(seed, noise);
  return times(2 * WINDOW_S * 1000, STEP_S * 1000).map((t) => {
    const guestRam = Math.min(memoryBytes, 256 * MiB + guest(t / 1000));
    const ownAnon = 180 * MiB + own(t / 1000) + n();
    return vmPointAt(t, STEP_S * 1000, {
      memoryBytes, guestRamKnown: true, guestRamBytes: guestRam, ownAnonBytes: ownAnon, anonBytes: guestRam + ownAnon,
      ...extra(t / 1000),
    });
  });
}

interface Scenario {
  name: string;
  /** Acceptable verdicts at each noise level (same order as `noises`). */
  expected: Verdict[][] | Verdict[];
  noises?: number[];
  run: (noise: number, seed: number) => Finding;
}

const L: Verdict[] = ['leak'];
const LS: Verdict[] = ['leak', 'suspect'];
const OK: Verdict[] = ['ok'];
const S: Verdict[] = ['suspect'];

const scenarios: Scenario[] = [
  { name: 'process: steady leak 1 MiB/s', expected: L, run: (n, s) => detectProcessGrowth(processHistory(shapes.steady(MiB), n, s), context()) },
  { name: 'process: steady leak 64 KiB/s', expected: [L, L, LS], run: (n, s) => detectProcessGrowth(processHistory(shapes.steady(64 * KiB), n, s), context()) },
  { name: 'process: steady leak 16 KiB/s', expected: [L, LS, ['leak', 'suspect', 'ok']], run: (n, s) => detectProcessGrowth(processHistory(shapes.steady(16 * KiB), n, s), context()) },
  { name: 'process: leak 4 KiB/s (2.3 MiB/window, under minRise)', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.steady(4 * KiB), n, s), context()) },
  { name: 'process: sawtooth, GC every 60 s, 100 MiB', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.sawtooth(60, 100 * MiB), n, s), context()) },
  { name: 'process: sawtooth, period half a window', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.sawtooth(300, 100 * MiB), n, s), context()) },
  { name: 'process: sawtooth on a 64 KiB/s leak', expected: LS, run: (n, s) => detectProcessGrowth(processHistory(shapes.sum(shapes.sawtooth(60, 40 * MiB), shapes.steady(64 * KiB)), n, s), context()) },
  { name: 'process: warm-up 200 MiB (tau 60 s), judged at 1 window', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.warmUp(200 * MiB, 60), n, s, WINDOW_S), context()) },
  { name: 'process: warm-up 200 MiB (tau 150 s), judged at 2 windows', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.warmUp(200 * MiB, 150), n, s), context()) },
  { name: 'process: warm-up at 1 MiB/s to 300 MiB, then flat', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.capped(MiB, 300 * MiB), n, s, 900), context()) },
  { name: 'process: one step of 50 MiB, mid-window', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.step(900, 50 * MiB), n, s), context()) },
  { name: 'process: staircase, 8 MiB every 60 s', expected: LS, run: (n, s) => detectProcessGrowth(processHistory(shapes.staircase(60, 8 * MiB), n, s), context()) },
  { name: 'process: staircase, 25 MiB every 200 s (3 per window)', expected: LS, run: (n, s) => detectProcessGrowth(processHistory(shapes.staircase(200, 25 * MiB), n, s), context()) },
  { name: 'process: staircase, 40 MiB every 300 s (2 per window: steps)', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.staircase(300, 40 * MiB), n, s), context()) },
  { name: 'process: page cache +1 MiB/s, anon flat', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(() => 0, n, s, 2 * WINDOW_S, shapes.steady(MiB)), context()) },
  { name: 'process: shrinking 64 KiB/s', expected: OK, run: (n, s) => detectProcessGrowth(processHistory(shapes.steady(-64 * KiB), n, s), context()) },
  { name: 'process: just started (half a window)', expected: ['insufficient-data'], run: (n, s) => detectProcessGrowth(processHistory(shapes.steady(MiB), n, s, WINDOW_S / 2), context()) },
  { name: 'vm: guest warm-up to 4 GiB at 20 MiB/s, own flat -> qemu-own', expected: OK, run: (n, s) => detectQemuOwn(vmHistory(shapes.steady(20 * MiB), () => 0, n, s), context()) },
  { name: 'vm: guest warm-up -> guest-growth, host has room', expected: OK, run: (n, s) => detectGuestGrowth(vmHistory(shapes.steady(4 * MiB), () => 0, n, s), context()) },
  // 2 MiB/s: still growing at the end (at 4 MiB/s it reaches its 4 GiB and levels off)
  { name: 'vm: guest growth 2 MiB/s, host MemAvailable 3%', expected: S, run: (n, s) => detectGuestGrowth(vmHistory(shapes.steady(2 * MiB), () => 0, n, s), context({ hostMemAvailableBytes: 2 * GiB })) },
  { name: 'vm: guest growth, cgroup headroom < rest of -m', expected: S, run: (n, s) => detectGuestGrowth(vmHistory(shapes.steady(MiB), () => 0, n, s), context({ cgroupLimitBytes: 6 * GiB, cgroupUsageBytes: 5.5 * GiB })) },
  { name: 'vm: guest growth, same VM judged by qemu-own', expected: OK, run: (n, s) => detectQemuOwn(vmHistory(shapes.steady(4 * MiB), () => 0, n, s), context({ hostMemAvailableBytes: 2 * GiB })) },
  { name: 'vm: QEMU own leak 128 KiB/s while the guest warms up', expected: [L, L, LS], run: (n, s) => detectQemuOwn(vmHistory(shapes.steady(20 * MiB), shapes.steady(128 * KiB), n, s), context()) },
  { name: 'vm: guest-RAM mapping unknown -> qemu-own', expected: ['insufficient-data'], run: (n, s) => detectQemuOwn(vmHistory(() => 0, shapes.steady(MiB), n, s).map((p) => ({ ...p, guestRamKnown: false })), context()) },
  {
    name: 'vm: balloon 512 MiB, guest RAM falls 500 MiB', expected: OK,
    run: (n, s) => detectBalloon(vmHistory(shapes.sum(() => 2 * GiB, (x) => (x >= 1100 ? -500 * MiB : 0)), () => 0, n, s, 4 * GiB,
      (x) => ({ balloonBytes: x >= 1100 && x < 1120 ? 128 * MiB : 0 })), context()),
  },
  {
    name: 'vm: balloon 512 MiB, guest RAM stays', expected: S,
    run: (n, s) => detectBalloon(vmHistory(() => 2 * GiB, () => 0, n, s, 4 * GiB, (x) => ({ balloonBytes: x >= 1100 && x < 1120 ? 128 * MiB : 0 })), context()),
  },
  {
    name: 'vm: balloon 512 MiB, guest touches it again within 30 s', expected: S,
    run: (n, s) => detectBalloon(vmHistory((x) => 2 * GiB - (x >= 1100 && x < 1130 ? 500 * MiB : 0), () => 0, n, s, 4 * GiB,
      (x) => ({ balloonBytes: x >= 1100 && x < 1120 ? 128 * MiB : 0 })), context()),
  },
  {
    name: 'vm: balloon, but the probes lost events', expected: ['insufficient-data'],
    run: (n, s) => detectBalloon(vmHistory(() => 2 * GiB, () => 0, n, s, 4 * GiB, (x) => ({ balloonBytes: x >= 1100 && x < 1120 ? 128 * MiB : 0 })), context({ lostEventsInWindow: 12 })),
  },
  {
    name: 'mapping: mmap 1 MiB/s never unmapped', expected: L, noises: [0, 0.5, 2],
    run: (n, s) => detectMappingGrowth(mappingHistory(MiB, 0, n, s), context()),
  },
  {
    name: 'mapping: 100 MiB/s mapped and unmapped', expected: OK, noises: [0, 0.5, 2],
    run: (n, s) => detectMappingGrowth(mappingHistory(100 * MiB, 100 * MiB, n, s), context()),
  },
  {
    name: 'mapping: leak, but the probes lost events', expected: ['insufficient-data'], noises: [0],
    run: (n, s) => detectMappingGrowth(mappingHistory(MiB, 0, n, s), context({ lostEventsInWindow: 3 })),
  },
  {
    name: 'kernel: SUnreclaim +64 KiB/s', expected: L,
    run: (n, s) => detectKernelMemory(slabHistory(shapes.steady(64 * KiB), n, s), { topCaches: [{ name: 'kmalloc-512', bytes: 40 * MiB, growthBytes: 36 * MiB }] }),
  },
  {
    name: 'kernel: SUnreclaim bursts that come back', expected: OK,
    run: (n, s) => detectKernelMemory(slabHistory(shapes.sawtooth(120, 30 * MiB), n, s), { topCaches: [] }),
  },
];

/** Mapping per 5 s sample at the given rates, plus churn: each sample maps a random
 * extra (|noise| x 8 MiB: thread stacks, big malloc blocks) that the next sample
 * unmaps. */
function mappingHistory(mapPerSec: number, unmapPerSec: number, noise: number, seed: number): VmHistoryPoint[] {
  const n = noiseSource(seed, noise * 8 * MiB);
  let previous = 0;
  return times(2 * WINDOW_S * 1000, STEP_S * 1000).map((t) => {
    const churn = Math.abs(n());
    const point = vmPointAt(t, STEP_S * 1000, { mmapBytes: mapPerSec * STEP_S + churn, munmapBytes: unmapPerSec * STEP_S + previous });
    previous = churn;
    return point;
  });
}

function slabHistory(shape: Shape, noise: number, seed: number) {
  const n = noiseSource(seed, noise / 4); // slab noise is smaller than RSS noise
  return times(2 * WINDOW_S * 1000, STEP_S * 1000).map((t) => hostPointAt(t, STEP_S * 1000, { slabUnreclaimableBytes: 200 * MiB + shape(t / 1000) + n() }));
}

const noiseText = (scenario: Scenario, n: number): string =>
  scenario.noises ? `churn σ ${n * 8} MiB` : n === 0 ? 'none' : `σ ${n / MiB} MiB`;

test('detectors on seeded synthetic series: verdict table', () => {
  const rows: string[][] = [['scenario', 'noise', 'expected', 'got (5 seeds)', 'rate', 'fit']];
  const failures: string[] = [];
  for (const scenario of scenarios) {
    const noises = scenario.noises ?? NOISES;
    noises.forEach((noise, i) => {
      const expected = (Array.isArray(scenario.expected[0]) ? (scenario.expected as Verdict[][])[i] : scenario.expected) as Verdict[];
      const findings = SEEDS.map((seed) => scenario.run(noise, seed));
      const counts = new Map<string, number>();
      for (const f of findings) counts.set(f.verdict, (counts.get(f.verdict) ?? 0) + 1);
      const got = [...counts].map(([v, c]) => (c === SEEDS.length ? v : `${v} x${c}`)).join(', ');
      const rate = findings[0]!.growthBytesPerSec;
      rows.push([scenario.name, noiseText(scenario, noise), expected.join('|'), got,
        `${(rate / KiB).toFixed(1)} KiB/s`, findings[0]!.fit.toFixed(2)]);
      const wrong = findings.filter((f) => !expected.includes(f.verdict));
      if (wrong.length) failures.push(`${scenario.name} @ ${noiseText(scenario, noise)}: ${wrong.length} of ${SEEDS.length} seeds got ${wrong[0]!.verdict}: ${wrong[0]!.message}`);
    });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`\n${rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n')}\n`);
  assert.deepEqual(failures, []);
});

test('a leak finding carries its evidence: rate, window, fit, since, time to the cgroup limit', () => {
  const history = processHistory(shapes.steady(MiB), 0.5 * MiB, 7, 3 * WINDOW_S);
  const f = detectProcessGrowth(history, context({ cgroupLimitBytes: 8 * GiB, cgroupUsageBytes: 2 * GiB }));
  assert.equal(f.verdict, 'leak');
  assert.ok(Math.abs(f.growthBytesPerSec - MiB) < 0.05 * MiB, `rate ${f.growthBytesPerSec}`);
  assert.ok(f.windowMs >= 0.95 * WINDOW_S * 1000 && f.windowMs <= WINDOW_S * 1000);
  assert.ok(f.fit > 0.95);
  // the growth goes back to the start of the 3-window history
  assert.equal(f.sinceMs, history[0]!.timeMs);
  assert.equal(f.limitName, 'cgroup limit');
  assert.equal(f.limitBytes, 8 * GiB);
  assert.ok(Math.abs(f.timeToLimitMs - 6 * 1024 * 1000) < 0.06 * 6 * 1024 * 1000, `time to limit ${f.timeToLimitMs}`);
  assert.match(f.message, /grew 1 MiB\/s for 30 min .*cgroup limit \(8 GiB\) in 1\.71 h/);
});

test('since: a leak that began mid-history is dated from where it began, not from the history start', () => {
  const history = processHistory((s) => Math.max(0, s - 900) * 256 * KiB, 0.25 * MiB, 3, 3 * WINDOW_S);
  const f = detectProcessGrowth(history, context());
  assert.equal(f.verdict, 'leak');
  const beganMs = history[0]!.timeMs + 900_000;
  assert.ok(f.sinceMs >= beganMs - 150_000 && f.sinceMs <= beganMs + 300_000, `since ${(f.sinceMs - history[0]!.timeMs) / 1000} s`);
});

test('guest growth is worded as guest growth, never as a leak, and projects to the VM size', () => {
  const f = detectGuestGrowth(vmHistory(shapes.steady(4 * MiB), () => 0, 0.5 * MiB, 1, 16 * GiB), context({ hostMemAvailableBytes: 2 * GiB }));
  assert.equal(f.verdict, 'suspect');
  assert.match(f.message, /^guest growth, not a QEMU leak/);
  assert.match(f.message, /MemAvailable/);
  assert.ok(f.timeToLimitMs > 0);
});
