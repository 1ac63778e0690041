import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQemuComm, isQemuProcess, parseQemuArgv } from '../../src/host/qemu-identity.js';
import { guestMemoryBytes, memoryOptionBytes, parseMemoryBackend } from '../../src/host/qemu-memory.js';
import { SYNTHETIC_CMDLINES } from '../fixtures/proc/synthetic-cmdlines.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const argvOf = (dir: string): string[] => {
  const argv = SYNTHETIC_CMDLINES[dir];
  assert.ok(argv, dir);
  return argv;
};

test('isQemuComm: truncated qemu-system-*, qemu-kvm, Proxmox kvm', () => {
  for (const comm of ['qemu-system-x86', 'qemu-system-aar', 'qemu-kvm', 'kvm']) assert.equal(isQemuComm(comm), true, comm);
  for (const comm of ['bash', 'kvm-nx-lpage-re', 'qemu-img', 'kvmd', '']) assert.equal(isQemuComm(comm), false, comm);
});

test('isQemuProcess: by argv[0] basename or QEMU comm; needs a command line', () => {
  assert.equal(isQemuProcess('qemu-system-x86', ['/usr/bin/qemu-system-x86_64', '-m', '1G']), true);
  assert.equal(isQemuProcess('qemu-kvm', ['/usr/libexec/qemu-kvm']), true);
  assert.equal(isQemuProcess('kvm', ['/usr/bin/kvm', '-id', '100']), true);
  assert.equal(isQemuProcess('renamed', ['qemu-system-aarch64']), true); // -name process=renamed
  assert.equal(isQemuProcess('qemu-system-x86', ['custom-argv0']), true);
  assert.equal(isQemuProcess('kvm', ['/bin/sh', '/usr/local/bin/kvm']), false); // a script named kvm
  assert.equal(isQemuProcess('qemu-system-x86', []), false); // zombie
  assert.equal(isQemuProcess('bash', ['/bin/bash']), false);
  assert.equal(isQemuProcess('qemu-img', ['/usr/bin/qemu-img', 'convert']), false);
});

test('libvirt: escaped name, -uuid, JSON memory backend named by -machine memory-backend=', () => {
  assert.deepEqual(parseQemuArgv(argvOf('synthetic-libvirt/1234')), {
    name: 'foo=1,bar=2',
    uuid: 'c7a5fdbd-edaf-9455-926a-d65c16db1809',
    memoryBytes: 512 * MiB,
    source: 'libvirt',
    vmid: '',
  });
});

test('Proxmox: -id, name without guest=, uuid from -smbios type=1', () => {
  assert.deepEqual(parseQemuArgv(argvOf('synthetic-proxmox/2001'), '/qemu.slice/100.scope'), {
    name: 'web',
    uuid: '7b10d7af-b932-4c66-b2c3-3996152ec465',
    memoryBytes: 2048 * MiB,
    source: 'proxmox',
    vmid: '100',
  });
});

test('Proxmox without -name is vm<VMID>; without -id the cgroup gives the VMID', () => {
  const noName = parseQemuArgv(['/usr/bin/kvm', '-id', '101', '-m', '1024']);
  assert.equal(noName.name, 'vm101');
  assert.equal(noName.source, 'proxmox');
  const noId = parseQemuArgv(['/usr/bin/kvm', '-m', '1024'], '/qemu.slice/205.scope');
  assert.deepEqual([noId.name, noId.vmid, noId.source], ['vm205', '205', 'proxmox']);
});

test('OpenStack: libvirt domain instance-%08x, nova uuid from -uuid', () => {
  const vm = parseQemuArgv(argvOf('synthetic-openstack/3001'));
  assert.deepEqual(vm, {
    name: 'instance-0000002a',
    uuid: '2b9a0d3e-4c7f-4f0e-9d8a-5e6f7a8b9c0d',
    memoryBytes: GiB,
    source: 'openstack',
    vmid: '',
  });
  // not nova: fewer than 8 hex digits, or not hex
  assert.equal(parseQemuArgv(['qemu-system-x86_64', '-name', 'guest=instance-2a']).source, 'libvirt');
  assert.equal(parseQemuArgv(['qemu-system-x86_64', '-name', 'guest=instance-0000zz2a']).source, 'libvirt');
});

test('plain QEMU: -name NAME, or nothing', () => {
  assert.deepEqual(parseQemuArgv(['qemu-system-x86_64', '-name', 'dev', '-m', '2G']), {
    name: 'dev',
    uuid: '',
    memoryBytes: 2 * GiB,
    source: 'qemu',
    vmid: '',
  });
  assert.deepEqual(parseQemuArgv(['qemu-system-x86_64', 'disk.img']), { name: '', uuid: '', memoryBytes: 0, source: 'qemu', vmid: '' });
});

