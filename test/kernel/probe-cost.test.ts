// Per-program BPF cost (src/probe/probe-cost.ts): the parsers on captured bpftool
// output, then real bpftrace on the real kernel: with kernel.bpf_stats_enabled turned
// on for the test (and put back after), the faults probe's programs are found through
// its bpftrace pid and cost a plausible number of ns per event while a process faults.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { BpftraceRunner } from '../../src/probe/bpftrace-runner.js';
import { probeEnv, readBpftraceVersion } from '../../src/probe/bpftrace-version.js';
import { probeArgs, probeFile } from '../../src/probe/probe-groups.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import {
  BPF_STATS_SYSCTL, BpfStats, ProbeCostReader, groupOfProgram, ownProcess, parsePerfShow, parseProgShow, probeCosts, type CostSample,
} from '../../src/probe/probe-cost.js';

// Captured on the dev machine (bpftool v7.1.0, kernel 6.18.44, bpftrace 0.17.0), one
// entry of each kind kept; `pids` is absent from this bpftool's prog show.
const PROG_SHOW = JSON.stringify([
  { id: 3464, type: 'tracepoint', name: 'page_fault_user', tag: 'c0b1a85fb75dc74b', gpl_compatible: true, run_time_ns: 75145691, run_cnt: 653986, loaded_at: 1795680666, uid: 0, bytes_xlated: 240, jited: true, bytes_jited: 146, bytes_memlock: 4096, map_ids: [1974] },
  { id: 3308, type: 'tracepoint', name: 'page_fault_user', tag: 'bab8f53cf3edbac9', gpl_compatible: true, loaded_at: 1795680618, uid: 0, bytes_xlated: 520, jited: true, bytes_jited: 309, bytes_memlock: 4096, map_ids: [1887, 1886] },
]);
const PERF_SHOW = JSON.stringify([
  { pid: 10678, fd: 11, prog_id: 3308, fd_type: 'tracepoint', tracepoint: 'page_fault_user' },
  { pid: 9830, fd: 12, prog_id: 3464, fd_type: 'tracepoint', tracepoint: 'sys_enter_mmap' },
  { pid: 9830, fd: 13, prog_id: 9999, fd_type: 'uprobe', filename: '/usr/bin/bpftrace', offset: 1234 },
]);

test('bpftool prog show / perf show parse; stats absent while bpf_stats is off read as 0', () => {
  const programs = parseProgShow(PROG_SHOW);
  assert.deepEqual(programs.get(3464), { id: 3464, name: 'page_fault_user', runTimeNs: 75145691, runCount: 653986 });
  assert.deepEqual(programs.get(3308), { id: 3308, name: 'page_fault_user', runTimeNs: 0, runCount: 0 });
  assert.deepEqual(parsePerfShow(PERF_SHOW), [
    { pid: 10678, progId: 3308, kind: 'tracepoint', target: 'page_fault_user' },
    { pid: 9830, progId: 3464, kind: 'tracepoint', target: 'sys_enter_mmap' },
    { pid: 9830, progId: 9999, kind: 'uprobe', target: '/usr/bin/bpftrace' },
  ]);
  assert.deepEqual(parseProgShow(''), new Map());
  assert.throws(() => parsePerfShow('{}'), /not a JSON array/);
});

test('costs between two samples: per group through the owner pid, deltas, lifetime average when idle', () => {
  const sample = (timeMs: number, runs: [number, number, number][]): CostSample => ({
    timeMs,
    programs: new Map(runs.map(([id, runTimeNs, runCount]) => [id, { id, name: 'x', runTimeNs, runCount }])),
    attachments: [
      { pid: 1, progId: 10, kind: 'tracepoint', target: 'page_fault_user' },
      { pid: 1, progId: 11, kind: 'tracepoint', target: 'page_fault_kernel' },
      { pid: 1, progId: 12, kind: 'uprobe', target: '/usr/bin/bpftrace' },
      { pid: 2, progId: 20, kind: 'tracepoint', target: 'kvm_exit' },
      { pid: 99, progId: 30, kind: 'tracepoint', target: 'page_fault_user' }, // not ours
    ],
  });
  const before = sample(1000, [[10, 1000, 10], [11, 500, 5], [12, 9, 1], [20, 0, 0], [30, 1, 1]]);
  const now = sample(3000, [[10, 71000, 1010], [11, 500, 5], [12, 9, 1], [20, 0, 0], [30, 1, 1]]);
  assert.deepEqual(probeCosts(before, now, new Map([[1, ownProcess('faults')], [2, ownProcess('kvm')]])), [
    { group: 'faults', program: 'tracepoint:page_fault_kernel', nsPerEvent: 100, eventsPerSec: 0 },
    { group: 'faults', program: 'tracepoint:page_fault_user', nsPerEvent: 70, eventsPerSec: 500 },
    { group: 'kvm', program: 'tracepoint:kvm_exit', nsPerEvent: 0, eventsPerSec: 0 },
  ]);
  // first read: lifetime averages, no rate yet
  assert.deepEqual(probeCosts(null, now, new Map([[1, ownProcess('faults')]]))[1], { group: 'faults', program: 'tracepoint:page_fault_user', nsPerEvent: 70.3, eventsPerSec: 0 });
});

