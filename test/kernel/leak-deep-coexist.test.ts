// `faultline leaks` beside other uprobe tools, its clean-up, and its time bound, with
// real processes and the host's bpftrace (issue 14, points 5 and 6):
//   1. beside a second bpftrace holding libc's calloc (reference-counter offset 0,
//      like ours): both report
//   2. beside a REF_CTR HOLDER: a uprobe on libc's munmap defined through tracefs with
//      reference-counter offset 0x6 and enabled. It reproduces exactly what
//      memleak-bpfcc does (bcc's python binding passes an unset ref_ctr_offset, 0x6
//      here): faultline fails with one line naming the function and the holder, and
//      leaves no definition behind
//   3. the real memleak-bpfcc (skipped when bcc or kernel headers are missing): the
//      same one line names memleak-bpfcc; memleak keeps reporting
//   4. a definition left by a tracer that is gone (a real bpftrace 0.17 failing beside
//      the holder leaves ..._bcc_PID) is removed by the next faultline leaks; after a
//      SIGKILL of faultline and its bpftrace nothing of theirs remains
//   5. node --perf-basic-prof: ends within its --duration plus bounded attach and
//      print time, and names the leaking JS function from /tmp/perf-PID.map
// Heavy on bpftrace 0.17 (uprobes in every process):
//   flock /tmp/faultline-heavy.lock node test/run.mjs test/kernel/leak-deep-coexist.test.ts
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kernelGate, kernelTestsRequired } from '../harness/kernel-gate.js';
import { endWithSigint } from '../harness/processes.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { elfFunctions } from '../../src/leaks/elf-symbols.js';

const skip = kernelGate();
const TRACEFS = '/sys/kernel/tracing';
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const HOLDER = `faultline_test_refctr_holder_${process.pid}`;
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  dropHolder();
});

function track(c: ChildProcess): ChildProcess {
  started.push(c);
  return c;
}
const uprobeEvents = (): string => readFileSync(`${TRACEFS}/uprobe_events`, 'utf8');
const sleeper = (): ChildProcess => track(spawn('sleep', ['300'], { stdio: 'ignore' }));
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function holdMunmapWithRefCtr(): void {
  const munmap = elfFunctions(readFileSync(LIBC)).find((f) => f.name === 'munmap')!;
  appendFileSync(`${TRACEFS}/uprobe_events`, `p:uprobes/${HOLDER} ${LIBC}:0x${munmap.offset.toString(16)}(0x6)\n`);
  writeFileSync(`${TRACEFS}/events/uprobes/${HOLDER}/enable`, '1');
}
function dropHolder(): void {
  if (!existsSync(`${TRACEFS}/events/uprobes/${HOLDER}`)) return;
  writeFileSync(`${TRACEFS}/events/uprobes/${HOLDER}/enable`, '0');
  appendFileSync(`${TRACEFS}/uprobe_events`, `-:uprobes/${HOLDER}\n`);
}

