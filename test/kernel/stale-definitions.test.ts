// A uprobe definition a gone tracer left in tracefs (named ..._bcc_PID, the way bcc and
// bpftrace 0.17 name theirs, PID a real process that has exited) is removed by the next
// `faultline live`, which says so on stderr; one whose owner lives is left alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { elfFunctions } from '../../src/leaks/elf-symbols.js';

const skip = kernelGate();
const TRACEFS = '/sys/kernel/tracing';
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const uprobeEvents = (): string => readFileSync(`${TRACEFS}/uprobe_events`, 'utf8');
let living: ChildProcess | null = null;
const made: string[] = [];
after(() => {
  living?.kill('SIGKILL');
  for (const name of made) {
    try {
      appendFileSync(`${TRACEFS}/uprobe_events`, `-:uprobes/${name}\n`);
    } catch {
      // removed already
    }
  }
});

test('faultline live removes the definitions of gone tracers, and only those', { skip: skip || (!existsSync(LIBC) && 'no Debian glibc path here'), timeout: 120_000 }, async () => {
  const munmap = elfFunctions(readFileSync(LIBC)).find((f) => f.name === 'munmap')!;
  const define = (ownerPid: number): string => {
    const name = `p__faultline_stale_test_${munmap.offset.toString(16)}_1_bcc_${ownerPid}`;
    appendFileSync(`${TRACEFS}/uprobe_events`, `p:uprobes/${name} ${LIBC}:0x${munmap.offset.toString(16)}\n`);
    made.push(name);
    return name;
  };
  const gonePid = Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
  assert.ok(!existsSync(`/proc/${gonePid}`));
  living = spawn('/bin/sleep', ['120'], { stdio: 'ignore' });
  const stale = define(gonePid);
  const kept = define(living.pid!);
  assert.ok(uprobeEvents().includes(stale) && uprobeEvents().includes(kept));

  const [command, args] = cliCommand(['live', '--json', '--duration', '2s', '--groups', 'faults', '--interval', '1s']);
  const run = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /faultline: removed [1-9]\d* uprobe\/kprobe definition\(s\) left by exited tracers \(uprobes\//);
  assert.ok(!uprobeEvents().includes(stale), 'the gone tracer\'s definition is removed');
  assert.ok(uprobeEvents().includes(kept), 'a living owner\'s definition stays');
});
