// The detectors on real captures (test/detect/fixtures/, made by the kernel tests):
// the same LeakTracker the collector runs, a 10 s window. Prints each row's verdict
// timeline (one letter per snapshot: . not judged, o ok, s suspect, L leak) so a
// re-baselined capture shows what changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeakTracker } from '../../src/detect/run-detectors.js';
import type { Snapshot, Verdict, VmSnapshot } from '../../src/model/snapshot.js';
import { loadCapture } from './capture.js';

const LETTER: Record<Verdict | '', string> = { '': ' ', 'insufficient-data': '.', ok: 'o', suspect: 's', leak: 'L' };

function replay(file: string): Snapshot[] {
  const tracker = new LeakTracker({ leakWindowMs: 10_000 });
  return loadCapture(new URL(`fixtures/${file}`, import.meta.url)).map((s) => tracker.annotate(s));
}

function timeline(snapshots: Snapshot[], name: string, detector: string): string {
  return snapshots.map((s) => {
    const row = s.vms.find((v) => v.name === name);
    return row ? LETTER[row.findings.find((f) => f.detector === detector)?.verdict ?? ''] : ' ';
  }).join('');
}

const rowsOf = (snapshots: Snapshot[], name: string): { tMs: number; row: VmSnapshot }[] =>
  snapshots.flatMap((s) => s.vms.filter((v) => v.name === name).map((row) => ({ tMs: s.timeMs, row })));

test('real processes: the leaker is a leak within two windows; sawtooth and warm-up stay ok', () => {
  const snapshots = replay('real-leak-processes-6.18.ndjson');
  for (const name of ['leaker', 'sawtooth', 'warmup']) console.log(`  ${name.padEnd(9)} process-growth ${timeline(snapshots, name, 'process-growth')}`);
  const start = snapshots[0]!.timeMs;
  const leak = rowsOf(snapshots, 'leaker').find(({ row }) => row.leak.verdict === 'leak');
  assert.ok(leak && leak.tMs - start <= 20_000, 'leaker not a leak within two windows');
  for (const name of ['sawtooth', 'warmup']) {
    const verdicts = rowsOf(snapshots, name).map(({ row }) => row.leak.verdict);
    assert.ok(verdicts.every((v) => v === 'ok' || v === 'insufficient-data'), `${name}: ${verdicts.join(',')}`);
  }
  // one event per change: suspect (provisional, one window of growth), then leak
  const events = snapshots.flatMap((s) => s.events).filter((e) => e.type === 'leak-finding');
  assert.deepEqual(events.map((e) => e.message.match(/\) (\w+):/)?.[1]), ['suspect', 'leak'], events.map((e) => e.message).join('\n'));
  assert.ok(events.every((e) => /^leak-steady/.test(e.comm) && e.group === 'process-growth'));
});

test('real QEMU guest filling its RAM: guest growth (suspect while overcommitted), never a QEMU leak; balloon ok', () => {
  const snapshots = replay('real-qemu-guest-fill-6.18.ndjson');
  const name = snapshots.find((s) => s.vms.length)!.vms[0]!.name;
  for (const d of ['qemu-own', 'guest-growth', 'balloon', 'mapping-growth']) console.log(`  ${d.padEnd(14)} ${timeline(snapshots, name, d)}`);
  const rows = rowsOf(snapshots, name).map(({ row }) => row);
  const verdicts = (d: string): string[] => rows.map((r) => r.findings.find((f) => f.detector === d)!.verdict);
  assert.ok(verdicts('qemu-own').every((v) => v === 'ok' || v === 'insufficient-data'));
  assert.ok(rows.every((r) => r.leak.verdict !== 'leak' && r.leak.verdict !== 'suspect'));
  assert.ok(verdicts('guest-growth').includes('suspect'));
  assert.equal(verdicts('guest-growth').at(-1), 'ok');
  assert.equal(verdicts('balloon').at(-1), 'ok');
  assert.match(rows.at(-1)!.findings.find((f) => f.detector === 'balloon')!.message, /the host got it back/);
});
