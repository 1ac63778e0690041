// The groups run as one program in one bpftrace (src/probe/combine-programs.ts). When
// that bpftrace dies, every group it ran goes down and comes back together, in one new
// bpftrace. When bpftrace refuses the one program (here: a SYNTHETIC kvm.bt that no
// bpftrace compiles), faultline runs one bpftrace per group as before: the others
// attach, say why they run alone, and the bad group is left out with bpftrace's error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { bpftraceChildren } from '../harness/processes.js';
import { probeFile } from '../../src/probe/probe-groups.js';

const skip = kernelGate();
const DIR = `/tmp/faultline-probes-one-${process.pid}`;
let live: LiveRun | null = null;
after(async () => {
  await live?.stop();
  rmSync(DIR, { recursive: true, force: true });
});


test('the one bpftrace is killed: its groups go down and restart together in one new bpftrace', { skip, timeout: 120_000 }, async () => {
  live = startLive(['--interval', '500ms', '--groups', 'faults,growth', '--restart-delay', '1s']);
  await live.waitFor(() => true, 60_000, 'the first snapshot');
  const [victim, ...others] = bpftraceChildren(live.pid);
  assert.ok(victim && others.length === 0, 'one bpftrace for both groups');
  process.kill(victim, 'SIGKILL');
  const down = await live.waitFor((s) => ['faults', 'growth'].every((g) => s.events.some((e) => e.type === 'probe-error' && e.group === g)), 10_000, 'a probe-error event for each group');
  assert.deepEqual(down.probes.attached, [], 'both groups down in the probe-error snapshot');
  for (const g of down.probes.groups) assert.match(g.error, /exited \(signal SIGKILL\); faults, growth share this bpftrace and restart together/);
  const back = await live.waitFor((s) => ['faults', 'growth'].every((g) => s.events.some((e) => e.type === 'probe-restart' && e.group === g)), 60_000, 'a probe-restart event for each group');
  assert.deepEqual([...back.probes.attached].sort(), ['faults', 'growth']);
  const replacements = bpftraceChildren(live.pid);
  assert.equal(replacements.length, 1, 'one new bpftrace');
  assert.notEqual(replacements[0], victim);
  assert.deepEqual(back.probes.groups.map((g) => g.sharesProcessWith), [['growth'], ['faults']]);
  await live.stop();
  live = null;
});

test('bpftrace refuses the one program: one bpftrace per group, the others say why, the bad group is left out', { skip, timeout: 150_000 }, async () => {
  mkdirSync(DIR, { recursive: true });
  for (const g of ['faults', 'reclaim', 'growth'] as const) copyFileSync(probeFile(g), `${DIR}/${g}.bt`);
  writeFileSync(`${DIR}/kvm.bt`, [
    '// SYNTHETIC: a kvm program bpftrace refuses (a function that does not exist), on a',
    '// tracepoint every kernel has, so the assembly keeps it and only bpftrace says no',
    'BEGIN { @kvm_interval = 1; printf("faultline_ready kvm\\n"); }',
    'tracepoint:sched:sched_process_fork { @kvm_forks[pid] = no_such_function(); }',
    'interval:ms:10 { print(@kvm_forks); clear(@kvm_forks); printf("faultline_tick kvm\\n"); }',
    '',
  ].join('\n'));
  live = startLive(['--interval', '500ms', '--probes-dir', DIR]);
  const first = await live.waitFor(() => true, 120_000, 'the first snapshot');
  assert.deepEqual([...first.probes.attached].sort(), ['faults', 'growth', 'reclaim']);
  const kvm = first.probes.groups.find((g) => g.group === 'kvm')!;
  assert.equal(kvm.attached, false);
  assert.match(kvm.error, /no_such_function/);
  for (const g of first.probes.groups.filter((s) => s.attached)) {
    assert.deepEqual(g.sharesProcessWith, [], `${g.group} runs alone`);
    assert.match(g.ownProcessReason ?? '', /one bpftrace for faults, kvm, reclaim, growth did not start: .*no_such_function/, g.group);
  }
  assert.equal(bpftraceChildren(live.pid).length, 3, 'one bpftrace per attached group');
  assert.ok(live.stderr.some((l) => /one bpftrace per group: .*no_such_function/.test(l)), live.stderr.join('\n'));
  assert.ok(first.vms.length > 0, 'the other groups still report');
});
