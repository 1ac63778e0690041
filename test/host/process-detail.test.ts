import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ProcessStat } from '../../src/model/host.js';
import { parseCmdline, readArgv, readProcessDetail } from '../../src/host/process-detail.js';
import { readProcessStat } from '../../src/host/proc-stat.js';
import { FIXTURES_DIR, SYNTHETIC_CMDLINES } from '../fixtures/proc/synthetic-cmdlines.js';

const MiB = 2 ** 20;
const tree = (scenario: string): string => join(FIXTURES_DIR, scenario);
const cgroupRoot = (scenario: string): string => join(FIXTURES_DIR, scenario, 'sys-fs-cgroup');

async function statOf(scenario: string, pid: number): Promise<ProcessStat> {
  const stat = await readProcessStat(tree(scenario), pid);
  assert.ok(stat, `${scenario}/${pid}`);
  return stat;
}

test('parseCmdline: NUL-separated argv; empty for kernel threads', () => {
  assert.deepEqual(parseCmdline('sleep\x001000\x00'), ['sleep', '1000']);
  assert.deepEqual(parseCmdline('a b\x00\x00c\x00'), ['a b', '', 'c']);
  assert.deepEqual(parseCmdline(''), []);
});

test('readArgv: real capture, and null for a vanished pid', async () => {
  assert.deepEqual(await readArgv(tree('real-debian12-sleep'), 5678), ['sleep', '1000']);
  assert.equal(await readArgv(tree('real-debian12-sleep'), 5679), null);
});

test('libvirt VM: guest RAM, its resident bytes, THP, KSM, NUMA, cgroup v2', async () => {
  const stat = await statOf('synthetic-libvirt', 1234);
  const detail = await readProcessDetail(tree('synthetic-libvirt'), cgroupRoot('synthetic-libvirt'), stat, {
    memoryBytes: 512 * MiB,
    readNuma: true,
  });
  assert.ok(detail);
  assert.equal(detail.pid, 1234);
  assert.equal(detail.startTimeTicks, 5000);
  assert.deepEqual(detail.argv, SYNTHETIC_CMDLINES['synthetic-libvirt/1234']);
  assert.equal(detail.status.rssBytes, 181248 * 1024);
  assert.equal(detail.mappings.length, 17);
  assert.deepEqual(detail.guestRam, { start: 0x7f3c40000000, end: 0x7f3c60000000, perms: 'rw-p', offset: 0, inode: 0, path: '' });
  assert.equal(detail.guestRamResidentBytes, 128 * MiB);
  assert.equal(detail.guestRamHugeBytes, 64 * MiB);
  assert.equal(detail.anonHugeBytes, 64 * MiB);
  assert.equal(detail.ksmMergedPages, 2048);
  assert.deepEqual(detail.numa.map((n) => n.node), [0, 1]);
  assert.equal(detail.numa[0]?.bytes, 21412 * 4096);
  assert.deepEqual(detail.cgroup, {
    path: '/machine.slice/machine-qemu\\x2d1\\x2dfoo1bar2.scope/libvirt',
    limitBytes: 805306368,
    usageBytes: 190000000,
    oomKills: 1,
    limitHits: 12,
    swapBytes: 0,
  });
});

test('KSM sharing no page on the host (pages_shared 0): ksm_stat is not read, the process has none merged', async () => {
  const stat = await statOf('synthetic-libvirt', 1234);
  const read = (ksmShares?: boolean) => readProcessDetail(tree('synthetic-libvirt'), cgroupRoot('synthetic-libvirt'), stat, { memoryBytes: 512 * MiB, readNuma: false, ksmShares });
  assert.equal((await read(undefined))?.ksmMergedPages, 2048, 'by default ksm_stat is read');
  assert.equal((await read(true))?.ksmMergedPages, 2048);
  assert.equal((await read(false))?.ksmMergedPages, 0, 'the file says 2048, but no page is shared host-wide');
});

test('numa_maps is read only when asked; no guest RAM without a size', async () => {
  const stat = await statOf('synthetic-libvirt', 1234);
  const detail = await readProcessDetail(tree('synthetic-libvirt'), cgroupRoot('synthetic-libvirt'), stat, {
    memoryBytes: 0,
    readNuma: false,
  });
  assert.deepEqual(detail?.numa, []);
  assert.equal(detail?.guestRam, null);
  assert.equal(detail?.guestRamResidentBytes, 0);
});

