// Nothing a user types is pasted into a bpftrace program: programs are the static
// files in probes/, and the only values passed are numbers, validated, as positional
// parameters. Hostile values are refused before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { probeArgs, probeFile, PROBE_GROUPS } from '../../src/probe/probe-groups.js';
import { ProbeSet } from '../../src/probe/probe-set.js';
import { parsePid, parseDurationMs } from '../../src/cli/options.js';

const HOSTILE = ['1; system("id")', '1)', '$(id)', '1e3', '-1', '0x10', 'NaN', '1 2', '"', '}', '1\nBEGIN{}'];

test('probe parameters accept only positive integers', () => {
  assert.deepEqual(probeArgs(1000, 10_000_000), ['1000', '10000000']);
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) assert.throws(() => probeArgs(bad, 1), /positive integer/);
  for (const text of HOSTILE) {
    assert.throws(() => parsePid(text), /not a process id/, text);
    assert.throws(() => parseDurationMs('--interval', text), /not a duration|more than zero/, text);
  }
});

test('bpftrace gets the program file path and numbers, nothing else', async () => {
  const argvFile = `/tmp/faultline-argv-${process.pid}`;
  process.env.FAKE_BPFTRACE_ARGV = argvFile;
  const set = new ProbeSet({
    groups: ['faults'], intervalMs: 750, longStallNs: 5_000_000,
    bpftracePath: fileURLToPath(new URL('../fixtures/fake-bpftrace/record-argv.sh', import.meta.url)),
    bpftraceVersion: { text: '0.17.0', major: 0, minor: 17 }, onBatch: () => {}, onGroupExit: () => {},
  });
  try {
    await set.start();
    const argv = readFileSync(argvFile, 'utf8').trimEnd().split('\n');
    assert.deepEqual(argv, ['-f', 'json', probeFile('faults'), '750', '5000000']);
  } finally {
    await set.stop();
    rmSync(argvFile, { force: true });
    delete process.env.FAKE_BPFTRACE_ARGV;
  }
});

test('probe programs take no string parameters: only $1/$2 used numerically', () => {
  for (const group of PROBE_GROUPS) {
    const text = readFileSync(probeFile(group), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(text, /str\(\s*\$\d/, `${group}.bt reads a positional parameter as a string`);
    assert.doesNotMatch(text, /\bsystem\s*\(/, `${group}.bt calls system()`);
  }
});
