// Balloon inflates on real guests, and memory-cgroup swap, under one real CLI run
// (`live --json --groups growth --leak-window 6s --pid SWAPPER`):
// - a balloon that works: guest A (384 MiB) fills 256 MiB, frees it, and QMP `balloon`
//   takes 192 MiB back: its resident guest RAM falls by about as much, the balloon
//   detector says ok and the diagnosis has no balloon cause for it;
// - one that gives nothing back: guest B (512 MiB) is ballooned by 256 MiB right after
//   boot, on memory the host never backed: the detector says suspect and the diagnosis
//   says `balloon-no-return`, naming B, first among B's causes, with the
//   never-resident remedy;
// - memory-cgroup swap: a process touches 96 MiB in a 32 MiB cgroup-v1 memory cgroup
//   with a swap file: its row's cgroup.swapBytes against the cgroup's own
//   memory.memsw.usage_in_bytes - memory.usage_in_bytes and the process's VmSwap.
// Independent counts: QMP query-balloon `actual` (what the guest gave), QEMU's VmRSS
// (/proc/PID/status), and the madvised bytes (the rows' growth.balloonBytes) against
// the balloon size asked. Everything started is stopped: guests, the CLI, the
// process (by pid); the swap file is swapped off and removed, the cgroup removed.
// Boots QEMU and swaps: run it under the heavy lock,
//   flock /tmp/faultline-heavy.lock node test/run.mjs test/kernel/diagnosis-balloon.test.ts
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startGuest, waitForBalloon, type Guest } from '../harness/qemu-guest.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { compiledProgram } from '../harness/c-program.js';
import { removeCgroup } from '../harness/memcg.js';
import type { Finding, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

const MiB = 2 ** 20;
const skip = kernelGate({ qemu: true });
const CGROUP = `/sys/fs/cgroup/memory/faultline-balloon-swap-${process.pid}`;
const SWAPFILE = `/var/tmp/faultline-balloon-swap-${process.pid}`;
const guests: Guest[] = [];
let live: LiveRun | null = null;
let swapper: ChildProcess | null = null;
let swapOn = false;

after(async () => {
  await Promise.all(guests.map((g) => g.stop()));
  await live?.stop();
  if (swapper && swapper.exitCode === null && swapper.signalCode === null) {
    const gone = new Promise((resolve) => swapper!.once('exit', resolve));
    swapper.kill('SIGKILL');
    await gone;
  }
  if (swapOn) spawnSync('swapoff', [SWAPFILE]);
  rmSync(SWAPFILE, { force: true });
  await removeCgroup(CGROUP);
});

const statusKiB = (pid: number, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const fileNumber = (path: string): number => Number(readFileSync(path, 'utf8').trim());
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

/** A process that touches `pages` 4 KiB pages in CGROUP, then idles: what does not fit
 * the limit is swapped out. Resolves once the touch is done. */
async function startSwapper(pages: number): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', `echo $$ > ${CGROUP}/cgroup.procs && exec "$0" ${pages}`, compiledProgram('touch-pages')], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let told = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/^ready /m.test(out) && !told) {
        told = true;
        child.stdin!.write('go\n');
      }
      if (/^done /m.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`touch-pages ended (${code}) before touching its pages: ${out}`)));
  });
  return child;
}

