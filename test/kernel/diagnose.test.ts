// `faultline diagnose`, the real CLI on this machine as root:
// - the idle host: "healthy" in one line, exit 0;
// - a real memory cgroup (v1, 64 MiB limit) holding a process that touched 58.6 MiB:
//   exit 4 (warning), the first cause is that cgroup near its limit, naming the
//   process, with the usage the kernel's own memory.usage_in_bytes shows; the same
//   from a recording of it, at a time inside the recording, and the report of that
//   recording opens with the diagnosis its snapshots carry;
// - a hugetlb pool holding all but 10% of RAM, nothing mapping it: a critical
//   memory-low first, the pool and its free part as /proc/meminfo has them, and the
//   remedy that shrinks it by its free pages (applied, it gives MemAvailable back).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { bpftraceArgs, cliCommand } from '../harness/faultline-live.js';
import { removeCgroup } from '../harness/memcg.js';
import type { Diagnosis } from '../../src/diagnose/diagnose.js';
import { readLimitedCgroups } from '../../src/host/limited-cgroups.js';

const skip = kernelGate();
const CGROUP = `/sys/fs/cgroup/memory/faultline-diagnose-${process.pid}`;
const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
let hugepagesBefore: string | null = null;
const dir = mkdtempSync(join(tmpdir(), 'faultline-diagnose-'));
let hog: ChildProcess | null = null;

