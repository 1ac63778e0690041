import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mapping } from '../../src/model/host.js';
import { classifyAddress, findGuestRam, mappingAt, parseMaps } from '../../src/host/proc-maps.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const read = (path: string): string => readFileSync(join(FIXTURES_DIR, path), 'utf8');

const anon = (start: number, bytes: number, perms = 'rw-p', path = ''): Mapping => ({
  start,
  end: start + bytes,
  perms,
  offset: 0,
  inode: 0,
  path,
});

test('real maps (sleep): every line, paths, anonymous lines with a trailing space', () => {
  const maps = parseMaps(read('real-debian12-sleep/5678/maps'));
  assert.equal(maps.length, 37);
  assert.deepEqual(maps[0], {
    start: 0x55cd8b897000,
    end: 0x55cd8b899000,
    perms: 'r--p',
    offset: 0,
    inode: 260875,
    path: '/usr/bin/sleep',
  });
  assert.equal(maps[5]?.path, '[heap]');
  assert.equal(maps[15]?.path, ''); // "7f7fa9c8b000-7f7fa9c8e000 rw-p 00000000 00:00 0 "
  assert.equal(maps[15]?.start, 0x7f7fa9c8b000);
  assert.equal(maps[17]?.offset, 0x26000);
  const vsyscall = maps[36];
  assert.equal(vsyscall?.path, '[vsyscall]');
  assert.equal(vsyscall?.start, 0xffffffffff600000); // page aligned below 2^64: exact as a double
  assert.equal(vsyscall && vsyscall.end - vsyscall.start, 4096);
});

test('paths with spaces and (deleted) are kept whole', () => {
  const maps = parseMaps('7f0000000000-7f0000200000 rw-s 00000000 00:01 4096     /memfd:my ram (deleted)\n');
  assert.equal(maps[0]?.path, '/memfd:my ram (deleted)');
  assert.deepEqual(parseMaps('garbage\n\n'), []);
});

test('libvirt fixture: guest RAM is the 512 MiB anonymous rw-p mapping', () => {
  const maps = parseMaps(read('synthetic-libvirt/1234/maps'));
  const ram = findGuestRam(maps, 512 * MiB);
  assert.equal(ram?.start, 0x7f3c40000000);
  assert.equal(ram?.end, 0x7f3c60000000);
});

test('the TCG trap: a 1 GiB rwxp code cache is not guest RAM, the 512 MiB rw-p mapping is', () => {
  const maps = [
    anon(0x7f0000000000, GiB, 'rwxp'), // TCG translated-code buffer
    anon(0x7f0040000000, 4096, '---p'),
    anon(0x7f0080000000, 512 * MiB),
    anon(0x7f00a0000000, 4096, '---p'),
  ];
  assert.equal(findGuestRam(maps, 512 * MiB)?.start, 0x7f0080000000);
  assert.equal(findGuestRam(maps, GiB), null); // a 1 GiB guest without its RAM mapping: not the code cache
});

test('no exact match gives null, never the largest mapping', () => {
  const maps = [anon(0x7f0000000000, 600 * MiB), anon(0x7f0080000000, 100 * MiB)];
  assert.equal(findGuestRam(maps, 512 * MiB), null);
  assert.equal(findGuestRam(maps, 0), null);
  assert.equal(findGuestRam([anon(0x7f0000000000, 512 * MiB, 'r--p')], 512 * MiB), null);
  assert.equal(findGuestRam([anon(0x7f0000000000, 512 * MiB, 'rw-p', '/usr/lib/big.so')], 512 * MiB), null);
});

test('several exact anonymous matches: the first (lowest address)', () => {
  const maps = [anon(0x7f0000000000, 512 * MiB), anon(0x7f0040000000, 512 * MiB)];
  assert.equal(findGuestRam(maps, 512 * MiB)?.start, 0x7f0000000000);
});

test('shared guest RAM (memfd, hugetlbfs) counts when no private anonymous mapping matches', () => {
  const memfd = anon(0x7f0080000000, 512 * MiB, 'rw-s', '/memfd:pc.ram (deleted)');
  assert.equal(findGuestRam([anon(0x7f0000000000, GiB, 'rwxp'), memfd], 512 * MiB), memfd);
  const both = [memfd, anon(0x7f00c0000000, 512 * MiB)];
  assert.equal(findGuestRam(both, 512 * MiB)?.start, 0x7f00c0000000); // anonymous rw-p first
});

test('classifyAddress: every kind of region', () => {
  const maps = parseMaps(read('synthetic-libvirt/1234/maps'));
  const ram = findGuestRam(maps, 512 * MiB);
  const at = (address: number) => classifyAddress(maps, address, ram);
  assert.deepEqual(at(0x7f3c40000000), { region: 'guest-ram', mapping: '', mappingStart: 0x7f3c40000000 });
  assert.deepEqual(at(0x7f3c5fffffff), { region: 'guest-ram', mapping: '', mappingStart: 0x7f3c40000000 });
  assert.deepEqual(at(0x7f3c60000000), { region: 'anon', mapping: '', mappingStart: 0x7f3c60000000 }); // guard page
  assert.deepEqual(at(0x55d0c9000000), { region: 'heap', mapping: '[heap]', mappingStart: 0x55d0c8a00000 });
  assert.deepEqual(at(0x7ffd0b200000), { region: 'stack', mapping: '[stack]', mappingStart: 0x7ffd0b1f1000 });
  assert.deepEqual(at(0x7f3c6a001000), {
    region: 'file',
    mapping: '/usr/lib/x86_64-linux-gnu/libc.so.6',
    mappingStart: 0x7f3c6a000000,
  });
  assert.deepEqual(at(0x7f3c68100000), { region: 'anon', mapping: '', mappingStart: 0x7f3c68000000 });
  assert.deepEqual(at(0x7ffd0b3aa000), { region: 'other', mapping: '[vdso]', mappingStart: 0x7ffd0b3aa000 });
  assert.equal(at(0x7f3c6b000000).region, 'other'); // anon_inode:kvm-vcpu:0
  assert.deepEqual(at(0x7f3c69000000), { region: 'unmapped', mapping: '', mappingStart: 0 }); // the gap after the 16 MiB arena
  assert.deepEqual(at(0x1000), { region: 'unmapped', mapping: '', mappingStart: 0 });
  assert.equal(at(0xffffffffff600000).mapping, '[vsyscall]');
});

test('classifyAddress without guest RAM, and prctl-named anonymous memory', () => {
  const maps = [anon(0x1000, 0x1000), anon(0x3000, 0x1000, 'rw-p', '[anon:glibc malloc]'), anon(0x5000, 0x1000, 'rw-p', '[stack:42]')];
  assert.equal(classifyAddress(maps, 0x1800, null).region, 'anon');
  assert.deepEqual(classifyAddress(maps, 0x3000, null), { region: 'anon', mapping: '[anon:glibc malloc]', mappingStart: 0x3000 });
  assert.equal(classifyAddress(maps, 0x5fff, null).region, 'stack');
  assert.equal(classifyAddress(maps, 0x2000, null).region, 'unmapped'); // end is exclusive
  assert.equal(classifyAddress([], 0x2000, null).region, 'unmapped');
});

test('mappingAt agrees with a linear scan on the real maps', () => {
  const maps = parseMaps(read('real-debian12-sleep/5678/maps'));
  for (const m of maps) {
    for (const address of [m.start, m.end - 1, m.end]) {
      const linear = maps.find((x) => address >= x.start && address < x.end) ?? null;
      assert.equal(mappingAt(maps, address), linear, address.toString(16));
    }
  }
});
