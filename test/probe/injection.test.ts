// Nothing a user types is pasted into a bpftrace program: programs are the static
// files in probes/ (assembled for the kernel from their own blocks, nothing added),
// and the only values passed are numbers, validated, as positional parameters.
// Hostile values are refused before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { probeArgs, probeFile, PROBE_GROUPS } from '../../src/probe/probe-groups.js';
import { ProbeSet } from '../../src/probe/probe-set.js';
import { assembleGroup } from '../../src/probe/assemble-group.js';
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

/** A real capture of this kernel's tracepoint formats (test/fixtures/tracefs/). */
const TRACEFS_6_1 = fileURLToPath(new URL('../fixtures/tracefs/real-6.1/', import.meta.url));

test('bpftrace gets the program assembled from the file and numbers, nothing else', async () => {
  const argvFile = `/tmp/faultline-argv-${process.pid}`;
  process.env.FAKE_BPFTRACE_ARGV = argvFile;
  const set = new ProbeSet({
    groups: ['faults'], intervalMs: 750, longStallNs: 5_000_000, tracefsPath: TRACEFS_6_1,
    bpftracePath: fileURLToPath(new URL('../fixtures/fake-bpftrace/record-argv.sh', import.meta.url)),
    bpftraceVersion: { text: '0.17.0', major: 0, minor: 17 }, onBatch: () => {}, onGroupExit: () => {},
  });
  try {
    await set.start();
    const argv = readFileSync(argvFile, 'utf8').split('\0').slice(0, -1);
    const program = (await assembleGroup('faults', TRACEFS_6_1)).text;
    assert.deepEqual(argv, ['-f', 'json', '-e', program, '750', '5000000']);
    // every line of the program is a line of probes/faults.bt: nothing was added
    const fileLines = new Set(readFileSync(probeFile('faults'), 'utf8').split('\n').map((l) => l.trim()));
    for (const line of program.split('\n')) {
      assert.ok(line.trim() === '' || fileLines.has(line.trim()) || fileLines.has(`${line.trim()},`.replace(/,,$/, ',')) || fileLines.has(line.trim().replace(/,$/, '')),
        `program line not in faults.bt: ${line}`);
    }
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