after(async () => {
  if (hog?.exitCode === null && hog.signalCode === null) {
    const gone = new Promise((resolve) => hog!.once('exit', resolve));
    hog.kill('SIGKILL');
    await gone;
  }
  await removeCgroup(CGROUP);
  if (hugepagesBefore !== null) writeFileSync(NR_HUGEPAGES, hugepagesBefore);
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI to its end: exit status and output (it stops itself at --duration). */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [command, argv] = cliCommand([...args, ...bpftraceArgs(args)]);
  const r = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** PSI memory avg10 (some, full), percent. */
function pressure(): { some: number; full: number } {
  const text = readFileSync('/proc/pressure/memory', 'utf8');
  const avg10 = (kind: string): number => Number(new RegExp(`^${kind} avg10=([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return { some: avg10('some'), full: avg10('full') };
}

test('the idle host: healthy, in one line, exit 0', { skip, timeout: 180_000 }, async (t) => {
  // idle first: a test that ran before may have left memory pressure in PSI's 10 s
  // average (it decays within about a minute)
  const startMs = Date.now();
  while (Date.now() - startMs < 90_000 && (pressure().some > 1 || pressure().full > 1)) await new Promise((r) => setTimeout(r, 1000));
  t.diagnostic(`waited ${((Date.now() - startMs) / 1000).toFixed(0)} s for an idle host: PSI ${JSON.stringify(pressure())}`);
  const r = cli(['diagnose', '--duration', '4s']);
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^healthy: [\d.]+ GiB of [\d.]+ GiB available; no OOM kill, paging, pressure and reclaim stalls under their thresholds over [\d.]+ s\n$/);
});

test('a memory cgroup at 92% of its limit: warning, the process named, usage as the kernel counts it; live and from a recording', { skip, timeout: 180_000 }, async (t) => {
  mkdirSync(CGROUP);
  writeFileSync(`${CGROUP}/memory.limit_in_bytes`, String(64 * 2 ** 20));
  hog = spawn('/bin/sh', ['-c', `echo $$ > ${CGROUP}/cgroup.procs && exec "$0" 15000`, compiledProgram('touch-pages')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const hogPid = hog.pid!;
  let out = '';
  await new Promise<void>((resolve, reject) => {
    hog!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) hog!.stdin!.write('go\n');
      if (out.includes('done')) resolve();
    });
    hog!.once('exit', () => reject(new Error(`the hog ended early: ${out}`)));
  });

  const live = cli(['diagnose', '--json', '--duration', '3s', '--groups', 'faults,reclaim', '--pid', String(hogPid)]);
  const usageBytes = Number(readFileSync(`${CGROUP}/memory.usage_in_bytes`, 'utf8'));
  assert.equal(live.status, 4, `exit ${live.status}\n${live.stdout}\n${live.stderr}`);
  const d = JSON.parse(live.stdout) as Diagnosis;
  t.diagnostic(d.headline);
  assert.equal(d.status, 'warning');
  const first = d.causes[0]!;
  assert.equal(first.cause, 'cgroup-near-limit');
  assert.equal(first.pid, hogPid);
  assert.match(first.title, /touch-pages.*\(pid \d+\)'s memory cgroup is at 9\d\.\d% of its limit \(above 90%\)/);
  // the usage the diagnosis read, against the kernel's counter read right after
  const shown = Number(/usage ([\d.]+) MiB of limit 64 MiB/.exec(first.evidence[0]!)?.[1]);
  t.diagnostic(`usage in the diagnosis ${shown} MiB, memory.usage_in_bytes ${(usageBytes / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(Math.abs(shown * 2 ** 20 - usageBytes) < 0.02 * usageBytes, `${shown} MiB vs ${usageBytes} bytes`);
  assert.match(first.remedy, new RegExp(`raise /faultline-diagnose-${process.pid}'s limit`));

  // the scan of every limited memory cgroup, against the kernel's own files
  const limited = (await readLimitedCgroups()).find((c) => c.path === `/faultline-diagnose-${process.pid}`);
  assert.ok(limited, 'the scan lists the cgroup');
  assert.equal(limited.limitBytes, 64 * 2 ** 20);
  const usageNow = Number(readFileSync(`${CGROUP}/memory.usage_in_bytes`, 'utf8'));
  assert.ok(Math.abs(limited.usageBytes - usageNow) < 0.02 * usageNow, `scan ${limited.usageBytes} vs memory.usage_in_bytes ${usageNow}`);

  // without --pid the process is no row (not a VM, not among the busiest): the scan
  // of every limited memory cgroup still finds its cgroup
  const unpinned = cli(['diagnose', '--json', '--duration', '3s', '--groups', 'faults']);
  const scanned = (JSON.parse(unpinned.stdout) as Diagnosis).causes.find((c) => c.cause === 'cgroup-near-limit' && c.title.includes(`faultline-diagnose-${process.pid}`));
  assert.ok(scanned, `no cause for the cgroup without --pid: ${unpinned.stdout}`);
  assert.match(scanned.title, new RegExp(`(memory cgroup /faultline-diagnose-${process.pid} is at|\\(pid ${hogPid}\\)'s memory cgroup is at) 9\\d\\.\\d% of its limit`));

  // from a recording: the same cause at a time inside it
  const recording = join(dir, 'near-limit.flt');
  const rec = cli(['record', '-o', recording, '--duration', '3s', '--groups', 'faults,reclaim', '--pid', String(hogPid)]);
  assert.equal(rec.status, 0, rec.stderr);
  const replayed = cli(['diagnose', recording, '--at', '+2s', '--window', '2s']);
  assert.equal(replayed.status, 4, `exit ${replayed.status}\n${replayed.stdout}\n${replayed.stderr}`);
  assert.match(replayed.stdout, /^warning: .*touch-pages.*memory cgroup is at 9\d\.\d% of its limit/);
  assert.match(replayed.stdout, /\n1\. \[warning\] .*\n   cgroup \/faultline-diagnose-\d+: usage [\d.]+ MiB of limit 64 MiB\n   do: raise /);
  // every recorded snapshot carries the diagnosis of its window: the report opens with it
  const report = cli(['report', recording]);
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /\nDiagnosis at the end: warning: .*touch-pages.*memory cgroup is at 9\d\.\d% of its limit/);
  assert.match(report.stdout, /  timeline \(\d+ snapshots not healthy\):\n    \d\d:\d\d:\d\d-end      warning  cgroup-near-limit: /);
  const bad = cli(['diagnose', recording, '--at', 'soon']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /E_BAD_VALUE: --at "soon" is not a time/);
});

test('a hugetlb pool holding most of RAM, mostly free: memory-low, the pool named, its free pages the first remedy', { skip, timeout: 180_000 }, async (t) => {
  const meminfo = (): Record<string, number> => Object.fromEntries(readFileSync('/proc/meminfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const [key, value, unit] = l.split(/:?\s+/);
    return [key!, Number(value) * (unit === 'kB' ? 1024 : 1)];
  }));
  hugepagesBefore = readFileSync(NR_HUGEPAGES, 'utf8').trim();
  const before = meminfo();
  // leave 10% of RAM available: used above 85%, a critical memory-low; nothing maps the
  // pool, so all of it is free
  const pages = Math.floor((before.MemAvailable! - 0.1 * before.MemTotal!) / before.Hugepagesize!);
  writeFileSync(NR_HUGEPAGES, String(Number(hugepagesBefore) + pages));
  const held = meminfo();
  t.diagnostic(`asked ${pages} pages of ${before.Hugepagesize! / 1024} KiB, got ${held.HugePages_Total}: Hugetlb ${(held.Hugetlb! / 2 ** 30).toFixed(2)} GiB, MemAvailable ${(held.MemAvailable! / 2 ** 30).toFixed(2)} GiB`);
  assert.ok(held.HugePages_Total! > 0.8 * pages, `the kernel gave ${held.HugePages_Total} of ${pages} pages`);
  const r = cli(['diagnose', '--json', '--duration', '3s', '--groups', 'reclaim']);
  const d = JSON.parse(r.stdout) as Diagnosis;
  const after1 = meminfo();
  t.diagnostic(d.headline);
  const low = d.causes.find((c) => c.cause === 'memory-low');
  assert.ok(low, `no memory-low: ${d.headline}`);
  assert.equal(d.causes[0], low, 'memory-low first');
  // the pool as /proc/meminfo has it (it does not move: nothing maps it)
  const pool = /^hugetlb pools hold ([\d.]+) GiB \([\d.]+% of RAM, used whether mapped or not\), ([\d.]+) GiB of it free$/.exec(low.evidence.find((e) => e.startsWith('hugetlb')) ?? '');
  assert.ok(pool, low.evidence.join(' | '));
  const gib = (bytes: number): number => bytes / 2 ** 30;
  assert.ok(Math.abs(Number(pool[1]) - gib(after1.Hugetlb!)) <= 0.01 * gib(after1.Hugetlb!) + 0.01, `pool ${pool[1]} GiB vs Hugetlb ${gib(after1.Hugetlb!)}`);
  assert.ok(Math.abs(Number(pool[2]) - gib(after1.HugePages_Free! * after1.Hugepagesize!)) <= 0.01 * gib(after1.Hugetlb!) + 0.01, `free ${pool[2]} GiB vs HugePages_Free`);
  assert.match(low.remedy, new RegExp(`^shrink the hugetlb pool: .* free \\(${after1.HugePages_Free} pages of 2 MiB\\): \`echo \\$\\(\\( \\$\\(cat /proc/sys/vm/nr_hugepages\\) - ${after1.HugePages_Free} \\)\\) > /proc/sys/vm/nr_hugepages\``));
  // the remedy, applied, gives the memory back
  writeFileSync(NR_HUGEPAGES, String(Number(readFileSync(NR_HUGEPAGES, 'utf8')) - after1.HugePages_Free!));
  assert.ok(meminfo().MemAvailable! > 0.8 * before.MemAvailable!, 'MemAvailable is back');
  writeFileSync(NR_HUGEPAGES, hugepagesBefore);
  hugepagesBefore = null;
});