test('a libvirt machine.slice cgroup makes it libvirt and names it when argv has no name', () => {
  const vm = parseQemuArgv(['qemu-system-x86_64', '-m', '512'], '/machine.slice/machine-qemu\\x2d4\\x2ddemo.scope/libvirt/emulator');
  assert.deepEqual([vm.name, vm.source], ['qemu-4-demo', 'libvirt']);
});

// libvirt tests/virsystemdtest.c TEST_MACHINE: the machine name is lossy, so the
// command line's name always wins over the cgroup scope.
test('libvirt mangled machine names never replace the command-line name', () => {
  const cases: Array<[string, string]> = [
    ['demo', 'machine-qemu\\x2d1\\x2ddemo.scope'],
    ['demo!name', 'machine-qemu\\x2d3\\x2ddemoname.scope'],
    ['.demo', 'machine-qemu\\x2d4\\x2ddemo.scope'],
    ['bull💩', 'machine-qemu\\x2d5\\x2dbull.scope'],
    ['demo..name', 'machine-qemu\\x2d6\\x2ddemo.name.scope'],
    ['demo.-.test.', 'machine-qemu\\x2d11\\x2ddemo.test.scope'],
  ];
  for (const [name, scope] of cases) {
    const vm = parseQemuArgv(['qemu-system-x86_64', '-name', `guest=${name},debug-threads=on`], `/machine.slice/${scope}/libvirt/emulator`);
    assert.equal(vm.name, name, scope);
    assert.equal(vm.source, 'libvirt');
  }
});

test('-m forms', () => {
  assert.equal(memoryOptionBytes('512'), 512 * MiB);
  assert.equal(memoryOptionBytes('512M'), 512 * MiB);
  assert.equal(memoryOptionBytes('2G'), 2 * GiB);
  assert.equal(memoryOptionBytes('1048576k'), GiB);
  assert.equal(memoryOptionBytes('size=2G,slots=4,maxmem=8G'), 2 * GiB);
  assert.equal(memoryOptionBytes('size=524288k'), 512 * MiB);
  assert.equal(memoryOptionBytes('slots=4,maxmem=8G'), 0);
});

test('memory backends: key=value and JSON forms, non-RAM objects ignored', () => {
  assert.deepEqual(parseMemoryBackend('memory-backend-ram,id=pc.ram,size=536870912'), { id: 'pc.ram', sizeBytes: 512 * MiB });
  assert.deepEqual(parseMemoryBackend('memory-backend-file,id=ram-node0,mem-path=/dev/hugepages,size=1G,share=on'), {
    id: 'ram-node0',
    sizeBytes: GiB,
  });
  assert.deepEqual(parseMemoryBackend('{"qom-type":"memory-backend-memfd","id":"pc.ram","size":1073741824,"share":true}'), {
    id: 'pc.ram',
    sizeBytes: GiB,
  });
  assert.equal(parseMemoryBackend('{"qom-type":"secret","id":"masterKey0","format":"raw"}'), null);
  assert.equal(parseMemoryBackend('rng-random,id=objrng0,filename=/dev/urandom'), null);
  assert.equal(parseMemoryBackend('{not json'), null);
});

test('guest memory is the sum of the NUMA nodes\' backends', () => {
  const argv = [
    'qemu-system-x86_64',
    '-m', '3072',
    '-object', '{"qom-type":"memory-backend-ram","id":"ram-node0","size":2147483648}',
    '-numa', 'node,nodeid=0,cpus=0-1,memdev=ram-node0',
    '-object', 'memory-backend-ram,id=ram-node1,size=1G',
    '-numa', 'node,nodeid=1,cpus=2-3,memdev=ram-node1',
    '-object', 'memory-backend-file,id=shmem0,mem-path=/dev/shm/ivshmem,size=64M,share=on', // ivshmem: not RAM
  ];
  assert.equal(guestMemoryBytes(argv), 3 * GiB);
});

test('machine memory-backend wins over -m; unreferenced backends do not count', () => {
  const argv = (machine: string): string[] => [
    'qemu-system-x86_64',
    '-machine', machine,
    '-m', '256',
    '-object', 'memory-backend-memfd,id=mem,size=512M',
  ];
  assert.equal(guestMemoryBytes(argv('q35,memory-backend=mem')), 512 * MiB);
  assert.equal(guestMemoryBytes(argv('q35')), 256 * MiB);
  // referenced but never defined: trust -m
  assert.equal(guestMemoryBytes(argv('q35,memory-backend=other')), 256 * MiB);
});
