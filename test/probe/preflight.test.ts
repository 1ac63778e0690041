// What stops probes from attaching, one clear error each, in the order a user fixes
// them. Pure: the host checks are given, not read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockingProblem, parseLockdown, type HostChecks } from '../../src/probe/preflight.js';
import { parseBpftraceVersion } from '../../src/probe/bpftrace-version.js';

const OK: HostChecks = {
  isRoot: true, bpftracePath: '/usr/bin/bpftrace', bpftraceVersion: { text: '0.17.0', major: 0, minor: 17 },
  tracefsPath: '/sys/kernel/tracing', hasBtf: true, lockdown: 'none',
};

test('a host that has everything has no problem', () => {
  assert.equal(blockingProblem(OK), null);
  assert.equal(blockingProblem({ ...OK, bpftraceVersion: { text: '0.24.1', major: 0, minor: 24 } }), null);
});

test('each missing piece: its code and what to do', () => {
  const cases: Array<[Partial<HostChecks>, string, RegExp]> = [
    [{ bpftracePath: null, bpftraceVersion: null }, 'E_NO_BPFTRACE', /apt-get install bpftrace/],
    [{ bpftraceVersion: { text: '0.16.0', major: 0, minor: 16 } }, 'E_OLD_BPFTRACE', /newer bpftrace/],
    [{ isRoot: false }, 'E_NOT_ROOT', /sudo faultline live/],
    [{ tracefsPath: null }, 'E_NO_TRACEFS', /mount -t tracefs tracefs \/sys\/kernel\/tracing/],
    [{ lockdown: 'confidentiality' }, 'E_LOCKDOWN', /lockdown/],
  ];
  for (const [change, code, hint] of cases) {
    const problem = blockingProblem({ ...OK, ...change });
    assert.equal(problem?.code, code, JSON.stringify(change));
    assert.match(problem!.hint, hint);
  }
});

test('lockdown and version strings as the kernel and bpftrace print them', () => {
  assert.equal(parseLockdown('none [integrity] confidentiality\n'), 'integrity');
  assert.equal(parseLockdown('[none] integrity confidentiality'), 'none');
  assert.deepEqual(parseBpftraceVersion('bpftrace v0.17.0'), { text: '0.17.0', major: 0, minor: 17 });
  assert.deepEqual(parseBpftraceVersion('bpftrace v0.24.1-2-gabc'), { text: '0.24.1', major: 0, minor: 24 });
  assert.equal(parseBpftraceVersion('no version here'), null);
});
