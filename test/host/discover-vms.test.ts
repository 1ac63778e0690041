import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ProcessStat } from '../../src/model/host.js';
import { diffProcessSets, discoverVms, identifyVm, processId, vmCgroupPath } from '../../src/host/discover-vms.js';
import { readProcessStats } from '../../src/host/proc-stat.js';
import { FIXTURES_DIR, SYNTHETIC_CMDLINES } from '../fixtures/proc/synthetic-cmdlines.js';

const MiB = 2 ** 20;
const tree = (scenario: string): string => join(FIXTURES_DIR, scenario);

async function vmsOf(scenario: string): Promise<{ stats: ProcessStat[]; vms: Map<number, { name: string; source: string }> }> {
  const stats = await readProcessStats(tree(scenario));
  return { stats, vms: await discoverVms(tree(scenario), stats) };
}

test('libvirt tree: the QEMU process is a VM, the shell and kthreadd are not', async () => {
  const { vms } = await vmsOf('synthetic-libvirt');
  assert.deepEqual([...vms.keys()], [1234]);
  assert.deepEqual(vms.get(1234), {
    name: 'foo=1,bar=2',
    uuid: 'c7a5fdbd-edaf-9455-926a-d65c16db1809',
    memoryBytes: 512 * MiB,
    source: 'libvirt',
    vmid: '',
  });
});

test('Proxmox tree: kvm with -id is a VM; a shell script named kvm is not', async () => {
  const { stats, vms } = await vmsOf('synthetic-proxmox');
  assert.deepEqual(stats.map((s) => [s.pid, s.comm]), [[2001, 'kvm'], [2050, 'kvm']]);
  assert.deepEqual([...vms.keys()], [2001]);
  assert.deepEqual(vms.get(2001), {
    name: 'web',
    uuid: '7b10d7af-b932-4c66-b2c3-3996152ec465',
    memoryBytes: 2048 * MiB,
    source: 'proxmox',
    vmid: '100',
  });
});

test('OpenStack tree: nova instance', async () => {
  const { vms } = await vmsOf('synthetic-openstack');
  assert.equal(vms.get(3001)?.name, 'instance-0000002a');
  assert.equal(vms.get(3001)?.source, 'openstack');
});

test('only QEMU-named processes have their cmdline read', async () => {
  // a shell whose comm is kvm: a candidate, but its cmdline (-bash) is read and rejected
  const stats = await readProcessStats(tree('synthetic-libvirt'));
  const renamed = stats.map((s) => (s.pid === 900 ? { ...s, comm: 'kvm' } : s));
  assert.deepEqual([...(await discoverVms(tree('synthetic-libvirt'), renamed)).keys()], [1234]);
  // a QEMU whose comm is not QEMU's (-name process=...) is not a candidate
  const hidden = stats.map((s) => (s.pid === 1234 ? { ...s, comm: 'renamed' } : s));
  assert.equal((await discoverVms(tree('synthetic-libvirt'), hidden)).size, 0);
});

test('a QEMU process that exited before its cmdline was read is skipped', async () => {
  const ghost: ProcessStat = { pid: 4321, comm: 'qemu-system-x86', state: 'S', ppid: 1, minflt: 0, majflt: 0, startTimeTicks: 1, rssPages: 0, cpuTicks: 0 };
  assert.equal((await discoverVms(tree('synthetic-libvirt'), [ghost])).size, 0);
});

test('identifyVm: a nameless QEMU is qemu-<pid>; the cgroup scope names it before that', () => {
  assert.equal(identifyVm(['qemu-system-x86_64', '-m', '1G'], '0::/user.slice\n', 777).name, 'qemu-777');
  const inScope = identifyVm(['qemu-system-x86_64', '-m', '1G'], '0::/machine.slice/machine-qemu\\x2d9\\x2dweb.scope/libvirt/emulator\n', 777);
  assert.deepEqual([inScope.name, inScope.source], ['qemu-9-web', 'libvirt']);
  const named = identifyVm(SYNTHETIC_CMDLINES['synthetic-libvirt/1234'] ?? [], '', 1234);
  assert.equal(named.name, 'foo=1,bar=2');
});

test('vmCgroupPath prefers whichever hierarchy names the VM', () => {
  const hybrid = '11:memory:/machine.slice/machine-qemu\\x2d3\\x2dx.scope\n0::/\n';
  assert.equal(vmCgroupPath(hybrid), '/machine.slice/machine-qemu\\x2d3\\x2dx.scope');
  assert.equal(vmCgroupPath('0::/qemu.slice/100.scope\n'), '/qemu.slice/100.scope');
  assert.equal(vmCgroupPath('4:memory:/a\n0::/\n'), '/');
  assert.equal(vmCgroupPath(''), '');
});

test('pid reuse and VM exit across two reads', async () => {
  const t0 = await vmsOf('synthetic-vm-churn/t0');
  const t1 = await vmsOf('synthetic-vm-churn/t1');
  const vmIds = (read: typeof t0): Set<string> => new Set(read.stats.filter((s) => read.vms.has(s.pid)).map(processId));
  assert.deepEqual([...vmIds(t0)], ['1234@5000', '1300@5100']);
  assert.deepEqual([...vmIds(t1)], ['1234@9000']);
  assert.deepEqual(diffProcessSets(vmIds(t0), vmIds(t1)), { started: ['1234@9000'], exited: ['1234@5000', '1300@5100'] });
  assert.equal(t0.vms.get(1234)?.name, 'old-vm');
  assert.equal(t1.vms.get(1234)?.name, 'new-vm');
});

test('diffProcessSets: nothing changed, everything new', () => {
  assert.deepEqual(diffProcessSets(new Set(['1@1']), new Set(['1@1'])), { started: [], exited: [] });
  assert.deepEqual(diffProcessSets(new Set(), new Set(['1@1', '2@2'])), { started: ['1@1', '2@2'], exited: [] });
});