async function leaks(args: string[], onReady?: (child: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const [command, argv] = cliCommand(['leaks', ...args]);
  const t0 = Date.now();
  const child = track(spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (onReady && stderr.includes('tracing malloc/free')) onReady(child), (onReady = undefined);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr, ms: Date.now() - t0 };
}

const wantsLibc = { skip: skip || (!existsSync(LIBC) && 'no Debian glibc path here') };

test('beside a second bpftrace on libc\'s calloc (same reference-counter offset 0): both report', { ...wantsLibc, timeout: 120_000 }, async () => {
  const target = sleeper();
  // one long-lived process calling calloc (bytes(4096): above pymalloc's 512 bytes, zeroed)
  // about a thousand times a second: all the holder needs is a steady count. calloc, not
  // malloc: bpftrace 0.17 puts the holder's uprobes in every glibc process, and with them
  // on malloc every malloc of faultline's own bpftrace (LLVM compiling the program) trapped
  // into the holder: attach took 10 s instead of 1 here (sys time), and longer than the
  // test allowed once in a loaded CI run. Not a loop of execs (each exec of a glibc program
  // makes the kernel write both tracers' breakpoints into the new process) and not a tight
  // loop (one took a core)
  const busy = track(spawn('python3', ['-c', 'import time\nwhile True:\n    bytes(4096)\n    time.sleep(0.001)'], { stdio: 'ignore' }));
  const holder = track(spawn('bpftrace', ['-e', `uprobe:libc:calloc /pid == $1/ { @n = count(); } uretprobe:libc:calloc /pid == $1/ { @r = count(); } interval:ms:500 { print(@r); }`, String(busy.pid)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let holderOut = '';
  holder.stdout!.on('data', (d) => (holderOut += d));
  try {
    await delay(3000);
    const r = await leaks(['--pid', String(target.pid), '--duration', '3s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).durationMs > 0);
    const before = (holderOut.match(/@r: (\d+)/g) ?? []).length;
    await delay(1500);
    const counts = (holderOut.match(/@r: (\d+)/g) ?? []).map((l) => Number(l.slice(4)));
    assert.ok(counts.length > before && counts.at(-1)! > 0, `the other bpftrace kept counting calloc returns: ${holderOut.slice(-200)}`);
  } finally {
    // gone before the next test, pass or fail: the holder's uprobes are in every glibc
    // process while it runs (a failure here once left them, and the next test's
    // memleak-bpfcc did not start within 120 s)
    await endWithSigint(holder, 20_000);
    busy.kill('SIGKILL');
  }
});

test('beside a ref_ctr holder on munmap (what memleak-bpfcc does): one line names it, nothing is left', { ...wantsLibc, timeout: 120_000 }, async () => {
  const target = sleeper();
  holdMunmapWithRefCtr();
  try {
    const before = uprobeEvents();
    const r = await leaks(['--pid', String(target.pid), '--duration', '3s']);
    assert.equal(r.code, 1);
    const line = r.stderr.split('\n').find((l) => l.includes('error E_PROBE_ATTACH')) ?? '';
    assert.match(line, /holds libc's munmap with a different reference-counter offset \(0x6; bpftrace uses 0\)/, r.stderr);
    assert.match(line, new RegExp(`tracefs definition uprobes/${HOLDER} holds munmap`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(uprobeEvents(), before, 'the failed attach left no definition');
  } finally {
    dropHolder();
  }
});

test('the real memleak-bpfcc: faultline names it, memleak keeps reporting', { ...wantsLibc, timeout: 240_000 }, async (t) => {
  // CI installs bcc and the headers it compiles against (test/setup-host.sh): there a
  // missing memleak fails; elsewhere it is a skip that says what to install
  const missing = (why: string): void => (kernelTestsRequired() ? assert.fail(why) : t.skip(why));
  if (spawnSync('sh', ['-c', 'command -v memleak-bpfcc']).status !== 0) return missing('memleak-bpfcc not installed (sudo test/setup-host.sh installs bpfcc-tools and kernel headers)');
  const target = sleeper();
  const memleak = track(spawn('memleak-bpfcc', ['-p', String(target.pid), '2'], { stdio: ['ignore', 'pipe', 'ignore'] }));
  let out = '';
  memleak.stdout!.on('data', (d) => (out += d));
  try {
    // bcc compiles memleak's program first: 5-15 s here, longer on a loaded machine
    for (let i = 0; i < 240 && !out.includes('Top 10 stacks'); i++) await delay(500);
    if (!out.includes('Top 10 stacks')) return missing(`memleak-bpfcc did not start (kernel headers? test/setup-host.sh links them): ${out.slice(-200)}`);
    const before = uprobeEvents();
    const r = await leaks(['--pid', String(target.pid), '--duration', '3s']);
    assert.equal(r.code, 1);
    // which functions clash varies from run to run: memleak's reference-counter offset is
    // stack garbage per call (0x6 for most, sometimes 0 for malloc, which then shares)
    const fn = '(?:malloc|calloc|realloc|memalign|posix_memalign|free|mmap|munmap)';
    assert.match(r.stderr, new RegExp(`error E_PROBE_ATTACH: another uprobe tool holds libc's ${fn}(?:, ${fn})* with a different reference-counter offset .* pid ${memleak.pid} \\(memleak-bpfcc -p ${target.pid} 2\\) holds ${fn}`), r.stderr);
    assert.equal(uprobeEvents(), before, 'the failed attach left no definition');
    const reports = out.split('Top 10 stacks').length;
    await delay(4500);
    assert.ok(out.split('Top 10 stacks').length > reports, 'memleak still reports');
  } finally {
    // gone before the next test, pass or fail: memleak detaches its uprobes on its way
    // out, which takes it a moment (the next test once found it still holding munmap)
    await endWithSigint(memleak, 20_000);
  }
});

test('definitions of a gone tracer are removed by the next faultline leaks; a SIGKILL\'ed run leaves none', { ...wantsLibc, timeout: 120_000 }, async () => {
  const target = sleeper();
  // bpftrace 0.17 beside memleak-bpfcc leaves ..._bcc_BPFTRACEPID (its fallback; see test 3's
  // setup). Here the owner is a real process that ends, its definition named the same way
  // (beside a tracefs holder the kernel refuses the definition itself, so nothing is left)
  const owner = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  const ownerPid = Number(owner.stdout.trim());
  const munmap = elfFunctions(readFileSync(LIBC)).find((f) => f.name === 'munmap')!;
  const name = `p__faultline_test_${munmap.offset.toString(16)}_1_bcc_${ownerPid}`;
  appendFileSync(`${TRACEFS}/uprobe_events`, `p:uprobes/${name} ${LIBC}:0x${munmap.offset.toString(16)}\n`);
  assert.ok(!existsSync(`/proc/${ownerPid}`) && uprobeEvents().includes(name));
  const leftover = [name];
  const r = await leaks(['--pid', String(target.pid), '--duration', '2s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed \d+ uprobe\/kprobe definition\(s\) left by exited tracers/);
  for (const line of leftover) assert.ok(!uprobeEvents().includes(line), `still there: ${line}`);

  let bpftracePid = 0;
  const killed = await leaks(['--pid', String(target.pid), '--duration', '60s'], (child) => {
    bpftracePid = Number(execFileSync('pgrep', ['-P', String(child.pid), 'bpftrace'], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(bpftracePid, 'SIGKILL');
    child.kill('SIGKILL');
  });
  assert.equal(killed.code, null);
  assert.ok(bpftracePid > 0);
  await delay(500);
  assert.ok(!uprobeEvents().includes(`_bcc_${bpftracePid}`), 'nothing of the killed bpftrace in uprobe_events');
  const perf = execFileSync('bpftool', ['perf', 'show', '--json'], { encoding: 'utf8' });
  assert.ok(!JSON.parse(perf).some((p: { pid: number }) => p.pid === bpftracePid), 'no uprobe held by the killed bpftrace');
});

test('node --perf-basic-prof: ends in time and names the JS function that leaks', { skip, timeout: 120_000 }, async () => {
  const script = fileURLToPath(new URL('../fixtures/programs/leak-node.js', import.meta.url));
  // its own folder: node 20 with --perf-basic-prof also writes an isolate-*-v8.log in its cwd
  const cwd = mkdtempSync(join(tmpdir(), 'faultline-perf-node-'));
  const node = track(spawn(process.execPath, ['--perf-basic-prof', script], { cwd, stdio: ['ignore', 'pipe', 'inherit'] }));
  await new Promise<void>((resolve) => createInterface({ input: node.stdout! }).once('line', () => resolve()));
  try {
    const durationS = 8;
    const r = await leaks(['--pid', String(node.pid), '--duration', `${durationS}s`, '--min-age', '2s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    // attach (a few s on 0.17) + the trace + at most 30 s of printing
    assert.ok(r.ms < (durationS + 40) * 1000, `ran ${r.ms} ms for --duration ${durationS}s`);
    const top = JSON.parse(r.stdout).sites[0] as { bytes: number; stack: string[] };
    assert.ok(top.bytes > 1024 * 1024, `top site holds ${top.bytes} bytes`);
    assert.ok(top.stack.some((f) => /leakHere.*\((\[jit\]|perf-\d+\.map)\)/.test(f)), `no leakHere frame: ${top.stack.join(' <- ')}`);
  } finally {
    node.kill('SIGKILL');
    rmSync(`/tmp/perf-${node.pid}.map`, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
