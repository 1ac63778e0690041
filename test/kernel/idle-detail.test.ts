// The collector keeps the detail of a process whose /proc/PID/stat did not move
// (src/collect/detail-reuse.ts). That must not change a number: real paused QEMU
// processes (guest RAM preallocated, so idle) keep showing exactly what /proc says, and
// what changes with no move in their own stat, the memory cgroup they sit in filling
// up from another process, reaches their row within a refresh period (10 intervals),
// a quiet one too (the cgroup read alone);
// and NUMA placement read before a process grew is read again once it is idle.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { removeCgroup } from '../harness/memcg.js';
import type { VmSnapshot } from '../../src/model/snapshot.js';

const skip = kernelGate({ qemu: true });
const MiB = 2 ** 20;
const GUEST_MIB = 32;
const CGROUP = `/sys/fs/cgroup/memory/faultline-idle-${process.pid}`;
const children: ChildProcess[] = [];
let live: LiveRun | null = null;

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await live?.stop();
  await removeCgroup(CGROUP);
});

function statusKib(pid: number, key: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

async function startPausedQemu(index: number): Promise<number> {
  const child = spawn('qemu-system-x86_64', [
    '-name', `guest=idle-${index},debug-threads=on`, '-S', '-machine', 'pc,accel=tcg,usb=off',
    '-m', String(GUEST_MIB), '-mem-prealloc', '-uuid', `1d1e0000-0000-4000-8000-00000000000${index}`,
    '-display', 'none', '-no-user-config', '-nodefaults',
  ], { stdio: 'ignore' });
  children.push(child);
  const deadline = Date.now() + 30_000;
  while (statusKib(child.pid!, 'RssAnon') + statusKib(child.pid!, 'RssShmem') < GUEST_MIB * 1024) {
    assert.ok(Date.now() < deadline, `QEMU ${index} did not preallocate its ${GUEST_MIB} MiB`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child.pid!;
}

const rowOf = (pid: number, snapshot: { vms: VmSnapshot[] }): VmSnapshot | undefined => snapshot.vms.find((v) => v.pid === pid && v.kind === 'vm');

test('idle VMs: rows equal /proc while their detail is carried; their cgroup filling up shows within a refresh period', { skip, timeout: 180_000 }, async () => {
  assert.ok(existsSync('/sys/fs/cgroup/memory'), 'cgroup v1 memory controller is not mounted at /sys/fs/cgroup/memory');
  const pids = [await startPausedQemu(1), await startPausedQemu(2), await startPausedQemu(3)];
  // the first VM in a cgroup of its own, where another process will charge memory
  mkdirSync(CGROUP);
  writeFileSync(`${CGROUP}/cgroup.procs`, String(pids[0]));
  const filler = spawn('/bin/sh', ['-c', `echo $$ > ${CGROUP}/cgroup.procs && exec "$0" 12288`, compiledProgram('touch-pages')], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(filler);
  const fillerLines = createInterface({ input: filler.stdout! });
  const nextLine = (): Promise<string> => new Promise((resolve) => fillerLines.once('line', resolve));
  assert.match(await nextLine(), /^ready /);

  // growth too (the default groups have it): with it watching mapping changes, and KSM
  // still, the refreshes are quiet ones (src/collect/detail-reuse.ts, detailRead), which
  // read the cgroup alone: the charge below must still show within a period
  live = startLive(['--interval', '500ms', '--groups', 'faults,growth']);
  // once each VM had its first page walk (guest RAM known), a whole refresh period more
  const walked = (s: { vms: VmSnapshot[] }): boolean => pids.every((pid) => (rowOf(pid, s)?.rss.guestRamBytes ?? 0) > 0);
  await live.waitFor((_s, all) => all.filter(walked).length >= 12, 90_000, '12 snapshots with the three VMs walked');
  for (const pid of pids) {
    const rows = live.snapshots.filter(walked).map((s) => rowOf(pid, s)!).slice(-11);
    for (const row of rows) {
      assert.equal(row.rss.guestRamBytes, GUEST_MIB * MiB, `pid ${pid}: guest RAM resident = the preallocated ${GUEST_MIB} MiB (seq ${JSON.stringify(row.rss)})`);
      assert.equal(row.rss.anonBytes, statusKib(pid, 'RssAnon') * 1024, `pid ${pid}: anon = /proc/PID/status RssAnon`);
      assert.equal(row.rss.fileBytes, statusKib(pid, 'RssFile') * 1024, `pid ${pid}: file = RssFile`);
      assert.equal(row.rss.shmemBytes, statusKib(pid, 'RssShmem') * 1024, `pid ${pid}: shmem = RssShmem`);
    }
  }
  const vmCgroup = rowOf(pids[0]!, live.snapshots.at(-1)!)!.cgroup;
  assert.equal(vmCgroup.path, `/faultline-idle-${process.pid}`);
  const usageBefore = vmCgroup.usageBytes;

  // another process in the VM's cgroup touches 48 MiB: the VM's own stat does not move
  const vmStatBefore = readFileSync(`/proc/${pids[0]}/stat`, 'utf8');
  filler.stdin!.write('go\n');
  assert.match(await nextLine(), /^done /);
  const chargedBytes = Number(readFileSync(`${CGROUP}/memory.usage_in_bytes`, 'utf8'));
  assert.ok(chargedBytes - usageBefore >= 40 * MiB, `the cgroup grew by ${(chargedBytes - usageBefore) / MiB} MiB`);
  const seen = live.snapshots.length;
  const caught = await live.waitFor((s, all) => all.indexOf(s) >= seen && (rowOf(pids[0]!, s)?.cgroup.usageBytes ?? 0) - usageBefore >= 40 * MiB, 30_000, "the VM's row showing its cgroup's growth");
  const intervalsLate = live.snapshots.indexOf(caught) - seen;
  assert.ok(intervalsLate <= 11, `its row caught up ${intervalsLate} intervals after the charge (a refresh period is 10)`);
  assert.ok(Math.abs(rowOf(pids[0]!, caught)!.cgroup.usageBytes - chargedBytes) <= 4 * MiB, 'within 4 MiB of memory.usage_in_bytes');
  // the VM took no fault meanwhile (its own stat's fault counters did not move)
  const faultsOf = (stat: string): string => stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(7, 10).join(' ');
  assert.equal(faultsOf(readFileSync(`/proc/${pids[0]}/stat`, 'utf8')), faultsOf(vmStatBefore), "the VM's minflt/majflt did not move");
});

test('a process that runs without faulting keeps its detail but its cgroup is read every interval', { skip, timeout: 120_000 }, async () => {
  // a reader in a memory cgroup of its own reads a sparse file through the page cache
  // into one buffer (readinto: no new memory, no faults): its cgroup grows each
  // interval while its faults and RSS stand still
  const cgroup = `${CGROUP}-reader`;
  const file = `/var/tmp/faultline-sparse-${process.pid}`;
  mkdirSync(cgroup);
  writeFileSync(file, '');
  const { truncateSync, rmSync } = await import('node:fs');
  truncateSync(file, 96 * MiB);
  const script = [
    'import os, sys, time',
    `open("${cgroup}/cgroup.procs", "w").write(str(os.getpid()))`,
    'buf = bytearray(1 << 20)',
    `f = open("${file}", "rb", buffering=0)`,
    'print("ready", flush=True)',
    'sys.stdin.readline()',
    'while f.readinto(buf) > 0: time.sleep(0.04)',
    'print("done", flush=True)',
    'sys.stdin.readline()',
  ].join('\n');
  const reader = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(reader);
  const lines = createInterface({ input: reader.stdout! });
  const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  try {
    assert.equal(await nextLine(), 'ready');
    const run = startLive(['--interval', '500ms', '--groups', 'faults', '--pid', String(reader.pid)]);
    try {
      await run.waitFor((_s, all) => all.filter((s) => s.vms.some((v) => v.pid === reader.pid)).length >= 4, 60_000, 'the reader listed');
      const first = run.snapshots.length;
      reader.stdin!.write('go\n');
      assert.equal(await nextLine(), 'done');
      await run.waitFor((_s, all) => all.length >= first + 10, 30_000, '10 more snapshots');
      const rows = run.snapshots.slice(first - 1).map((s) => s.vms.find((v) => v.pid === reader.pid)).filter((r): r is VmSnapshot => r !== undefined);
      // intervals in which the reader took no fault and kept its RSS, yet its row's
      // cgroup grew: only a cgroup read of a carried detail shows that every interval
      let grewWithoutFaults = 0;
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1]!, rows[i]!];
        if (b.faults.minor === 0 && b.faults.major === 0 && a.rss.totalBytes === b.rss.totalBytes && b.cgroup.usageBytes - a.cgroup.usageBytes >= 4 * MiB) grewWithoutFaults++;
      }
      assert.ok(grewWithoutFaults >= 3, `the cgroup grew in ${grewWithoutFaults} fault-free intervals of the read (~2.4 s of reading, 500 ms intervals): ${JSON.stringify(rows.map((r) => [r.faults.minor, r.rss.totalBytes, r.cgroup.usageBytes]))}`);
      const usage = Number(readFileSync(`${cgroup}/memory.usage_in_bytes`, 'utf8'));
      assert.ok(Math.abs(rows.at(-1)!.cgroup.usageBytes - usage) <= 4 * MiB, 'the last row within 4 MiB of memory.usage_in_bytes');
    } finally {
      await run.stop();
    }
  } finally {
    reader.kill('SIGKILL');
    await new Promise((r) => (reader.exitCode === null && reader.signalCode === null ? reader.once('exit', r) : r(null)));
    await removeCgroup(cgroup);
    rmSync(file, { force: true });
  }
});

test('NUMA placement read while a process was small is not carried once it grew: the next numa_maps reading after it went idle is fresh', { skip, timeout: 120_000 }, async () => {
  // a pinned process touches 48 MiB between two numa_maps readings (every 10
  // intervals), then sits idle: its stat stands still from then on, but its numa
  // placement must be read again, not carried from before it grew
  const toucher = spawn(compiledProgram('touch-pages'), ['12288'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(toucher);
  const lines = createInterface({ input: toucher.stdout! });
  const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  assert.match(await nextLine(), /^ready /);
  const run = startLive(['--interval', '500ms', '--groups', 'faults', '--pid', String(toucher.pid)]);
  try {
    const numaOf = (s: { vms: VmSnapshot[] }): number => (s.vms.find((v) => v.pid === toucher.pid)?.numa ?? []).reduce((sum, n) => sum + n.bytes, 0);
    const small = await run.waitFor((s) => numaOf(s) > 0, 30_000, 'a first numa_maps reading of the small process');
    toucher.stdin!.write('go\n');
    assert.match(await nextLine(), /^done /);
    // idle from here: two more numa readings (20 intervals)
    const idleFrom = run.snapshots.length;
    await run.waitFor((_s, all) => all.slice(idleFrom).filter((s) => numaOf(s) > 0).length >= 2, 30_000, 'two numa readings after it went idle');
    const last = run.snapshots.filter((s) => numaOf(s) > 0).at(-1)!;
    const numaMaps = readFileSync(`/proc/${toucher.pid}/numa_maps`, 'utf8').split('\n')
      .reduce((sum, line) => sum + [...line.matchAll(/ N\d+=(\d+)/g)].reduce((s, m) => s + Number(m[1]) * 4096 * (Number(/kernelpagesize_kB=(\d+)/.exec(line)?.[1] ?? 4) / 4), 0), 0);
    console.log(`  numa before the touch ${(numaOf(small) / MiB).toFixed(1)} MiB; last reading ${(numaOf(last) / MiB).toFixed(1)} MiB; numa_maps now ${(numaMaps / MiB).toFixed(1)} MiB`);
    assert.ok(numaOf(last) >= numaOf(small) + 40 * MiB, 'the reading after the touch has the 48 MiB');
    assert.ok(Math.abs(numaOf(last) - numaMaps) <= 0.02 * numaMaps, `last reading ${numaOf(last)} vs numa_maps ${numaMaps}`);
  } finally {
    await run.stop();
  }
});
