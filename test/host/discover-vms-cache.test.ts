// discoverVms with an IdentityCache (src/host/discover-vms.ts): a QEMU-named process's
// cmdline and cgroup are read once in its life, its identity (or "not a VM") is then
// taken from the cache, and processes gone from the stats list leave the cache.
// The cache's key is `${pid}@${startTimeTicks} ${comm}`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessStat } from '../../src/model/host.js';
import { discoverVms, processId, type IdentityCache } from '../../src/host/discover-vms.js';
import { readProcessStats } from '../../src/host/proc-stat.js';
import { FIXTURES_DIR, SYNTHETIC_CMDLINES, cmdlineText } from '../fixtures/proc/synthetic-cmdlines.js';

const tree = (scenario: string): string => join(FIXTURES_DIR, scenario);
const keyOf = (stat: ProcessStat): string => `${processId(stat)} ${stat.comm}`;

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A copy of a fixture tree that the test may change. */
function copyOf(scenario: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-discover-cache-'));
  tempDirs.push(dir);
  cpSync(tree(scenario), dir, { recursive: true });
  return dir;
}

/** Removes what discoverVms reads for each process: its cmdline and cgroup. */
function forgetProcesses(procRoot: string, stats: ProcessStat[]): void {
  for (const { pid } of stats) {
    rmSync(join(procRoot, String(pid), 'cmdline'));
    rmSync(join(procRoot, String(pid), 'cgroup'));
  }
}

test('the first call fills the cache with each QEMU-named process: its identity, or null', async () => {
  const libvirtStats = await readProcessStats(tree('synthetic-libvirt'));
  const libvirtCache: IdentityCache = new Map();
  const libvirtVms = await discoverVms(tree('synthetic-libvirt'), libvirtStats, libvirtCache);
  // bash (900) and kthreadd (2) are not QEMU-named: not candidates, not cached
  assert.deepEqual([...libvirtCache.keys()], ['1234@5000 qemu-system-x86']);
  assert.equal(libvirtCache.get('1234@5000 qemu-system-x86'), libvirtVms.get(1234));
  assert.equal(libvirtVms.get(1234)?.name, 'foo=1,bar=2');

  const proxmoxStats = await readProcessStats(tree('synthetic-proxmox'));
  const proxmoxCache: IdentityCache = new Map();
  const proxmoxVms = await discoverVms(tree('synthetic-proxmox'), proxmoxStats, proxmoxCache);
  assert.deepEqual([...proxmoxCache.keys()].sort(), proxmoxStats.map(keyOf).sort());
  assert.equal(proxmoxCache.get(keyOf(proxmoxStats.find((s) => s.pid === 2001)!)), proxmoxVms.get(2001));
  assert.equal(proxmoxVms.get(2001)?.name, 'web');
  // the shell script called kvm: read once, remembered as not a VM
  const scriptKey = keyOf(proxmoxStats.find((s) => s.pid === 2050)!);
  assert.equal(proxmoxCache.has(scriptKey), true);
  assert.equal(proxmoxCache.get(scriptKey), null);
});

test('a second call with the same cache reads nothing: same identities with cmdline and cgroup gone', async () => {
  for (const scenario of ['synthetic-libvirt', 'synthetic-proxmox', 'synthetic-openstack']) {
    const procRoot = copyOf(scenario);
    const stats = await readProcessStats(procRoot);
    const cache: IdentityCache = new Map();
    const first = await discoverVms(procRoot, stats, cache);
    assert.ok(first.size > 0, `${scenario}: a VM found`);
    const cached = new Map(cache);

    forgetProcesses(procRoot, stats);
    assert.deepEqual(await discoverVms(procRoot, stats, cache), first, `${scenario}: from the cache`);
    assert.deepEqual(cache, cached, `${scenario}: cache unchanged`);
    // without the cache there is nothing left to read
    const fresh: IdentityCache = new Map();
    assert.equal((await discoverVms(procRoot, stats, fresh)).size, 0, `${scenario}: fresh cache`);
    // a process whose cmdline could not be read is not remembered either way
    assert.equal(fresh.size, 0);
  }
});

test('a process remembered as not a VM is not read again', async () => {
  const procRoot = copyOf('synthetic-proxmox');
  const stats = await readProcessStats(procRoot);
  const cache: IdentityCache = new Map();
  assert.deepEqual([...(await discoverVms(procRoot, stats, cache)).keys()], [2001]);
  // 2050's cmdline now says QEMU: read afresh it would be a VM, from the cache it is not
  writeFileSync(join(procRoot, '2050', 'cmdline'), cmdlineText(SYNTHETIC_CMDLINES['synthetic-proxmox/2001'] ?? []));
  assert.deepEqual([...(await discoverVms(procRoot, stats, cache)).keys()], [2001]);
  assert.deepEqual([...(await discoverVms(procRoot, stats, new Map())).keys()], [2001, 2050]);
});

