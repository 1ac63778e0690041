// Every pinned process that ends gets its exit in its last row (code or signal, and
// its last faults from the kernel's totals at exit), even when it ends right before a
// snapshot reads /proc: the probe's exit line can reach faultline a few ms after the
// process is reaped and gone from /proc (src/collect/exit-line-wait.ts). 24 pinned
// `sleep`s, older than an interval, are killed one per interval at the moment the
// snapshots come (their phase learnt from the first ones), a few ms before to a few
// after, so some die inside that window.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelGate } from '../harness/kernel-gate.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';

const skip = kernelGate();
const INTERVAL_MS = 500;
const SLEEPERS = 24;
let live: LiveRun | null = null;
const sleepers: ChildProcess[] = [];

after(async () => {
  for (const s of sleepers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  await live?.stop();
});

test('pinned processes killed at the moment of a snapshot: each last row has its signal and its faults at exit', { skip, timeout: 120_000 }, async (t) => {
  for (let i = 0; i < SLEEPERS; i++) sleepers.push(spawn('/bin/sleep', ['300'], { stdio: 'ignore' }));
  live = startLive(['--interval', `${INTERVAL_MS}ms`, '--groups', 'faults', ...sleepers.flatMap((s) => ['--pid', String(s.pid)])]);
  await live.waitFor((_, all) => all.length >= 6, 60_000, 'six snapshots (probes attached)');
  // when the snapshots come, within the interval (their time is the tick's start)
  const phases = live.snapshots.slice(-5).map((s) => s.timeMs % INTERVAL_MS).sort((a, b) => a - b);
  const phaseMs = phases[2]!;
  t.diagnostic(`snapshots at ${phases.join(', ')} ms into the interval`);
  const offsetsMs: number[] = [];
  for (let i = 0; i < SLEEPERS; i++) {
    const offsetMs = (i % 8) - 6; // -6 .. +1 ms around the snapshot's start
    const waitMs = (((phaseMs + offsetMs - (Date.now() % INTERVAL_MS)) % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS;
    await sleep(waitMs < 50 ? waitMs + INTERVAL_MS : waitMs);
    const gone = new Promise((resolve) => sleepers[i]!.on('exit', resolve));
    offsetsMs.push(Date.now() % INTERVAL_MS - phaseMs);
    sleepers[i]!.kill('SIGTERM');
    await gone;
  }
  t.diagnostic(`killed at ${offsetsMs.join(', ')} ms from the snapshots' start`);
  const pids = sleepers.map((s) => s.pid!);
  await live.waitFor((_, all) => pids.every((pid) => all.some((s) => s.vms.some((v) => v.pid === pid && v.exit))), 10_000, 'a last row for each');
  const lastRows = pids.map((pid) => live!.snapshots.flatMap((s) => s.vms).find((v) => v.pid === pid && v.exit)!);
  const without = lastRows.filter((v) => !v.exit!.faultsAtExit || v.exit!.signal !== 15);
  t.diagnostic(`last rows without their exit: ${without.length} of ${lastRows.length}${without.map((v) => ` (pid ${v.pid}: ${JSON.stringify(v.exit)})`).join('')}`);
  assert.equal(without.length, 0, 'every last row has its exit: killed by SIGTERM, faults at exit');
  for (const v of lastRows) assert.ok(v.faults.minor >= 0 && v.faults.minor < 100, `an idle sleep's last faults: ${v.faults.minor}`);
});
