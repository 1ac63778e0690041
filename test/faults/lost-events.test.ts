// Lost events are data-quality facts: forced here with a tiny perf ring buffer
// (BPFTRACE_PERF_RB_PAGES=1) and a probe that prints on every page fault (a SYNTHETIC
// variant of faults.bt, test/fixtures/probes-flood/), they must show up in the
// snapshots' probes.lostEvents and as lost-events events naming the group.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelGate } from '../harness/kernel-gate.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { compiledProgram } from '../harness/c-program.js';

const skip = kernelGate();
let live: LiveRun | null = null;
after(async () => {
  await live?.stop();
});

test('lost events appear in snapshots and events', { skip, timeout: 90_000 }, async () => {
  process.env.BPFTRACE_PERF_RB_PAGES = '1';
  try {
    live = startLive(['--interval', '500ms', '--groups', 'faults', '--probes-dir', fileURLToPath(new URL('../fixtures/probes-flood/', import.meta.url))]);
  } finally {
    delete process.env.BPFTRACE_PERF_RB_PAGES;
  }
  await live.waitFor(() => true, 60_000, 'the first snapshot');
  // a burst of page faults: 4 MiB steps, touched at once
  const hog = spawn(compiledProgram('alloc-forever'), ['16', '1', '256'], { stdio: 'ignore' });
  const lossy = await live.waitFor((s) => s.probes.lostEvents > 0, 20_000, 'lost events');
  hog.kill('SIGKILL');
  const event = lossy.events.find((e) => e.type === 'lost-events')!;
  assert.ok(event, 'a lost-events event in the same snapshot');
  assert.equal(event.group, 'faults');
  assert.equal(event.count, lossy.probes.lostEvents);
  assert.match(event.message, /dropped \d+ events of probe group faults/);
  assert.ok(lossy.probes.groups.find((g) => g.group === 'faults')!.lostEvents >= event.count);
});
