// The collector keeps the detail of a process whose /proc/PID/stat did not move
// (src/collect/detail-reuse.ts). That must not change a number: real paused QEMU
// processes (guest RAM preallocated, so idle) keep showing exactly what /proc says, and
// what changes with no move in their own stat, the memory cgroup they sit in filling
// up from another process, reaches their row within a refresh period (10 intervals).
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

  live = startLive(['--interval', '500ms', '--groups', 'faults']);
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
