// FindingState (src/detect/finding-state.ts): one current verdict per detector, with
// hysteresis checked at its boundaries. Findings are SYNTHETIC (made here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FindingState, isNews, LOWER_AFTER_JUDGMENTS, RAISE_AFTER_JUDGMENTS } from '../../src/detect/finding-state.js';
import { bareFinding } from '../../src/detect/finding.js';
import type { Verdict } from '../../src/model/snapshot.js';

const raw = (verdict: Verdict, sinceMs = 0): ReturnType<typeof bareFinding> => bareFinding('process-growth', verdict, `raw ${verdict}`, { sinceMs });

/** Feeds the verdicts one per second; returns the state after each, as letters. */
function run(verdicts: Verdict[]): { states: string; changes: string[] } {
  const state = new FindingState();
  const letter: Record<Verdict, string> = { 'insufficient-data': '.', ok: 'o', suspect: 's', leak: 'L' };
  const changes: string[] = [];
  const states = verdicts.map((v, i) => {
    const { finding, change } = state.step(raw(v), i * 1000);
    if (change) changes.push(`${i}:${change.from}->${change.to}`);
    return letter[finding.verdict];
  }).join('');
  return { states, changes };
}

test('the constants the header promises', () => {
  assert.equal(RAISE_AFTER_JUDGMENTS, 2);
  assert.equal(LOWER_AFTER_JUDGMENTS, 3);
});

test('insufficient-data -> ok at once; raising needs 2 judgments in a row, 1 is not enough', () => {
  assert.deepEqual(run(['insufficient-data', 'ok', 'suspect', 'ok', 'suspect', 'suspect']), { states: '.oooos', changes: ['1:insufficient-data->ok', '5:ok->suspect'] });
  // straight from not judged to leak: also after two
  assert.deepEqual(run(['insufficient-data', 'leak', 'leak']).states, '..L');
  // suspect then leak counts as two judgments at or above suspect: the latest wins
  assert.deepEqual(run(['ok', 'suspect', 'leak']).states, 'ooL');
});

test('lowering needs 3 judgments in a row; 2 then a flagged one starts over', () => {
  assert.deepEqual(run(['ok', 'leak', 'leak', 'ok', 'ok', 'ok']), { states: 'ooLLLo', changes: ['2:ok->leak', '5:leak->ok'] });
  assert.deepEqual(run(['ok', 'leak', 'leak', 'ok', 'ok', 'leak', 'ok', 'ok']).states, 'ooLLLLLL');
});

test('not judged for a while: a leak stands for 2 judgments and goes on the 3rd, an ok says so at once', () => {
  assert.deepEqual(run(['ok', 'leak', 'leak', 'insufficient-data', 'insufficient-data', 'insufficient-data']).states, 'ooLLL.');
  assert.deepEqual(run(['ok', 'insufficient-data', 'ok']), { states: 'o.o', changes: ['1:ok->insufficient-data', '2:insufficient-data->ok'] });
});

test('the onset of a flagged state is kept while it stays flagged, and events are for changes to or from it', () => {
  const state = new FindingState();
  state.step(raw('ok'), 0);
  state.step(raw('suspect', 5000), 1000);
  const turned = state.step(raw('suspect', 6000), 2000);
  assert.equal(turned.finding.sinceMs, 6000);
  const later = state.step(raw('leak', 9000), 3000);
  const leak = state.step(raw('leak', 9500), 4000);
  assert.equal(later.finding.verdict, 'suspect');
  assert.equal(leak.finding.verdict, 'leak');
  assert.equal(leak.finding.sinceMs, 6000, 'since the state first turned suspect');
  assert.equal(isNews(leak.change), true);
  assert.equal(isNews({ atMs: 0, detector: 'd', from: 'insufficient-data', to: 'ok' }), false);
  assert.equal(isNews({ atMs: 0, detector: 'd', from: 'leak', to: 'ok' }), true);
});

test('lowering also waits a quarter window: 3 lower judgments within it are not enough', () => {
  const state = new FindingState(10_000);
  const at = (v: Verdict, tMs: number): Verdict => state.step(raw(v), tMs).finding.verdict;
  at('ok', 0);
  at('leak', 1000);
  assert.equal(at('leak', 2000), 'leak');
  assert.equal(at('ok', 3000), 'leak');
  assert.equal(at('ok', 4000), 'leak');
  assert.equal(at('ok', 5000), 'leak', '3 judgments, 2 s: held');
  assert.equal(at('ok', 12_999), 'leak', '9.999 s: held');
  assert.equal(at('ok', 13_000), 'ok', 'a quarter window after the first lower one');
});
