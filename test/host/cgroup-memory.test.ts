import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupSearchPaths, flatKeyedValue, readCgroupMemory, v1SwapBytes } from '../../src/host/cgroup-memory.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const root = (scenario: string): string => join(FIXTURES_DIR, scenario, 'sys-fs-cgroup');

test('real cgroup v1 (this build machine): the "unlimited" 9223372036854771712 means no limit', async () => {
  const memory = await readCgroupMemory(root('real-debian12-sleep'), '/process_api/0c0cbe173369f0815bad4d081a41ba6e', '/');
  assert.deepEqual(memory, {
    path: '/process_api/0c0cbe173369f0815bad4d081a41ba6e',
    limitBytes: 0,
    usageBytes: 8839168,
    oomKills: 0,
    limitHits: 0,
    swapBytes: 0, // no memory.memsw.* in the fixture
  });
});

test('cgroup v1 with a limit, failcnt, OOM kills and swap (OpenStack fixture: memsw 64 MiB above usage)', async () => {
  const memory = await readCgroupMemory(root('synthetic-openstack'), '/machine.slice/machine-qemu\\x2d3\\x2dinstance\\x2d0000002a.scope', '');
  assert.deepEqual(memory, {
    path: '/machine.slice/machine-qemu\\x2d3\\x2dinstance\\x2d0000002a.scope',
    limitBytes: 1610612736,
    usageBytes: 270336000,
    oomKills: 2,
    limitHits: 7,
    swapBytes: 64 * 2 ** 20,
  });
});

test('cgroup v2 with memory.max "max" and memory.swap.current (Proxmox fixture)', async () => {
  assert.deepEqual(await readCgroupMemory(root('synthetic-proxmox'), '', '/qemu.slice/100.scope'), {
    path: '/qemu.slice/100.scope',
    limitBytes: 0,
    usageBytes: 1700000000,
    oomKills: 1,
    limitHits: 3,
    swapBytes: 128 * 2 ** 20,
  });
});

test('cgroup v2, libvirt threaded subtree: memory files come from libvirt/, one level up', async () => {
  const memory = await readCgroupMemory(root('synthetic-libvirt'), '', '/machine.slice/machine-qemu\\x2d1\\x2dfoo1bar2.scope/libvirt/emulator');
  assert.deepEqual(memory, {
    path: '/machine.slice/machine-qemu\\x2d1\\x2dfoo1bar2.scope/libvirt',
    limitBytes: 805306368,
    usageBytes: 190000000,
    oomKills: 1,
    limitHits: 12,
    swapBytes: 0,
  });
});

test('cgroup v2 mounted at <root>/unified (hybrid hosts)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-cgroup-'));
  try {
    mkdirSync(join(dir, 'unified/system.slice/app.service'), { recursive: true });
    writeFileSync(join(dir, 'unified/system.slice/app.service/memory.current'), '4096\n');
    writeFileSync(join(dir, 'unified/system.slice/app.service/memory.max'), '1073741824\n');
    const memory = await readCgroupMemory(dir, '', '/system.slice/app.service');
    assert.deepEqual(memory, { path: '/system.slice/app.service', limitBytes: 1073741824, usageBytes: 4096, oomKills: 0, limitHits: 0, swapBytes: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing files give zeros, never throw; the root has no limit', async () => {
  const zeros = { limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 };
  assert.deepEqual(await readCgroupMemory(root('synthetic-libvirt'), '', '/'), { path: '/', ...zeros });
  assert.deepEqual(await readCgroupMemory(join(FIXTURES_DIR, 'nowhere'), '/a/b', '/c'), { path: '/a/b', ...zeros });
  assert.deepEqual(await readCgroupMemory(join(FIXTURES_DIR, 'nowhere'), '', '/c'), { path: '/c', ...zeros });
  assert.deepEqual(await readCgroupMemory(undefined, '', ''), { path: '', ...zeros });
});

test('the walk up stops at the VM scope, never a top-level slice', () => {
  assert.deepEqual(cgroupSearchPaths('/machine.slice/machine-x.scope/libvirt/emulator'), [
    '/machine.slice/machine-x.scope/libvirt/emulator',
    '/machine.slice/machine-x.scope/libvirt',
    '/machine.slice/machine-x.scope',
  ]);
  assert.deepEqual(cgroupSearchPaths('/qemu.slice/100.scope'), ['/qemu.slice/100.scope']);
  assert.deepEqual(cgroupSearchPaths('/'), ['/']);
});

test('flat keyed files', () => {
  assert.equal(flatKeyedValue('low 0\nmax 12\noom_kill 3\n', 'max'), 12);
  assert.equal(flatKeyedValue('low 0\nmax 12\noom_kill 3\n', 'oom_kill'), 3);
  assert.equal(flatKeyedValue('oom_kill_disable 1\n', 'oom_kill'), 0);
  assert.equal(flatKeyedValue(null, 'max'), 0);
});

test('cgroup v1 swap: memsw less usage; no memsw file (swap accounting off) or a racy negative reads 0', () => {
  assert.equal(v1SwapBytes('337444864\n', '270336000\n'), 64 * 2 ** 20);
  assert.equal(v1SwapBytes(null, '270336000\n'), 0);
  assert.equal(v1SwapBytes('4096\n', '8192\n'), 0);
});