test('entries for processes no longer listed are pruned', async () => {
  const stats = await readProcessStats(tree('synthetic-proxmox'));
  const cache: IdentityCache = new Map();
  await discoverVms(tree('synthetic-proxmox'), stats, cache);
  assert.equal(cache.size, 2);

  const without2050 = stats.filter((s) => s.pid !== 2050);
  const vms = await discoverVms(tree('synthetic-proxmox'), without2050, cache);
  assert.deepEqual([...vms.keys()], [2001]);
  assert.deepEqual([...cache.keys()], without2050.map(keyOf));

  // a process whose comm changed (an exec) is a new key: the old one goes, the new one is read
  const execed = without2050.map((s) => ({ ...s, comm: 'qemu-system-x86' }));
  await discoverVms(tree('synthetic-proxmox'), execed, cache);
  assert.deepEqual([...cache.keys()], execed.map(keyOf));

  await discoverVms(tree('synthetic-proxmox'), [], cache);
  assert.equal(cache.size, 0);
});

test('pid reuse: the new process at an old pid is read afresh, the old entry pruned', async () => {
  const cache: IdentityCache = new Map();
  const t0 = await readProcessStats(tree('synthetic-vm-churn/t0'));
  const before = await discoverVms(tree('synthetic-vm-churn/t0'), t0, cache);
  assert.deepEqual([...cache.keys()].sort(), ['1234@5000 qemu-system-x86', '1300@5100 qemu-system-x86']);
  assert.equal(before.get(1234)?.name, 'old-vm');

  const t1 = await readProcessStats(tree('synthetic-vm-churn/t1'));
  const now = await discoverVms(tree('synthetic-vm-churn/t1'), t1, cache);
  assert.equal(now.get(1234)?.name, 'new-vm');
  assert.equal(now.has(1300), false);
  assert.deepEqual([...cache.keys()], ['1234@9000 qemu-system-x86']);
});

test('a VM whose cgroup could not be read, or known only by pid, is not cached: read again next time', async () => {
  const dir = copyOf('synthetic-libvirt');
  const stats = await readProcessStats(dir);
  rmSync(join(dir, '1234', 'cgroup'));
  const cache: IdentityCache = new Map();
  const first = await discoverVms(dir, stats, cache);
  assert.equal(first.get(1234)?.name, 'foo=1,bar=2', 'found by its argv all the same');
  assert.equal(cache.size, 0, 'not settled without its cgroup');
  // a QEMU with no name anywhere: qemu-<pid>, looked at again each interval
  writeFileSync(join(dir, '1234', 'cgroup'), '0::/user.slice\n');
  writeFileSync(join(dir, '1234', 'cmdline'), cmdlineText(['qemu-system-x86_64', '-m', '512']));
  const nameless = await discoverVms(dir, stats, cache);
  assert.equal(nameless.get(1234)?.name, 'qemu-1234');
  assert.equal(cache.size, 0, 'a pid name is not cached');
  writeFileSync(join(dir, '1234', 'cmdline'), cmdlineText(['qemu-system-x86_64', '-name', 'guest=later', '-m', '512']));
  assert.equal((await discoverVms(dir, stats, cache)).get(1234)?.name, 'later', 'the name it has by the next interval');
  assert.equal(cache.size, 1);
});

test('a known VM whose stat line names another thread as it exits stays the VM it was', async () => {
  const stats = await readProcessStats(tree('synthetic-proxmox'));
  const cache: IdentityCache = new Map();
  const first = await discoverVms(tree('synthetic-proxmox'), stats, cache);
  const vmPid = [...first.keys()][0]!;
  // seen in the lab (6.1, QEMU 7.2 exiting): comm "IO mon_iothread", cmdline empty
  const dir = copyOf('synthetic-proxmox');
  writeFileSync(join(dir, String(vmPid), 'cmdline'), '');
  const exiting = stats.map((s) => (s.pid === vmPid ? { ...s, comm: 'IO mon_iothread' } : s));
  const again = await discoverVms(dir, exiting, cache);
  assert.deepEqual(again.get(vmPid), first.get(vmPid));
  assert.equal(cache.size, 2, 'its cache entry stays while the process is listed');
  // a new process at that pid (another start time) under a non-QEMU comm is not a VM
  const reused = stats.map((s) => (s.pid === vmPid ? { ...s, comm: 'bash', startTimeTicks: s.startTimeTicks + 1 } : s));
  const after = await discoverVms(dir, reused, cache);
  assert.equal(after.has(vmPid), false);
});