test('Proxmox VM: 2 GiB guest RAM, KSM count from the ksm_merging_pages file (pre-6.1 ksm_stat)', async () => {
  const stat = await statOf('synthetic-proxmox', 2001);
  const detail = await readProcessDetail(tree('synthetic-proxmox'), cgroupRoot('synthetic-proxmox'), stat, {
    memoryBytes: 2048 * MiB,
    readNuma: true,
  });
  assert.equal(detail?.guestRam?.start, 0x7f1e00000000);
  assert.equal(detail?.guestRamResidentBytes, 1536 * MiB);
  assert.equal(detail?.guestRamHugeBytes, 1024 * MiB);
  assert.equal(detail?.anonHugeBytes, 1024 * MiB);
  assert.equal(detail?.ksmMergedPages, 512);
  assert.deepEqual(detail?.numa, []); // no numa_maps in this tree
  assert.equal(detail?.cgroup.path, '/qemu.slice/100.scope');
  assert.equal(detail?.cgroup.oomKills, 1);
});

test('a kernel without smaps_rollup, ksm_stat, smaps or numa_maps: zeros, guest RAM still found (v1 cgroup)', async () => {
  const stat = await statOf('synthetic-openstack', 3001);
  const detail = await readProcessDetail(tree('synthetic-openstack'), cgroupRoot('synthetic-openstack'), stat, {
    memoryBytes: 1024 * MiB,
    readNuma: true,
  });
  assert.ok(detail);
  assert.equal(detail.guestRam?.start, 0x7f5a00000000);
  assert.equal(detail.guestRamResidentBytes, -1); // no smaps to read: unknown (the collector carries a reading forward, or shows 0)
  assert.equal(detail.guestRamHugeBytes, -1);
  assert.equal(detail.anonHugeBytes, 0);
  assert.equal(detail.ksmMergedPages, 0);
  assert.equal(detail.status.swapBytes, 2048 * 1024);
  assert.equal(detail.cgroup.limitBytes, 1610612736);
  assert.equal(detail.cgroup.limitHits, 7);
});

test('a real process (sleep on Debian 12, hybrid cgroups)', async () => {
  const stat = await statOf('real-debian12-sleep', 5678);
  const detail = await readProcessDetail(tree('real-debian12-sleep'), cgroupRoot('real-debian12-sleep'), stat, {
    memoryBytes: 0,
    readNuma: true,
  });
  assert.ok(detail);
  assert.deepEqual(detail.argv, ['sleep', '1000']);
  assert.equal(detail.status.rssBytes, 1784 * 1024);
  assert.equal(detail.mappings.length, 37);
  assert.deepEqual(detail.numa, [{ node: 0, bytes: 445 * 4096 }]);
  assert.equal(detail.cgroup.path, '/process_api/0c0cbe173369f0815bad4d081a41ba6e');
  assert.equal(detail.cgroup.usageBytes, 8839168);
});

test('kernel thread: empty argv and zeros, not null', async () => {
  const stat = await statOf('synthetic-libvirt', 2);
  const detail = await readProcessDetail(tree('synthetic-libvirt'), cgroupRoot('synthetic-libvirt'), stat, {
    memoryBytes: 0,
    readNuma: false,
  });
  assert.deepEqual(detail?.argv, []);
  assert.deepEqual(detail?.mappings, []);
  assert.equal(detail?.status.rssBytes, 0);
});

test('pid reused between reads (start time changed): null', async () => {
  const before = await statOf('synthetic-vm-churn/t0', 1234);
  const detail = await readProcessDetail(tree('synthetic-vm-churn/t1'), cgroupRoot('synthetic-vm-churn/t1'), before, {
    memoryBytes: 512 * MiB,
    readNuma: false,
  });
  assert.equal(detail, null);
  // the same pid with its own start time reads fine
  const after = await statOf('synthetic-vm-churn/t1', 1234);
  const fresh = await readProcessDetail(tree('synthetic-vm-churn/t1'), cgroupRoot('synthetic-vm-churn/t1'), after, {
    memoryBytes: 512 * MiB,
    readNuma: false,
  });
  assert.equal(fresh?.startTimeTicks, 9000);
});

test('process gone (VM exited): null, no throw', async () => {
  const gone = await statOf('synthetic-vm-churn/t0', 1300);
  const detail = await readProcessDetail(tree('synthetic-vm-churn/t1'), cgroupRoot('synthetic-vm-churn/t1'), gone, {
    memoryBytes: 512 * MiB,
    readNuma: true,
  });
  assert.equal(detail, null);
});