test('balloon: an inflate that works (no cause) and one on memory the host never backed (balloon-no-return); cgroup swap per row', { skip, timeout: 120_000 }, async (t) => {
  const startedMs = Date.now();
  if (!existsSync('/sys/fs/cgroup/memory/memory.memsw.usage_in_bytes')) assert.fail('cgroup v1 memory controller with swap accounting (memory.memsw.*) is not there');

  // the swap file and a 32 MiB cgroup holding 96 MiB of touched pages
  execFileSync('fallocate', ['-l', String(256 * MiB), SWAPFILE]);
  execFileSync('chmod', ['600', SWAPFILE]);
  execFileSync('mkswap', [SWAPFILE], { stdio: 'ignore' });
  execFileSync('swapon', [SWAPFILE]);
  swapOn = true;
  mkdirSync(CGROUP);
  writeFileSync(`${CGROUP}/memory.limit_in_bytes`, String(32 * MiB));
  swapper = await startSwapper(24_576);
  const swapPid = swapper.pid!;

  // faultline, and the two guests booting meanwhile
  live = startLive(['--interval', '500ms', '--groups', 'growth', '--top', '0', '--pid', String(swapPid), '--leak-window', '6s']);
  const booted = await Promise.allSettled([startGuest({ memoryMiB: 384 }), startGuest({ memoryMiB: 512 })]);
  for (const r of booted) if (r.status === 'fulfilled') guests.push(r.value);
  for (const r of booted) if (r.status === 'rejected') throw r.reason;
  const [a, b] = guests;
  await live.waitFor(() => true, 30_000, 'the first snapshot (probes attached)');
  await Promise.all([a!.ctl('stat'), b!.ctl('stat')]);
  const rowOf = (s: Snapshot, pid: number): VmSnapshot | undefined => s.vms.find((v) => v.pid === pid);
  const seen = (pid: number) => (_s: Snapshot, all: Snapshot[]) => all.filter((x) => rowOf(x, pid)).length >= 3;
  await live.waitFor(seen(a!.pid), 15_000, 'guest A in three snapshots');
  await live.waitFor(seen(b!.pid), 15_000, 'guest B in three snapshots');
  t.diagnostic(`set up: guests booted and seen by faultline at ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);

  // A: fill 256 MiB, let faultline see it resident, free it; B: nothing
  await a!.ctl('alloc 256');
  const filledAt = live.snapshots.length;
  await live.waitFor((_s, all) => all.length >= filledAt + 2, 10_000, 'two snapshots after A filled');
  await a!.ctl('freeall');
  const rssBefore = { a: a!.rssBytes(), b: b!.rssBytes() };
  const targets = { a: (384 - 192) * MiB, b: (512 - 256) * MiB };
  const inflateAt = live.snapshots.length;
  await Promise.all([a!.qmp('balloon', { value: targets.a }), b!.qmp('balloon', { value: targets.b })]);
  const actual = { a: await waitForBalloon(a!, targets.a, 15_000), b: await waitForBalloon(b!, targets.b, 15_000) };
  assert.equal(actual.a, targets.a, `guest A's balloon stuck at ${mib(actual.a)} MiB`);
  assert.equal(actual.b, targets.b, `guest B's balloon stuck at ${mib(actual.b)} MiB`);

  // the detector's verdicts once the inflates settled (5 s after the last balloon bytes)
  const finding = (row: VmSnapshot | undefined): Finding | undefined => row?.findings.find((f) => f.detector === 'balloon');
  const judged = (pid: number) => (s: Snapshot, all: Snapshot[]) => all.indexOf(s) >= inflateAt && /inflate/.test(finding(rowOf(s, pid))?.message ?? '') && finding(rowOf(s, pid))!.verdict !== 'insufficient-data';
  const judgedA = await live.waitFor(judged(a!.pid), 30_000, "guest A's balloon verdict");
  const judgedB = await live.waitFor(judged(b!.pid), 30_000, "guest B's balloon verdict");
  const last = await live.waitFor((s) => s.seq >= Math.max(judgedA.seq, judgedB.seq), 5000, 'both judged');
  const rssAfter = { a: a!.rssBytes(), b: b!.rssBytes() };
  const fa = finding(rowOf(judgedA, a!.pid))!;
  const fb = finding(rowOf(judgedB, b!.pid))!;
  t.diagnostic(`A: ${fa.verdict}: ${fa.message}`);
  t.diagnostic(`B: ${fb.verdict}: ${fb.message}`);

  // independent counts: what the guests gave (QMP), what was madvised (the rows), VmRSS
  const since = live.snapshots.slice(inflateAt - 2);
  const madvised = (pid: number): number => since.reduce((sum, s) => sum + (rowOf(s, pid)?.growth.balloonBytes ?? 0), 0);
  const given = { a: a!.memoryBytes - actual.a, b: b!.memoryBytes - actual.b };
  const shownMiB = (f: Finding): number[] => [...f.message.matchAll(/([\d.]+) MiB/g)].slice(0, 3).map((m) => Number(m[1]));
  for (const [key, f, guest] of [['a', fa, a!], ['b', fb, b!]] as const) {
    const [ballooned, from, to] = shownMiB(f);
    const rssDrop = rssBefore[key] - rssAfter[key];
    t.diagnostic(`${key.toUpperCase()}: QMP actual ${mib(actual[key])} MiB (gave ${mib(given[key])}); madvised ${mib(madvised(guest.pid))} MiB in the rows, ${ballooned} MiB in the finding; ` +
      `guest RAM ${from} -> ${to} MiB (returned ${(from! - to!).toFixed(1)}); VmRSS ${mib(rssBefore[key])} -> ${mib(rssAfter[key])} MiB (${mib(rssDrop)} down)`);
    assert.equal(madvised(guest.pid), given[key], `${key}: madvised bytes against the balloon size the guest gave`);
    assert.ok(Math.abs(ballooned! * MiB - given[key]) <= 0.01 * given[key], `${key}: the finding's ${ballooned} MiB against ${mib(given[key])} MiB`);
    // faultline's guest-RAM change against QEMU's whole VmRSS change (QEMU's own memory moves a little)
    assert.ok(Math.abs((from! - to!) * MiB - rssDrop) <= 16 * MiB + 0.1 * Math.abs(rssDrop), `${key}: guest RAM returned ${(from! - to!).toFixed(1)} MiB, VmRSS fell ${mib(rssDrop)} MiB`);
  }
  assert.equal(fa.verdict, 'ok', fa.message);
  assert.equal(fb.verdict, 'suspect', fb.message);

  // the diagnosis: B's cause first among B's, with the never-resident remedy; none for A
  const causesOf = (s: Snapshot, id: string) => (s.diagnosis?.causes ?? []).filter((c) => c.subjectId === id);
  const idA = rowOf(last, a!.pid)!.id;
  const idB = rowOf(last, b!.pid)!.id;
  const forB = causesOf(last, idB);
  t.diagnostic(`diagnosis: ${last.diagnosis?.headline}; causes: ${(last.diagnosis?.causes ?? []).map((c) => `${c.cause} ${c.subject}`).join(', ')}`);
  for (const c of forB) t.diagnostic(`  ${c.cause}: ${c.title}\n    ${c.evidence.join('\n    ')}\n    do: ${c.remedy}`);
  assert.equal(forB[0]?.cause, 'balloon-no-return', `B's causes: ${forB.map((c) => c.cause).join(', ')}`);
  assert.equal(forB[0]!.subject, b!.name);
  assert.match(forB[0]!.title, new RegExp(`^${b!.name} \\(VM\\): a balloon inflate of 256 MiB gave the host back `));
  assert.match(forB[0]!.remedy, new RegExp(`the guest gave back memory the host never backed, so ballooning ${b!.name} \\(VM\\) gains nothing: give it less memory instead, the 256 MiB it runs with now: `));
  const ballooningA = live.snapshots.slice(inflateAt).flatMap((s) => causesOf(s, idA)).filter((c) => c.cause === 'balloon-no-return');
  assert.deepEqual(ballooningA.map((c) => c.title), [], 'no balloon cause for the inflate that worked');

  // memory-cgroup swap: the row's cgroup against the cgroup's files and the process's VmSwap
  const swapRow = rowOf(last, swapPid);
  assert.ok(swapRow, 'the --pid process has a row');
  const memsw = fileNumber(`${CGROUP}/memory.memsw.usage_in_bytes`);
  const usage = fileNumber(`${CGROUP}/memory.usage_in_bytes`);
  const stat = readFileSync(`${CGROUP}/memory.stat`, 'utf8');
  const statSwap = Number(/^swap (\d+)$/m.exec(stat)?.[1] ?? NaN);
  // VmSwap counts every page table entry that holds a swap entry, also those whose page
  // is still in the swap cache (charged to the cgroup's memory, not its swap)
  const swapCached = Number(/^swapcached (\d+)$/m.exec(stat)?.[1] ?? 0);
  const vmSwap = statusKiB(swapPid, 'VmSwap') * 1024;
  t.diagnostic(`cgroup swap: faultline ${mib(swapRow.cgroup.swapBytes)} MiB (${swapRow.cgroup.path}); memsw - usage ${mib(memsw - usage)} MiB; memory.stat swap ${mib(statSwap)} MiB, swapcached ${mib(swapCached)} MiB; VmSwap ${mib(vmSwap)} MiB; VmRSS ${mib(statusKiB(swapPid, 'VmRSS') * 1024)} MiB`);
  assert.equal(swapRow.cgroup.path, CGROUP.replace('/sys/fs/cgroup/memory', ''));
  assert.ok(swapRow.cgroup.swapBytes >= 48 * MiB, `96 MiB in a 32 MiB cgroup: ${mib(swapRow.cgroup.swapBytes)} MiB swapped`);
  assert.ok(Math.abs(swapRow.cgroup.swapBytes - (memsw - usage)) <= 2 * MiB, 'against memsw - usage now (the process idles)');
  assert.ok(Math.abs(swapRow.cgroup.swapBytes - statSwap) <= 2 * MiB, 'against memory.stat swap');
  assert.ok(Math.abs(swapRow.cgroup.swapBytes + swapCached - vmSwap) <= 0.05 * vmSwap, 'against VmSwap (less the swap cache)');

  console.log(`  diagnosis-balloon: ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
});
