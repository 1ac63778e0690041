import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anonHugeBytesOfSmaps, pagesOfMapping, parseSmapsRollup, residentBytesOfMapping } from '../../src/host/smaps.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const read = (path: string): string => readFileSync(join(FIXTURES_DIR, path), 'utf8');

test('real smaps_rollup (sleep)', () => {
  assert.deepEqual(parseSmapsRollup(read('real-debian12-sleep/5678/smaps_rollup')), {
    rssBytes: 1784 * 1024,
    anonHugeBytes: 0,
    anonBytes: 108 * 1024,
    swapBytes: 0,
  });
});

test('QEMU smaps_rollup with THP and swap', () => {
  assert.deepEqual(parseSmapsRollup(read('synthetic-libvirt/1234/smaps_rollup')), {
    rssBytes: 181248 * 1024,
    anonHugeBytes: 65536 * 1024,
    anonBytes: 155280 * 1024,
    swapBytes: 1024 * 1024,
  });
  assert.deepEqual(parseSmapsRollup(''), { rssBytes: 0, anonHugeBytes: 0, anonBytes: 0, swapBytes: 0 });
});

test('resident bytes of one mapping from a real smaps (sleep heap: 16 kB)', () => {
  const smaps = read('real-debian12-sleep/5678/smaps');
  assert.equal(residentBytesOfMapping(smaps, 0x55cd99898000), 16 * 1024);
  assert.equal(residentBytesOfMapping(smaps, 0x55cd8b897000), 8 * 1024); // first block in the file
});

test('guest RAM resident bytes, not its neighbours', () => {
  const smaps = read('synthetic-libvirt/1234/smaps');
  assert.equal(residentBytesOfMapping(smaps, 0x7f3c40000000), 131072 * 1024);
  assert.equal(residentBytesOfMapping(smaps, 0x7f3c3fe00000), 2048 * 1024);
  assert.equal(residentBytesOfMapping(smaps, 0x7f3c60000000), 0);
  assert.equal(residentBytesOfMapping(smaps, 0x7f3c50000000), 0); // inside a mapping, not a start
  assert.equal(residentBytesOfMapping('', 0x1000), 0);
});

test('guest RAM in huge pages: THP of the mapping, not the process\'s', () => {
  const smaps = read('synthetic-libvirt/1234/smaps');
  assert.deepEqual(pagesOfMapping(smaps, 0x7f3c40000000), { residentBytes: 131072 * 1024, hugeBytes: 65536 * 1024 });
  assert.deepEqual(pagesOfMapping(smaps, 0x7f3c3fe00000), { residentBytes: 2048 * 1024, hugeBytes: 0 });
  assert.deepEqual(pagesOfMapping('', 0x1000), { residentBytes: 0, hugeBytes: 0 });
});

test('guest RAM on hugetlbfs or in a memfd: its Hugetlb and PmdMapped lines are huge pages (hand-made blocks)', () => {
  const hugetlb = '7f0000000000-7f0040000000 rw-p 00000000 00:2f 1234 /dev/hugepages/qemu_back_mem.pc.ram.XXXX (deleted)\n'
    + 'Size: 1048576 kB\nRss: 0 kB\nAnonHugePages: 0 kB\nShmemPmdMapped: 0 kB\nFilePmdMapped: 0 kB\nShared_Hugetlb: 0 kB\nPrivate_Hugetlb: 524288 kB\n';
  assert.deepEqual(pagesOfMapping(hugetlb, 0x7f0000000000), { residentBytes: 524288 * 1024, hugeBytes: 524288 * 1024 });
  const memfd = '7f0000000000-7f0040000000 rw-s 00000000 00:01 77 /memfd:pc.ram (deleted)\n'
    + 'Size: 1048576 kB\nRss: 262144 kB\nAnonHugePages: 0 kB\nShmemPmdMapped: 196608 kB\nFilePmdMapped: 0 kB\nShared_Hugetlb: 0 kB\nPrivate_Hugetlb: 0 kB\n';
  assert.deepEqual(pagesOfMapping(memfd, 0x7f0000000000), { residentBytes: 262144 * 1024, hugeBytes: 196608 * 1024 });
});

test('low addresses are zero-padded to 8 digits in smaps headers', () => {
  const smaps = '00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\nSize: 328 kB\nRss: 300 kB\n';
  assert.equal(residentBytesOfMapping(smaps, 0x400000), 300 * 1024);
});

test('a block without an Rss line does not borrow the next block\'s', () => {
  const smaps = '00001000-00002000 rw-p 00000000 00:00 0\nSize: 4 kB\n00003000-00004000 rw-p 00000000 00:00 0\nRss: 4 kB\n';
  assert.equal(residentBytesOfMapping(smaps, 0x1000), 0);
  assert.equal(residentBytesOfMapping(smaps, 0x3000), 4096);
});

test('AnonHugePages of a whole smaps equals its smaps_rollup (QEMU with THP; sleep without)', () => {
  const rollupOf = (dir: string): number => parseSmapsRollup(read(`${dir}/smaps_rollup`)).anonHugeBytes;
  assert.equal(anonHugeBytesOfSmaps(read('synthetic-libvirt/1234/smaps')), rollupOf('synthetic-libvirt/1234'));
  assert.ok(rollupOf('synthetic-libvirt/1234') > 0);
  assert.equal(anonHugeBytesOfSmaps(read('real-debian12-sleep/5678/smaps')), rollupOf('real-debian12-sleep/5678'));
  assert.equal(anonHugeBytesOfSmaps(''), 0);
});
