// VMs start and stop every few hundred ms, some pids get reused, a process exits in
// the middle of an interval: no crash, every VM that started and lived across a
// snapshot has a vm-start and a vm-exit, and no row mixes two VMs' data (an id names
// one pid, one name, one memory size). The VMs are real processes named like QEMU
// (test/fixtures/programs/fake-qemu.c) with libvirt-style command lines.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { compiledProgram } from '../harness/c-program.js';

const skip = kernelGate();
const DIR = `/tmp/faultline-churn-${process.pid}`;
let live: LiveRun | null = null;
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await live?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

test('VM churn: starts and exits paired, no mixing of VMs, no crash', { skip, timeout: 120_000 }, async () => {
  mkdirSync(DIR, { recursive: true });
  const qemu = `${DIR}/qemu-system-x86_64`;
  copyFileSync(compiledProgram('fake-qemu'), qemu);
  live = startLive(['--interval', '300ms', '--groups', 'faults,growth']);
  await live.waitFor(() => true, 60_000, 'the first snapshot');

  const started = new Map<number, string>();
  for (let i = 0; i < 40; i++) {
    const name = `churn-${i}`;
    const mib = 16 + (i % 4) * 16;
    const child = spawn(qemu, ['-name', `guest=${name},debug-threads=on`, '-uuid', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, '-m', String(mib), '-life', String(150 + ((i * 373) % 1200))], { stdio: 'ignore' });
    children.add(child);
    child.on('exit', () => children.delete(child));
    started.set(child.pid!, name);
    await new Promise((r) => setTimeout(r, 60));
  }
  while (children.size > 0) await new Promise((r) => setTimeout(r, 100));
  const seen = live.snapshots.length;
  await live.waitFor((_s, all) => all.length >= seen + 3, 10_000, 'three snapshots after the last VM exited');
  const result = await live.stop();
  assert.equal(result.code, 0, `faultline exited ${JSON.stringify(result)}`);

  const rows = live.snapshots.flatMap((s) => s.vms.filter((v) => v.kind === 'vm' && v.name.startsWith('churn-')));
  const byId = new Map<string, { pid: number; name: string; memoryBytes: number }>();
  for (const row of rows) {
    const first = byId.get(row.id) ?? { pid: row.pid, name: row.name, memoryBytes: row.memoryBytes };
    byId.set(row.id, first);
    assert.deepEqual({ pid: row.pid, name: row.name, memoryBytes: row.memoryBytes }, first, `row ${row.id} mixes VMs`);
    assert.equal(row.id.split('@')[0], String(row.pid));
    assert.equal(started.get(row.pid), row.name, 'the name belongs to the process with that pid');
  }
  assert.ok(byId.size >= 10, `only ${byId.size} churning VMs were ever reported`);
  const events = live.snapshots.flatMap((s) => s.events);
  for (const id of byId.keys()) {
    assert.ok(events.some((e) => e.type === 'vm-start' && e.vmId === id), `no vm-start for ${id}`);
    assert.ok(events.some((e) => e.type === 'vm-exit' && e.vmId === id), `no vm-exit for ${id}`);
  }
  const last = live.snapshots.at(-1)!;
  assert.equal(last.vms.filter((v) => v.name.startsWith('churn-')).length, 0, 'exited VMs are gone from the table');
});
