import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstOverlap, guestRamUserFaults, hotspotsOf, REGION_BYTES, topByFaults } from '../../src/aggregate/hotspots.js';
import { emptyPidCounters } from '../../src/aggregate/probe-counters.js';
import { guestPhysOfRamOffset, machineKindFromArgv, ramOffsetOfGuestPhys } from '../../src/aggregate/guest-phys.js';
import type { Mapping } from '../../src/model/host.js';
import { mulberry32 } from '../harness/seeded-random.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const map = (start: number, size: number, path: string, perms = 'rw-p'): Mapping => ({ start, end: start + size, perms, offset: 0, inode: 0, path });

const RAM = map(0x7f0000000000, 512 * MiB, '');
const MAPPINGS: Mapping[] = [
  map(0x555555554000, 4 * MiB, '/usr/bin/qemu-system-x86_64', 'r-xp'),
  map(0x555556000000, 8 * MiB, '[heap]'),
  map(0x7e0000000000, GiB, '', 'rwxp'), // TCG code cache: anonymous but not guest RAM
  RAM,
  map(0x7ffff0000000, 8 * MiB, '[stack]'),
];

test('sampled regions are scaled so hotspots add up to the exact fault count, named by mapping', () => {
  const c = emptyPidCounters();
  c.faultUser = 1000;
  const ramRegion = RAM.start / REGION_BYTES + 3;
  c.regionSamples.set(ramRegion, 30);
  c.regionSamples.set(0x555556000000 / REGION_BYTES, 10);
  c.regionSamples.set(0x7e0000000000 / REGION_BYTES, 10);
  c.regionSamples.set(0x100000000 / REGION_BYTES, 10); // unmapped since
  const hot = hotspotsOf(c, { mappings: MAPPINGS, guestRam: RAM, machine: 'pc', limit: 10 });
  assert.deepEqual(hot.map((h) => [h.region, h.faults]), [['guest-ram', 500], ['unmapped', 167], ['heap', 167], ['anon', 167]]);
  assert.equal(hot[0]!.guestPhysAddress, 3 * REGION_BYTES);
  assert.equal(hot.find((h) => h.region === 'heap')!.guestPhysAddress, -1);
  assert.equal(guestRamUserFaults(c, RAM), 500);
  assert.equal(hotspotsOf(c, { mappings: MAPPINGS, guestRam: RAM, machine: 'pc', limit: 2 }).length, 2);
});

test('no samples, no hotspots; no counters, no hotspots', () => {
  const c = emptyPidCounters();
  c.faultUser = 5;
  assert.deepEqual(hotspotsOf(c, { mappings: MAPPINGS, guestRam: RAM, machine: 'pc', limit: 5 }), []);
  assert.deepEqual(hotspotsOf(undefined, { mappings: [], guestRam: null, machine: 'pc', limit: 5 }), []);
  assert.equal(guestRamUserFaults(c, null), 0);
});

test('firstOverlap finds the mapping a region starts in or runs into', () => {
  assert.equal(firstOverlap(MAPPINGS, 0x555556000000 + MiB, 0x555556000000 + 3 * MiB)?.path, '[heap]');
  assert.equal(firstOverlap(MAPPINGS, 0x555555000000, 0x555555554000 + 1)?.path, '/usr/bin/qemu-system-x86_64');
  assert.equal(firstOverlap(MAPPINGS, 0x10000, 0x20000), null);
});

test('guest-physical layout of pc and q35 around the PCI hole', () => {
  assert.equal(machineKindFromArgv(['qemu', '-machine', 'pc,usb=off,memory-backend=pc.ram']), 'pc');
  assert.equal(machineKindFromArgv(['qemu', '-machine', 'pc-q35-8.2,usb=off']), 'q35');
  assert.equal(machineKindFromArgv(['qemu', '-M', 'microvm']), 'other');
  assert.equal(machineKindFromArgv(['qemu']), 'pc');
  assert.equal(guestPhysOfRamOffset('pc', 512 * MiB, 100 * MiB), 100 * MiB);
  assert.equal(guestPhysOfRamOffset('pc', 8 * GiB, 3 * GiB), 4 * GiB);
  assert.equal(guestPhysOfRamOffset('q35', 8 * GiB, 2 * GiB + 5), 4 * GiB + 5);
  assert.equal(ramOffsetOfGuestPhys('q35', 8 * GiB, 4 * GiB + 5), 2 * GiB + 5);
  assert.equal(ramOffsetOfGuestPhys('q35', 8 * GiB, 3 * GiB), -1); // PCI hole
  assert.equal(ramOffsetOfGuestPhys('pc', 8 * GiB, 10 * GiB), -1); // beyond RAM
});

test('topByFaults keeps the largest, ties by lower address, skips zero', () => {
  assert.deepEqual(topByFaults([{ faults: 1, startAddress: 5 }, { faults: 3, startAddress: 9 }, { faults: 3, startAddress: 2 }, { faults: 0, startAddress: 1 }], 2).map((x) => x.startAddress), [2, 9]);
  assert.deepEqual(topByFaults([{ faults: 0, startAddress: 1 }], 3), []);
});

test('hotspotsOf with a limit is the head of the full ranking, ties in map order (seeded random regions)', () => {
  const rand = mulberry32(6);
  const pick = (n: number): number => Math.floor(rand() * n);
  for (let round = 0; round < 300; round++) {
    const c = emptyPidCounters();
    c.faultUser = pick(3000);
    // few distinct counts, so ties in faults and in address (EPT faults outside RAM start at 0) are common
    for (let i = pick(40); i > 0; i--) c.regionSamples.set(RAM.start / REGION_BYTES + pick(300) - 20, pick(4));
    for (let i = pick(40); i > 0; i--) c.kvmRegions.set(pick(rand() < 0.3 ? 4096 : 300), pick(5));
    const ctx = { mappings: MAPPINGS, guestRam: rand() < 0.8 ? RAM : null, machine: 'q35' as const, limit: 1000 };
    const all = hotspotsOf(c, ctx);
    const sampled = [...c.regionSamples.values()].reduce((a, b) => a + b, 0);
    const userFaults = [...c.regionSamples.values()].map((n) => Math.round(n * (c.faultUser / sampled)));
    const positive = [...c.kvmRegions.values(), ...userFaults].filter((n) => n > 0).length;
    assert.equal(all.length, positive);
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!];
      assert.ok(a.faults > b.faults || (a.faults === b.faults && a.startAddress <= b.startAddress), `round ${round}: ${i} out of order`);
      if (a.faults === b.faults && a.startAddress === b.startAddress && a.source !== b.source) assert.equal(a.source, 'kvm'); // EPT regions come first
    }
    for (const limit of [0, 1, 3, 8]) assert.deepEqual(hotspotsOf(c, { ...ctx, limit }), all.slice(0, limit), `round ${round}, limit ${limit}`);
  }
});
