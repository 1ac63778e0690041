// The shape corpus (shape-corpus.ts) as SYNTHETIC series through the LeakTracker the
// collector runs: 500 ms snapshots, a 20 s window, 70 s. Prints the verdict table
// (docs/heuristics.md "Shape corpus" holds it) and fails on a wrong verdict: a shape
// that ends outside its expected verdicts, a shape that must never be flagged and
// was, a shape not expected to leak that was called a leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeakTracker } from '../../src/detect/run-detectors.js';
import type { Verdict } from '../../src/model/snapshot.js';
import { CORPUS, CORPUS_DURATION_S, CORPUS_WINDOW_S, type CorpusShape } from './shape-corpus.js';
import { snapshotAt, vmRow } from './snapshots.js';
import { MiB } from './synthetic.js';

const INTERVAL_MS = 500;
const LETTER: Record<Verdict | '', string> = { '': ' ', 'insufficient-data': '.', ok: 'o', suspect: 's', leak: 'L' };

export interface ShapeOutcome {
  shape: CorpusShape;
  /** the row's process-growth verdict at each snapshot, with the time (s) */
  verdicts: { tS: number; verdict: Verdict }[];
}

/** First time (s) the verdict is one of `wanted`, -1 if never. */
export const firstTime = (o: ShapeOutcome, wanted: Verdict[]): number => o.verdicts.find((v) => wanted.includes(v.verdict))?.tS ?? -1;

export function outcomeRow(o: ShapeOutcome): string[] {
  const final = o.verdicts.at(-1)?.verdict ?? 'insufficient-data';
  const flagged = firstTime(o, ['leak', 'suspect']);
  const leak = firstTime(o, ['leak']);
  const t = (s: number): string => (s < 0 ? '-' : `${s.toFixed(1)} s`);
  return [o.shape.name, o.shape.expected.join('|'), final, t(flagged), t(leak), o.verdicts.map((v) => LETTER[v.verdict]).filter((_, i) => i % 2 === 1).join('')];
}

export function outcomeTable(outcomes: ShapeOutcome[]): string {
  const rows = [['shape', 'expected', 'final', 'first flagged', 'first leak', 'timeline (1 letter/s: . not judged, o ok, s suspect, L leak)'], ...outcomes.map(outcomeRow)];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function checkOutcome(o: ShapeOutcome): string[] {
  const problems: string[] = [];
  const final = o.verdicts.at(-1)?.verdict;
  if (!final || !o.shape.expected.includes(final)) problems.push(`${o.shape.name}: ended ${final}, expected ${o.shape.expected.join('|')}`);
  const flagged = o.verdicts.filter((v) => v.verdict === 'leak' || v.verdict === 'suspect');
  if (o.shape.neverFlagged && flagged.length) problems.push(`${o.shape.name}: flagged ${flagged[0]!.verdict} at ${flagged[0]!.tS} s`);
  const leak = o.verdicts.find((v) => v.verdict === 'leak');
  if (!o.shape.expected.includes('leak') && leak) problems.push(`${o.shape.name}: called a leak at ${leak.tS} s`);
  return problems;
}

test('the shape corpus through the LeakTracker: each shape gets its verdict', () => {
  const tracker = new LeakTracker({ leakWindowMs: CORPUS_WINDOW_S * 1000 });
  const outcomes: ShapeOutcome[] = CORPUS.map((shape) => ({ shape, verdicts: [] }));
  for (let k = 0; k * INTERVAL_MS <= CORPUS_DURATION_S * 1000; k++) {
    const tS = (k * INTERVAL_MS) / 1000;
    const rows = CORPUS.map((shape, i) => {
      const anon = (32 + shape.mib(tS)) * MiB;
      return vmRow({ id: `${100 + i}@1`, pid: 100 + i, rss: { ...vmRow({ id: '', pid: 0 }).rss, anonBytes: anon, totalBytes: anon } });
    });
    const snapshot = tracker.annotate(snapshotAt(k, k * INTERVAL_MS, INTERVAL_MS, rows));
    snapshot.vms.forEach((row, i) => outcomes[i]!.verdicts.push({ tS, verdict: row.findings.find((f) => f.detector === 'process-growth')!.verdict }));
  }
  console.log(outcomeTable(outcomes));
  assert.deepEqual(outcomes.flatMap(checkOutcome), []);
});
