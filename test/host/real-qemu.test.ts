// A real QEMU (TCG) captured on the build machine while another test ran it: its
// command line mimics libvirt's (-name guest=..., memory-backend=pc.ram, 512M).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverVms } from '../../src/host/discover-vms.js';
import { classifyAddress, findGuestRam, parseMaps } from '../../src/host/proc-maps.js';
import { readProcessStats } from '../../src/host/proc-stat.js';
import { readProcessDetail } from '../../src/host/process-detail.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const MiB = 2 ** 20;
const procRoot = join(FIXTURES_DIR, 'real-debian12-qemu-tcg');

test('real QEMU: found, named, sized from its memory backend', async () => {
  const stats = await readProcessStats(procRoot);
  assert.deepEqual(stats.map((s) => [s.pid, s.comm, s.startTimeTicks]), [[10180, 'qemu-system-x86', 61366]]);
  const vms = await discoverVms(procRoot, stats);
  assert.deepEqual(vms.get(10180), {
    name: 'fl-guest-e6695f',
    uuid: 'e41bcefa-cc57-4d8a-a18e-7c7d66509543',
    memoryBytes: 512 * MiB,
    source: 'libvirt',
    vmid: '',
  });
});

test('real QEMU under TCG: guest RAM is the 512 MiB rw-p mapping, not the rwxp code cache or its 8 MiB neighbour', () => {
  const maps = parseMaps(readFileSync(join(procRoot, '10180/maps'), 'utf8'));
  assert.equal(maps.length, 317);
  const ram = findGuestRam(maps, 512 * MiB);
  assert.equal(ram?.start, 0x7eff75e00000);
  assert.equal(ram?.end, 0x7eff95e00000);
  assert.equal(classifyAddress(maps, 0x7eff96000000, ram).region, 'anon'); // tb-size=32 code cache
  assert.equal(classifyAddress(maps, 0x7eff75dff000, ram).region, 'anon'); // the mapping just below
  assert.equal(classifyAddress(maps, 0x7eff75e00000, ram).region, 'guest-ram');
});

test('real QEMU detail: status, THP from smaps_rollup, hybrid cgroup paths', async () => {
  const [stat] = await readProcessStats(procRoot);
  assert.ok(stat);
  const detail = await readProcessDetail(procRoot, join(procRoot, 'no-cgroup-tree'), stat, { memoryBytes: 512 * MiB, readNuma: true });
  assert.ok(detail);
  assert.equal(detail.status.rssBytes, 51052 * 1024);
  assert.equal(detail.status.anonBytes, 29084 * 1024);
  assert.equal(detail.anonHugeBytes, 4096 * 1024);
  assert.equal(detail.guestRam?.start, 0x7eff75e00000);
  assert.equal(detail.guestRamResidentBytes, -1); // smaps was not captured: unknown, not 0
  // no cgroup tree captured: zeros, under the v1 memory path that accounts this process
  assert.deepEqual(detail.cgroup, { path: '/process_api/94e08d457ab65ff883829e90cf2b049c', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 });
});
