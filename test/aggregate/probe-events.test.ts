import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProbeEventLine } from '../../src/aggregate/probe-events.js';

test('oom_victim with a comm holding spaces and = signs', () => {
  assert.deepEqual(parseProbeEventLine('oom_victim pid=4242 anon_kb=204800 file_kb=12 shmem_kb=0 uid=0 oom_score_adj=-17 comm=CPU 0/KVM x=1'), {
    type: 'oom_victim', pid: 4242, anonKb: 204800, fileKb: 12, shmemKb: 0, uid: 0, oomScoreAdj: -17, comm: 'CPU 0/KVM x=1',
  });
});

test('reclaim_stall direct and memcg; malformed lines are null', () => {
  assert.deepEqual(parseProbeEventLine('reclaim_stall pid=1 tid=2 kind=memcg ns=15000000 comm=hog'), {
    type: 'reclaim_stall', pid: 1, tid: 2, kind: 'memcg', ns: 15000000, comm: 'hog',
  });
  assert.equal(parseProbeEventLine('reclaim_stall pid=1 tid=2 kind=other ns=5 comm=x'), null);
  assert.equal(parseProbeEventLine('reclaim_stall pid=x tid=2 kind=direct ns=5 comm=x'), null);
  assert.equal(parseProbeEventLine('something else'), null);
});

test('oom_victim from a kernel whose mark_victim has the pid only: RSS unknown (-1), not 0', async () => {
  assert.deepEqual(parseProbeEventLine('oom_victim pid=77'), {
    type: 'oom_victim', pid: 77, anonKb: -1, fileKb: -1, shmemKb: -1, uid: -1, oomScoreAdj: -1, comm: '',
  });
  assert.equal(parseProbeEventLine('oom_victim pid=77 anon_kb=x file_kb=1 shmem_kb=0 uid=0 oom_score_adj=0 comm=a'), null);
  const { probeEvents } = await import('../../src/aggregate/events.js');
  const totals = { byPid: new Map(), kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0, mmuNotifier: [], lostByGroup: new Map(), unknownLines: 0, badValues: 0,
    events: [parseProbeEventLine('oom_victim pid=77')!] };
  const [event] = probeEvents(totals, 1000, new Map([[77, { id: '77@5', comm: 'hog' }]]));
  assert.equal(event!.comm, 'hog');
  assert.equal(event!.anonRssBytes, 0);
  assert.match(event!.message, /OOM killer chose hog \(pid 77\); its RSS at the kill is not reported by this kernel/);
});

test('process_exit lines: the wait status decoded into exit code or signal; malformed ones dropped', async () => {
  const { processExitOf } = await import('../../src/aggregate/process-exit.js');
  const { describeExit, shortExit } = await import('../../src/format/exit-words.js');
  // lines as bpftrace 0.17 printed them from probes/faults.bt: exit(3), SIGTERM, SIGKILL, exit(0)
  const exited = parseProbeEventLine('process_exit pid=4049 code=768 min_flt=89 maj_flt=0');
  assert.deepEqual(exited, { type: 'process_exit', pid: 4049, code: 768, minorFaults: 89, majorFaults: 0 });
  const byExit = processExitOf(5, exited as never, false);
  assert.deepEqual(byExit, { atMs: 5, cause: 'exit', code: 3, signal: 0, faultsAtExit: true });
  assert.equal(describeExit(byExit), 'exited with code 3');
  assert.equal(shortExit(byExit), 'exit 3');
  const termed = processExitOf(5, parseProbeEventLine('process_exit pid=4051 code=15 min_flt=81 maj_flt=1') as never, false);
  assert.deepEqual(termed, { atMs: 5, cause: 'signal', code: 0, signal: 15, faultsAtExit: true });
  assert.equal(describeExit(termed), 'killed by SIGTERM');
  // a core dump sets 0x80 on the signal
  assert.equal(describeExit(processExitOf(5, { type: 'process_exit', pid: 1, code: 0x80 | 11, minorFaults: 0, majorFaults: 0 }, false)), 'killed by SIGSEGV');
  assert.equal(describeExit(processExitOf(5, { type: 'process_exit', pid: 1, code: 0, minorFaults: 0, majorFaults: 0 }, false)), 'exited with code 0');
  // the OOM killer's choice wins over the SIGKILL it sent; no line: how is unknown
  const oom = processExitOf(5, parseProbeEventLine('process_exit pid=4095 code=9 min_flt=125 maj_flt=0') as never, true);
  assert.deepEqual(oom, { atMs: 5, cause: 'oom-kill', code: 0, signal: 9, faultsAtExit: true });
  assert.equal(shortExit(oom), 'OOM-killed');
  assert.deepEqual(processExitOf(5, undefined, false), { atMs: 5, cause: 'ended', code: 0, signal: 0, faultsAtExit: false });
  assert.deepEqual(processExitOf(5, undefined, true), { atMs: 5, cause: 'oom-kill', code: 0, signal: 0, faultsAtExit: false });
  for (const bad of ['process_exit pid=1 code=x min_flt=1 maj_flt=0', 'process_exit pid=1 code=0 min_flt=1', 'process_exit pid=-1 code=0 min_flt=1 maj_flt=0']) {
    assert.equal(parseProbeEventLine(bad), null, bad);
  }
});
