// The supervisor against fake bpftrace executables (test/fixtures/fake-bpftrace/,
// SYNTHETIC): batches, lost events, bad lines, stderr evidence, attach failure, and a
// child that ignores SIGINT. Real bpftrace is covered by test/kernel/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { BpftraceRunner, mallocEnv } from '../../src/probe/bpftrace-runner.js';
import { readFileSync } from 'node:fs';
import { errorLine, isKnownHarmless } from '../../src/probe/bpftrace-stderr.js';
import { FaultlineError } from '../../src/model/errors.js';
import type { ProbeBatch } from '../../src/parse/probe-batch.js';
import { isAlive } from '../harness/processes.js';

const fake = (name: string): string => fileURLToPath(new URL(`../fixtures/fake-bpftrace/${name}`, import.meta.url));

test('batches per tick, lost events and bad lines counted, exit dump flushed on stop', async () => {
  const batches: ProbeBatch[] = [];
  const runner = new BpftraceRunner({ groups: ['faults'], programPath: 'x.bt', args: ['1000'], bpftracePath: fake('ok.sh'), onBatch: (b) => batches.push(b) });
  await runner.start();
  const pid = runner.pid!;
  for (let i = 0; i < 100 && batches.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await runner.stop();
  assert.equal(isAlive(pid), false);
  assert.equal(batches.length, 3);
  assert.deepEqual(batches[0]!.maps.get('@fault_user'), { keyWidth: 1, keys: [42, 43], values: [10, 5] });
  assert.equal(batches[1]!.lostEvents, 17);
  assert.equal(batches[2]!.complete, false, 'the dump at exit is not a whole interval');
  assert.deepEqual(batches[2]!.maps.get('@fault_user'), { keyWidth: 1, keys: [42], values: [1] });
  assert.equal(runner.lostEvents, 17);
  assert.equal(runner.badLines, 1);
  assert.deepEqual(runner.evidence(), [], 'the RLIMIT_MEMLOCK line is not evidence of anything');
});

test('attach failure: E_PROBE_ATTACH with bpftrace\'s own error as evidence', async () => {
  const runner = new BpftraceRunner({ groups: ['kvm'], programPath: 'kvm.bt', args: [], bpftracePath: fake('attach-fails.sh'), onBatch: () => {} });
  await assert.rejects(runner.start(), (e: unknown) => {
    assert.ok(e instanceof FaultlineError);
    assert.equal(e.code, 'E_PROBE_ATTACH');
    assert.match(e.message, /probe group "kvm" did not attach: bpftrace ended with exit code 1/);
    assert.deepEqual(e.evidence, ['probes/kvm.bt:12:1-30: ERROR: tracepoint not found: kvm:kvm_page_fault']);
    return true;
  });
});

test('a child that ignores SIGINT is killed after the bounded wait', async () => {
  const runner = new BpftraceRunner({ groups: ['faults'], programPath: 'x.bt', args: [], bpftracePath: fake('ignores-sigint.sh'), onBatch: () => {} });
  await runner.start();
  const pid = runner.pid!;
  const t0 = Date.now();
  await runner.stop(600);
  assert.equal(isAlive(pid), false);
  assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
});

test('an unexpected exit is reported once, with the group', async () => {
  const errors: FaultlineError[] = [];
  const runner = new BpftraceRunner({ groups: ['faults'], programPath: 'x.bt', args: [], bpftracePath: fake('ok.sh'), onBatch: () => {}, onUnexpectedExit: (e) => errors.push(e) });
  await runner.start();
  process.kill(runner.pid!, 'SIGKILL');
  for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'E_PROBE_EXIT');
  assert.match(errors[0]!.message, /"faults" exited \(signal SIGKILL\)/);
  await runner.stop();
});

test('the error line of a compile error, not the marker under its source line', () => {
  // what bpftrace 0.17 printed for the SYNTHETIC kvm.bt of test/faults/one-process.test.ts
  const stderr = [
    'stdin:2:57-74: ERROR: Unknown function: no_such_function',
    'tracepoint:sched:sched_process_fork { @kvm_forks[pid] = no_such_function(); }',
    '                                                        ~~~~~~~~~~~~~~~~',
  ];
  assert.equal(errorLine(stderr), stderr[0]);
  assert.equal(errorLine(['something odd', 'the last word']), 'the last word');
  assert.equal(errorLine([]), undefined);
});

test('harmless stderr', () => {
  assert.ok(isKnownHarmless('ERROR: Unknown error -1: couldn\'t set RLIMIT_MEMLOCK for bpftrace.'));
  assert.ok(!isKnownHarmless('ERROR: tracepoint not found'));
});

test("bpftrace runs with glibc's malloc trim threshold set (its compile memory given back), unless the user set one", async () => {
  assert.deepEqual(mallocEnv({}), { MALLOC_TRIM_THRESHOLD_: '0' });
  assert.deepEqual(mallocEnv({ MALLOC_TRIM_THRESHOLD_: '131072' }), {}, "the user's value is kept (inherited)");
  const runner = new BpftraceRunner({ groups: ['faults'], programPath: 'x.bt', args: ['1000'], bpftracePath: fake('ok.sh'), onBatch: () => {} });
  await runner.start();
  try {
    const environ = readFileSync(`/proc/${runner.pid}/environ`, 'utf8').split('\0');
    const expected = process.env.MALLOC_TRIM_THRESHOLD_ === undefined ? 'MALLOC_TRIM_THRESHOLD_=0' : `MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_}`;
    assert.ok(environ.includes(expected), `${expected} in the child's environment`);
    assert.ok(environ.includes('BPFTRACE_NO_USER_SYMBOLS=1'));
  } finally {
    await runner.stop();
  }
});
