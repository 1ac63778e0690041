// The shape corpus: twelve memory shapes whose truth is known, as functions of time
// (seconds -> MiB of anonymous memory), for a 20 s detector window. The unit test
// (shape-corpus.test.ts) feeds them as SYNTHETIC series to the LeakTracker; the
// kernel test (test/kernel/leak-shapes.test.ts) has a real process follow each one
// (test/fixtures/programs/rss-follow.c) under `faultline live`, and reads only what
// the CLI says. docs/heuristics.md has the table of both.
//
// `expected`: the verdicts the row may end with; `neverLeak`/`neverFlagged`: what
// it must never be called on the way (a provisional suspect during the first climb
// of a cycle longer than the window is allowed where neverFlagged is false).
import type { Verdict } from '../../src/model/snapshot.js';

export const CORPUS_WINDOW_S = 20;
/** Long enough for a verdict two windows after a leak began, and one change more. */
export const CORPUS_DURATION_S = 70;

export interface CorpusShape {
  name: string;
  /** MiB above the process's own baseline at time s (seconds from the start) */
  mib: (s: number) => number;
  expected: Verdict[];
  /** must never be leak or suspect */
  neverFlagged: boolean;
}

/** A repeatable jitter in [-1, 1] for time s (no Math.random: same series each run). */
const jitter = (s: number): number => Math.sin(s * 12.9898 + 78.233) * 43758.5453 % 1;
const saw = (s: number, periodS: number): number => (s % periodS) / periodS;

export const CORPUS: CorpusShape[] = [
  { name: 'fast leak', mib: (s) => 3 * s, expected: ['leak'], neverFlagged: false },
  { name: 'slow leak under churn', mib: (s) => 48 * saw(s, 5) + 0.75 * s, expected: ['leak', 'suspect'], neverFlagged: false },
  { name: 'sawtooth, short period', mib: (s) => 64 * saw(s, 4), expected: ['ok'], neverFlagged: true },
  { name: 'sawtooth, period longer than the window', mib: (s) => 64 * saw(s, 32), expected: ['ok'], neverFlagged: false },
  { name: 'plateau', mib: () => 64, expected: ['ok'], neverFlagged: true },
  { name: 'step, then flat', mib: (s) => (s >= 12 ? 64 : 8), expected: ['ok'], neverFlagged: true },
  // tau 3 s: a window that starts 10 s in or later sees its tail add under
  // minRiseBytes (4 MiB); earlier ones hold its steep start (levelled-off). With tau 5 s
  // (a quarter window) the real run once called its tail, ~6 MiB in 1 MiB steps over a
  // window, a provisional suspect at 34 s: docs/heuristics.md, "Shape corpus" limits
  { name: 'warm-up cache', mib: (s) => 96 * (1 - Math.exp(-s / 3)), expected: ['ok'], neverFlagged: true },
  { name: 'garbage-collected heap', mib: (s) => 16 + 48 * saw(s, 6), expected: ['ok'], neverFlagged: true },
  { name: 'periodic batch job', mib: (s) => (s % 15 < 5 ? 80 : 8), expected: ['ok'], neverFlagged: true },
  { name: 'leak with occasional frees', mib: (s) => 2 * s - 8 * Math.floor(s / 7), expected: ['leak'], neverFlagged: false },
  { name: 'noisy flat', mib: (s) => 64 + 6 * jitter(s), expected: ['ok'], neverFlagged: true },
  { name: 'fragmentation (RSS climbs ever slower)', mib: (s) => 24 * Math.log2(1 + s / 2), expected: ['leak', 'suspect'], neverFlagged: false },
];