test('one bpftrace for several groups: each program to its group by target, and by load order where two groups share one', () => {
  const programs = {
    groups: ['faults', 'growth'],
    groupsByTarget: new Map([['page_fault_user', ['faults']], ['sched_process_exit', ['faults', 'growth']], ['sys_enter_mmap', ['growth']]]),
  };
  const sample: CostSample = {
    timeMs: 1000,
    // ns per run = the program id, so which program a row is shows in it
    programs: new Map([10, 15, 12, 20].map((id) => [id, { id, name: 'x', runTimeNs: id * id, runCount: id }])),
    attachments: [
      { pid: 7, progId: 10, kind: 'tracepoint', target: 'page_fault_user' },
      // listed out of load order: the lower program id was loaded first (faults' block)
      { pid: 7, progId: 15, kind: 'tracepoint', target: 'sched_process_exit' },
      { pid: 7, progId: 12, kind: 'tracepoint', target: 'sched_process_exit' },
      { pid: 7, progId: 20, kind: 'tracepoint', target: 'sys_enter_mmap' },
    ],
  };
  const costs = probeCosts(null, sample, new Map([[7, programs]]));
  assert.deepEqual(costs.map((c) => [c.group, c.program, c.nsPerEvent]), [
    ['faults', 'tracepoint:page_fault_user', 10],
    ['faults', 'tracepoint:sched_process_exit', 12],
    ['growth', 'tracepoint:sched_process_exit', 15],
    ['growth', 'tracepoint:sys_enter_mmap', 20],
  ]);
  // a program more than the blocks say: not known whose, and it says so
  assert.equal(groupOfProgram(programs, 'sched_process_exit', 2, 3), 'faults+growth');
  assert.equal(groupOfProgram(programs, 'page_fault_user', 0, 1), 'faults');
  assert.equal(groupOfProgram(ownProcess('kvm'), 'anything', 3, 9), 'kvm');
});

const skip = kernelGate();
let runner: BpftraceRunner | null = null;
let workload: ChildProcess | null = null;
let live: LiveRun | null = null;
const stats = new BpfStats();
const statsBefore = skip ? '' : readFileSync(BPF_STATS_SYSCTL, 'utf8').trim();
after(async () => {
  await stats.restore();
  if (workload?.pid && workload.exitCode === null) process.kill(workload.pid, 'SIGKILL');
  await runner?.stop();
  await live?.stop();
});

test('the faults probe costs a plausible ns per event while a process faults; bpf_stats goes back after', { skip, timeout: 120_000 }, async () => {
  const version = await readBpftraceVersion('bpftrace');
  runner = new BpftraceRunner({ groups: ['faults'], programPath: probeFile('faults'), args: probeArgs(1000, 10_000_000), env: probeEnv(version), onBatch: () => {} });
  await runner.start();
  await stats.enable();
  assert.equal(readFileSync(BPF_STATS_SYSCTL, 'utf8').trim(), '1');
  const reader = new ProbeCostReader();
  const owners = new Map([[runner.pid!, ownProcess('faults')]]);
  await reader.costs(owners);

  const pages = 32768; // 128 MiB of fresh 4 KiB pages
  workload = spawn(compiledProgram('touch-pages'), [String(pages)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: workload.stdout! })[Symbol.asyncIterator]();
  await lines.next(); // ready
  workload.stdin!.write('go\n');
  await lines.next(); // done
  const costs = await reader.costs(owners);
  workload.stdin!.end();
  await stats.restore();
  assert.equal(readFileSync(BPF_STATS_SYSCTL, 'utf8').trim(), statsBefore, 'bpf_stats_enabled is back to what it was');

  console.log(`  costs: ${JSON.stringify(costs)}`);
  // the exit program shows when some process on the host ended meanwhile (not always)
  assert.deepEqual(costs.map((c) => c.program).filter((p) => p !== 'tracepoint:sched_process_exit'), ['tracepoint:mm_filemap_fault', 'tracepoint:page_fault_kernel', 'tracepoint:page_fault_user']);
  const user = costs.find((c) => c.program === 'tracepoint:page_fault_user')!;
  assert.equal(user.group, 'faults');
  assert.ok(user.eventsPerSec >= 1000, `only ${user.eventsPerSec} user faults/s while touching ${pages} pages`);
  assert.ok(user.nsPerEvent > 5 && user.nsPerEvent < 20_000, `implausible ${user.nsPerEvent} ns per user fault`);
});

test('faultline live --probe-cost puts each program\'s cost in the snapshots, and bpf_stats back at exit', { skip, timeout: 120_000 }, async () => {
  const statsAtStart = readFileSync(BPF_STATS_SYSCTL, 'utf8').trim();
  live = startLive(['--interval', '1s', '--groups', 'faults', '--probe-cost']);
  // something on the host always faults: wait for a snapshot whose costs show it
  const snapshot = await live.waitFor((s) => s.probes.costs.some((c) => c.program === 'tracepoint:page_fault_user' && c.eventsPerSec > 0), 90_000, 'a snapshot with the user-fault program\'s cost');
  assert.equal(readFileSync(BPF_STATS_SYSCTL, 'utf8').trim(), '1');
  const user = snapshot.probes.costs.find((c) => c.program === 'tracepoint:page_fault_user')!;
  assert.equal(user.group, 'faults');
  assert.ok(user.nsPerEvent > 0 && user.nsPerEvent < 100_000, `implausible ${user.nsPerEvent} ns per event`);
  const exit = await live.stop();
  assert.equal(exit.code, 0);
  assert.equal(readFileSync(BPF_STATS_SYSCTL, 'utf8').trim(), statsAtStart, 'bpf_stats_enabled is back to what it was');
});
