// bpftrace never outlives faultline: SIGKILL the CLI (no chance to clean up) and its
// bpftrace child (one for every group: src/probe/combine-programs.ts) must be gone
// within a few seconds, so no probe stays attached. And `faultline doctor` attaches
// every group for real, each alone and all as one program.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { kernelGate } from '../harness/kernel-gate.js';
import { bpftraceArgs, cliCommand, REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import type { DoctorReport } from '../../src/cli/doctor-command.js';
import { parseProbeProgram, tracepointsOf } from '../../src/probe/probe-program.js';
import { probeFile } from '../../src/probe/probe-groups.js';
import { childrenOf, isAlive } from '../harness/processes.js';

const skip = kernelGate();
let live: LiveRun | null = null;
after(async () => {
  await live?.stop();
});

test('SIGKILL faultline: its bpftrace processes die with it', { skip, timeout: 90_000 }, async () => {
  live = startLive(['--interval', '500ms', '--groups', 'faults,reclaim']);
  const first = await live.waitFor(() => true, 60_000, 'the first snapshot');
  const probes = childrenOf(live.pid).filter((c) => c.comm === 'bpftrace');
  assert.equal(probes.length, 1, `expected 1 bpftrace child for both groups, got ${JSON.stringify(childrenOf(live.pid))}`);
  assert.deepEqual(first.probes.groups.map((g) => [g.group, g.sharesProcessWith]), [['faults', ['reclaim']], ['reclaim', ['faults']]]);
  process.kill(live.pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && probes.some((p) => isAlive(p.pid))) await new Promise((r) => setTimeout(r, 50));
  const survivors = probes.filter((p) => isAlive(p.pid));
  for (const p of survivors) process.kill(p.pid, 'SIGKILL');
  assert.deepEqual(survivors, [], 'bpftrace outlived faultline');
});

test('doctor: every probe group attaches on this host', { skip, timeout: 120_000 }, () => {
  const [command, argv] = cliCommand(['doctor', ...bpftraceArgs([])]);
  const r = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 110_000 });
  console.log(r.stdout.replace(/^/gm, '  '));
  assert.equal(r.status, 0, r.stderr);
  for (const group of ['faults', 'kvm', 'reclaim', 'growth']) assert.match(r.stdout, new RegExp(`ok\\s+group ${group}\\s+attaches \\(\\d+ of \\d+ tracepoints\\)`));
  assert.match(r.stdout, /ok\s+one bpftrace\s+faults, kvm, reclaim, growth attach as one program/);
});

test('doctor --json: per group and per tracepoint, every point the probe files name', { skip, timeout: 120_000 }, () => {
  const [command, argv] = cliCommand(['doctor', '--json', ...bpftraceArgs([])]);
  const r = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 110_000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as DoctorReport;
  assert.equal(report.kernel, release());
  assert.deepEqual(report.groups.map((g) => [g.group, g.attached]), [['faults', true], ['kvm', true], ['reclaim', true], ['growth', true]]);
  assert.deepEqual(report.oneProcess, { groups: ['faults', 'kvm', 'reclaim', 'growth'], attached: true, verdict: 'faults, kvm, reclaim, growth attach as one program' });
  for (const g of report.groups) {
    const named = tracepointsOf(parseProbeProgram(g.group, readFileSync(probeFile(g.group as never), 'utf8')));
    const listed = g.points.map((p) => p.point);
    assert.ok(listed.every((tp) => named.includes(tp)) && new Set(listed).size === listed.length, `${g.group}: ${listed.join(' ')}`);
    // every named point is listed, but an alternative name this kernel lacks
    // (kvm_async_pf_doublefault) when the other one attached
    assert.deepEqual(named.filter((tp) => !listed.includes(tp)), g.group === 'kvm' ? ['kvm:kvm_async_pf_doublefault'] : []);
  }
});

test('SIGTERM: faultline detaches and exits 0 within a few seconds, with a final snapshot', { skip, timeout: 90_000 }, async () => {
  live = startLive(['--interval', '500ms', '--groups', 'faults,growth']);
  await live.waitFor(() => true, 60_000, 'the first snapshot');
  const probes = childrenOf(live.pid).filter((c) => c.comm === 'bpftrace');
  assert.equal(probes.length, 1, 'one bpftrace for both groups');
  const t0 = Date.now();
  process.kill(live.pid, 'SIGTERM');
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline && isAlive(live.pid)) await new Promise((r) => setTimeout(r, 50));
  const result = await live.stop();
  assert.deepEqual(result, { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`);
  assert.deepEqual(probes.filter((p) => isAlive(p.pid)), [], 'bpftrace left running');
});
