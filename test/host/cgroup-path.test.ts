import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcCgroup, unescapeSystemdName, vmFromCgroupPath } from '../../src/host/cgroup-path.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

test('real hybrid host (this build machine): v1 memory path and v2 root', () => {
  const text = readFileSync(join(FIXTURES_DIR, 'real-debian12-sleep/5678/cgroup'), 'utf8');
  assert.deepEqual(parseProcCgroup(text), {
    memoryPath: '/process_api/0c0cbe173369f0815bad4d081a41ba6e',
    unifiedPath: '/',
  });
});

test('pure cgroup v2 has only the 0:: line', () => {
  assert.deepEqual(parseProcCgroup('0::/qemu.slice/100.scope\n'), { memoryPath: '', unifiedPath: '/qemu.slice/100.scope' });
});

test('v1 with combined controllers and a path containing ":"', () => {
  const text = '5:cpu,memory:/odd:path/x\n1:name=systemd:/init.scope\n';
  assert.deepEqual(parseProcCgroup(text), { memoryPath: '/odd:path/x', unifiedPath: '' });
});

test('libvirt systemd scope, with and without the libvirt/ subtree (libvirt >= 7.1)', () => {
  const expected = { scopeName: 'machine-qemu\\x2d1\\x2dvm1.scope', machineName: 'qemu-1-vm1', proxmoxVmid: '' };
  assert.deepEqual(vmFromCgroupPath('/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope'), expected);
  assert.deepEqual(vmFromCgroupPath('/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/vcpu0'), expected);
  assert.deepEqual(vmFromCgroupPath('/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator'), expected);
});

test('libvirt custom partition nests a slice', () => {
  const vm = vmFromCgroupPath('/machine.slice/machine-production.slice/machine-qemu\\x2d2\\x2dweb.scope/libvirt/emulator');
  assert.equal(vm.machineName, 'qemu-2-web');
});

test('libvirt without systemd: /machine/NAME.libvirt-qemu', () => {
  assert.deepEqual(vmFromCgroupPath('/machine/qemu-1-vm1.libvirt-qemu/emulator'), {
    scopeName: 'qemu-1-vm1.libvirt-qemu',
    machineName: 'qemu-1-vm1',
    proxmoxVmid: '',
  });
});

test('Proxmox qemu.slice/VMID.scope', () => {
  assert.deepEqual(vmFromCgroupPath('/qemu.slice/100.scope'), { scopeName: '100.scope', machineName: '', proxmoxVmid: '100' });
});

test('paths that are not VMs', () => {
  const none = { scopeName: '', machineName: '', proxmoxVmid: '' };
  assert.deepEqual(vmFromCgroupPath('/'), none);
  assert.deepEqual(vmFromCgroupPath(''), none);
  assert.deepEqual(vmFromCgroupPath('/user.slice/user-0.slice/session-1.scope'), none);
  assert.deepEqual(vmFromCgroupPath('/system.slice/100.scope'), none); // digits alone are not Proxmox
});

// libvirt tests/virsystemdtest.c TEST_SCOPE cases: the unit names libvirt asks
// systemd for, read back into machine names.
test('libvirt virsystemdtest.c scope names unescape to their machine names', () => {
  const cases: Array<[string, string]> = [
    ['machine-lxc\\x2ddemo.scope', 'lxc-demo'],
    ['machine-lxc\\x2ddemo\\x2dname.scope', 'lxc-demo-name'],
    ['machine-lxc\\x2ddemo\\x21name.scope', 'lxc-demo!name'],
    ['machine-lxc\\x2d\\x2edemo.scope', 'lxc-.demo'],
    ['machine-lxc\\x2dbull\\xf0\\x9f\\x92\\xa9.scope', 'lxc-bull💩'],
    ['machine-qemu\\x2d3\\x2ddemo.scope', 'qemu-3-demo'],
  ];
  for (const [scope, machine] of cases) {
    assert.equal(vmFromCgroupPath(`/machine.slice/${scope}`).machineName, machine, scope);
  }
});

test('unescapeSystemdName leaves plain names and stray backslashes alone', () => {
  assert.equal(unescapeSystemdName('qemu-1-vm1'), 'qemu-1-vm1');
  assert.equal(unescapeSystemdName('a\\xzz'), 'a\\xzz');
  assert.equal(unescapeSystemdName('caf\\xc3\\xa9'), 'café');
});
