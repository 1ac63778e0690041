// Real processes, real bpftrace and /proc: a C program leaking 2 MiB/s with noise
// (transient blocks of 0..4 MiB) is reported as leak or suspect within two windows;
// a GC-like sawtooth (to 64 MiB every 4 s, then everything freed) and a warm-up that
// levels off (64 MiB at 16 MiB/s, then flat) stay ok over the same time.
//
// The verdicts are the CLI's own: `faultline live --json --leak-window 10s` runs from
// source and only its snapshots' findings are read here (a CLI that lost its
// detectors has no findings, and fails).
// The window is 10 s, so the test runs about 25 s after the probes attach.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

const WINDOW_MS = 10_000;
const skip = kernelGate();
const children: ChildProcess[] = [];
let live: LiveRun | null = null;
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await live?.stop();
});

function workload(name: string, args: string[]): ChildProcess {
  const child = spawn(compiledProgram(name), args, { stdio: ['pipe', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

test('leaker: leak or suspect within two windows; sawtooth and warm-up: ok', { skip, timeout: 150_000 }, async (t) => {
  const leaker = workload('leak-steady', ['2048', '4096', '100']);
  const sawtooth = workload('leak-sawtooth', ['64', '4000']);
  const warmup = workload('leak-warmup', ['64', '16']);
  const pids = { leaker: leaker.pid!, sawtooth: sawtooth.pid!, warmup: warmup.pid! };

  live = startLive([
    '--interval', '500ms', '--groups', 'growth', '--top', '0',
    '--leak-window', `${WINDOW_MS / 1000}s`,
    ...Object.values(pids).flatMap((pid) => ['--pid', String(pid)]),
  ]);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  for (const c of [leaker, sawtooth, warmup]) c.stdin!.write('go\n');
  const goMs = Date.now();
  await live.waitFor((s) => s.timeMs >= goMs + 2 * WINDOW_MS + 2000, 60_000, 'two windows of snapshots');
  await live.stop();

  const judged: Snapshot[] = live.snapshots;
  saveCapture(live.snapshots, pids);

  const timeline = (pid: number): { tS: number; row: VmSnapshot }[] =>
    judged.flatMap((s) => s.vms.filter((v) => v.pid === pid).map((row) => ({ tS: (s.timeMs - goMs) / 1000, row })));
  const verdictOf = (row: VmSnapshot): string => {
    const finding = row.findings.find((f) => f.detector === 'process-growth');
    assert.ok(finding, `pid ${row.pid}: no process-growth finding in the CLI's snapshot`);
    return finding.verdict;
  };
  for (const [name, pid] of Object.entries(pids)) {
    const line = timeline(pid).map(({ tS, row }) => `${tS.toFixed(1)}s ${(row.rss.anonBytes / 2 ** 20).toFixed(0)}MiB ${verdictOf(row)}`);
    console.log(`  ${name} (pid ${pid}): ${line.join(', ')}`);
  }

  const flagged = timeline(pids.leaker).find(({ row }) => ['leak', 'suspect'].includes(verdictOf(row)));
  assert.ok(flagged, 'the leaker was never reported as leak or suspect');
  assert.ok(flagged.tS <= (2 * WINDOW_MS) / 1000, `the leaker was first reported ${flagged.tS.toFixed(1)} s after it began, later than two windows`);
  console.log(`  leaker first reported after ${flagged.tS.toFixed(1)} s: ${flagged.row.findings[0]!.message}`);
  const event = judged.flatMap((s) => s.events).find((e) => e.type === 'leak-finding' && e.pid === pids.leaker);
  assert.ok(event, 'no leak-finding event for the leaker');

  for (const name of ['sawtooth', 'warmup'] as const) {
    const rows = timeline(pids[name]);
    const bad = rows.filter(({ row }) => ['leak', 'suspect'].includes(verdictOf(row)) || ['leak', 'suspect'].includes(row.leak.verdict));
    assert.deepEqual(bad.map(({ tS, row }) => `${tS.toFixed(1)}s: ${row.findings.map((f) => f.message).join(' / ')}`), [], `${name} was flagged`);
    assert.equal(verdictOf(rows.at(-1)!.row), 'ok', `${name}'s last verdict`);
    assert.ok(!judged.some((s) => s.events.some((e) => e.type === 'leak-finding' && e.pid === pids[name])), `a leak-finding event for the ${name}`);
  }
});

/** The snapshots of this run, cut to what the detectors read, for re-baselining the
 * real captures in test/detect/fixtures/ (see its README). */
function saveCapture(snapshots: Snapshot[], pids: Record<string, number>): void {
  const dir = `${REPO_ROOT}test/.tmp`;
  mkdirSync(dir, { recursive: true });
  const names = new Map(Object.entries(pids).map(([name, pid]) => [pid, name]));
  const lines = snapshots.map((s) => JSON.stringify({
    seq: s.seq, timeMs: s.timeMs, intervalMs: s.intervalMs,
    host: { memTotalBytes: s.host.memTotalBytes, memAvailableBytes: s.host.memAvailableBytes, slabUnreclaimableBytes: s.host.slabUnreclaimableBytes, psiMemSomeAvg10: s.host.psiMemSomeAvg10 },
    probes: { attached: s.probes.attached, lostEvents: s.probes.lostEvents },
    vms: s.vms.filter((v) => names.has(v.pid)).map((v) => ({
      id: v.id, kind: v.kind, pid: v.pid, comm: v.comm, name: names.get(v.pid), memoryBytes: v.memoryBytes,
      rss: v.rss, growth: v.growth, cgroup: v.cgroup, guestRamStart: v.guestRamStart, guestRamEnd: v.guestRamEnd,
    })),
  }));
  writeFileSync(`${dir}/leak-processes.capture.ndjson`, `${lines.join('\n')}\n`);
}
