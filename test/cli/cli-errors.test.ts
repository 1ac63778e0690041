// The CLI's front door: help, bad input, and a host without bpftrace or root get one
// clear message and a non-zero exit, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';

function run(args: string[], asUser?: string) {
  const [command, argv] = cliCommand(args);
  const full = asUser ? ['/usr/bin/setpriv', ['--reuid', asUser, '--regid', asUser, '--clear-groups', command, ...argv]] as const : [command, argv] as const;
  const r = spawnSync(full[0], [...full[1]], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (text: string): void => assert.doesNotMatch(text, /^\s+at /m, `stack trace printed:\n${text}`);

test('help lists the commands; live --help lists its options', () => {
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /live\s+trace/);
  assert.match(help.stdout, /doctor/);
  const live = run(['live', '--help']);
  assert.equal(live.code, 0);
  for (const flag of ['--json', '--interval', '--duration', '--pid']) assert.match(live.stdout, new RegExp(flag));
});

test('bad input: unknown command, unknown flag, bad values', () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /E_USAGE: unknown command "frobnicate"/],
    [['live', '--bogus'], /E_USAGE: .*--bogus/],
    [['live', '--interval', 'soon'], /E_BAD_VALUE: --interval "soon" is not a duration/],
    [['live', '--pid', '12; rm -rf /'], /E_BAD_VALUE: --pid .* is not a process id/],
    [['live', '--groups', 'faults,nope'], /E_BAD_VALUE: --groups: unknown probe group "nope"/],
    [['live', '--map-keys', '4k'], /E_BAD_VALUE: --map-keys "4k" is not a key count from 64 to 1048576/],
    [['live', '--map-keys', '32'], /E_BAD_VALUE: --map-keys "32" is not a key count/],
  ];
  for (const [args, expected] of cases) {
    const r = run(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, expected);
    noStack(r.stderr);
  }
});

test('no bpftrace: says what to install, exits non-zero', () => {
  const r = run(['live', '--bpftrace', '/nonexistent/bpftrace']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /E_NO_BPFTRACE: bpftrace is not installed/);
  assert.match(r.stderr, /apt-get install bpftrace/);
  noStack(r.stderr);
});

const canDropRoot = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
test('not root: says how to run it, exits non-zero', { skip: canDropRoot ? false : 'SKIPPED: needs root to drop to an unprivileged user' }, () => {
  const r = run(['live', '--bpftrace', '/bin/true'], '65534'); // nobody:nogroup
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /E_NOT_ROOT: faultline needs root/);
  assert.match(r.stderr, /sudo faultline live/);
  noStack(r.stderr);
});
