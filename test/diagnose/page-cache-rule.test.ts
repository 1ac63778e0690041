// The page-cache rule (src/diagnose/page-cache-rule.ts) on synthetic snapshots (every
// number here is synthetic): kswapd reclaiming page cache at its threshold and just
// past it, the page cache refilled at its threshold and just past it, swap-outs and
// shmem growth taken out, the reader's stalls and PSI full at their critical levels and
// just past them, the causes it explains ranked below it, the remedy for a process, a
// VM and no known reader. The real counterpart:
// test/kernel/diagnosis-page-cache.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/model/snapshot.js';
import { frameToJson } from '../../src/proto/codec.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS, thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { syntheticSnapshots } from '../record/synthetic-snapshots.js';

const GiB = 2 ** 30;
const T = DEFAULT_THRESHOLDS;
/** 100 MiB/s in 4 KiB pages: the default threshold, exactly. */
const AT_THRESHOLD_PAGES = 25_600;

interface Options {
  /** pgsteal_kswapd per 1 s snapshot (and pgscan_kswapd the same) */
  kswapdPages: number;
  directPages?: number;
  pswpout?: number;
  /** Cached of the last snapshot less the first's (the others in between: the first's) */
  cacheChangeBytes?: number;
  /** how much the first VM's shmem grows from the first snapshot to the last */
  shmemGrowthBytes?: number;
  /** the direct-reclaim stall ns per snapshot of the first process, and of the first VM */
  processStallNs?: number;
  vmStallNs?: number;
  snapshots?: number;
  psiSome?: number;
  psiFull?: number;
  /** kswapd's run time per 1 s snapshot */
  kswapdRunNs?: number;
}

/** 1 s snapshots of a VM and a process on a 64 GiB host with 40 GiB available, 8 GiB
 * cached, and the reclaim of `o`. */
function window(o: Options): Snapshot[] {
  const n = o.snapshots ?? 10;
  return [...syntheticSnapshots({ vms: 1, processes: 1, snapshots: n, activity: 'idle', seed: 7 })].map((s, i) => {
    const snapshot = (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot;
    const cachedBytes = 8 * GiB + (i === n - 1 ? (o.cacheChangeBytes ?? 0) : 0);
    snapshot.host = { ...snapshot.host, memTotalBytes: 64 * GiB, memAvailableBytes: 40 * GiB, cachedBytes, psiMemSomeAvg10: o.psiSome ?? 0, psiMemFullAvg10: o.psiFull ?? 0, kswapdRunNs: o.kswapdRunNs ?? 0 };
    snapshot.host.vmstat = {
      ...snapshot.host.vmstat,
      pswpin: 0, pswpout: o.pswpout ?? 0, zswpin: 0, zswpout: 0,
      pgscanKswapd: o.kswapdPages, pgstealKswapd: o.kswapdPages,
      pgscanDirect: o.directPages ?? 0, pgstealDirect: o.directPages ?? 0,
    };
    snapshot.events = [];
    for (const v of snapshot.vms) {
      const ns = (v.kind === 'vm' ? o.vmStallNs : o.processStallNs) ?? 0;
      v.reclaim = { ...v.reclaim, stalls: ns > 0 ? 10 : 0, directStalls: ns > 0 ? 10 : 0, memcgStalls: 0, stallNs: ns };
      v.rss = { ...v.rss, shmemBytes: v.kind === 'vm' && i === n - 1 ? (o.shmemGrowthBytes ?? 0) : 0 };
      v.memoryBytes = v.kind === 'vm' ? 8 * GiB : 0;
      v.cgroup = { ...v.cgroup, limitBytes: 0 };
      v.leak = { ...v.leak, verdict: 'ok' };
    }
    return snapshot;
  });
}

const pageCache = (w: Snapshot[], t = T) => diagnose(w, t).causes.filter((c) => c.cause === 'page-cache');

test('page-cache: kswapd reclaiming page cache above 100 MiB/s; at 100 MiB/s, nothing', () => {
  assert.deepEqual(pageCache(window({ kswapdPages: AT_THRESHOLD_PAGES, processStallNs: 1e6 })), []);
  const w = window({ kswapdPages: AT_THRESHOLD_PAGES + 1, directPages: 500, processStallNs: 1e6 });
  const d = diagnose(w, T);
  const proc = w.at(-1)!.vms.find((v) => v.kind === 'process')!;
  assert.deepEqual(d.causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`), [`warning page-cache ${proc.name}`]);
  const c = d.causes[0]!;
  assert.equal(c.pid, proc.pid);
  assert.equal(c.title, `page cache churning: kswapd reclaims 100 MiB/s of it (above 100 MiB/s); ${proc.name} (pid ${proc.pid}) stalls most in direct reclaim`);
  assert.deepEqual(c.evidence, [
    // 9 snapshots after the first: (25,601 + 500) x 9 pages of 4 KiB evicted, Cached flat
    'page cache (Cached) 8 GiB, 12.5% of RAM: 918 MiB of it evicted and 918 MiB read in over 9 s, all of it replaced every 1.34 min',
    'kswapd scanned 25.6k pages/s, reclaimed 25.6k pages/s; direct reclaim scanned 500 pages/s, reclaimed 500 pages/s, over 10 s',
    `${proc.name} (pid ${proc.pid}) stalled in direct reclaim 100 times, 10 ms in all (1 ms per second)`,
  ]);
  assert.match(c.remedy, new RegExp(`^limit ${proc.name} \\(pid ${proc.pid}\\)'s page cache: .*memory\\.high.*systemd-run --scope -p MemoryHigh=1G CMD.*O_DIRECT.*POSIX_FADV_DONTNEED`));
  // the rate against its threshold, plus 1 ms/s of stalls against reclaim-stall's 10 ms/s
  assert.ok(Math.abs(c.score - (25_601 / 25_600 + 0.1)) < 1e-9, `score ${c.score}`);
  // another threshold moves it
  assert.deepEqual(pageCache(w, thresholdsFrom({ pageCacheReclaimWarningMiBPerSec: 200 }, 'test')), []);
});

test('page-cache: pages that went to swap are not page cache', () => {
  // 30,000 pages/s reclaimed by kswapd, 4,400 of them swapped out: 25,600 of page cache
  assert.deepEqual(pageCache(window({ kswapdPages: 30_000, pswpout: 4_400 })), []);
  assert.equal(pageCache(window({ kswapdPages: 30_000, pswpout: 4_399 })).length, 1);
});

test('page-cache: only when more than 50% of what was reclaimed came back as page cache; at 50%, nothing', () => {
  // 30,000 pages a snapshot, 9 snapshots after the first: 1,105,920,000 bytes evicted
  const evicted = 30_000 * 9 * 4096;
  assert.deepEqual(pageCache(window({ kswapdPages: 30_000, cacheChangeBytes: -evicted / 2 })), []);
  assert.equal(pageCache(window({ kswapdPages: 30_000, cacheChangeBytes: -evicted / 2 + 4096 })).length, 1);
  // the page cache shrank by all that was evicted: pushed out by something else
  assert.deepEqual(pageCache(window({ kswapdPages: 30_000, cacheChangeBytes: -evicted })), []);
  // Cached grew by as much, but it was a VM's shmem (memfd guest RAM) that grew
  assert.equal(pageCache(window({ kswapdPages: 30_000, cacheChangeBytes: 0 })).length, 1);
  assert.deepEqual(pageCache(window({ kswapdPages: 30_000, cacheChangeBytes: 0, shmemGrowthBytes: evicted })), []);
  assert.deepEqual(pageCache(window({ kswapdPages: 30_000 }), thresholdsFrom({ pageCacheRefilledPct: 100 }, 'test')), []);
});

test('page-cache: memcg reclaim alone (direct, no kswapd) is a cgroup reclaiming its own cache', () => {
  assert.deepEqual(pageCache(window({ kswapdPages: 0, directPages: 1_000_000, processStallNs: 5e7 })), []);
});

test('page-cache: one snapshot is not enough to say', () => {
  assert.deepEqual(pageCache(window({ kswapdPages: 1_000_000, snapshots: 1 })), []);
  assert.equal(pageCache(window({ kswapdPages: 1_000_000, snapshots: 2 })).length, 1);
});

test('page-cache: critical when the reader stalls past 100 ms per second; at 100, a warning', () => {
  // 10 snapshots of 100 ms: 100 ms per second; the reclaim-stall rule says the same
  const at = pageCache(window({ kswapdPages: 100_000, processStallNs: 1e8 }));
  assert.equal(at[0]!.severity, 'warning');
  const past = diagnose(window({ kswapdPages: 100_000, processStallNs: 1e8 + 10 }), T);
  assert.deepEqual(past.causes.map((c) => `${c.severity} ${c.cause}`), ['critical page-cache', 'critical reclaim-stall'], 'the cause ranks above its symptom');
  assert.match(past.causes[0]!.evidence[2]!, /\(100 ms per second, above 100\)$/);
});

test('page-cache: critical when PSI full passes 5%, ranked above the pressure and kswapd it explains; at 5%, a warning', () => {
  assert.equal(pageCache(window({ kswapdPages: 30_000, psiSome: 8, psiFull: 5 }))[0]!.severity, 'warning');
  const d = diagnose(window({ kswapdPages: 30_000, psiSome: 8, psiFull: 5.1, kswapdRunNs: 9e8, processStallNs: 2e7 }), T);
  assert.deepEqual(d.causes.map((c) => `${c.severity} ${c.cause}`), ['critical page-cache', 'critical pressure', 'warning reclaim-stall', 'warning kswapd-busy']);
  assert.equal(d.causes[0]!.evidence.at(-1), 'tasks stalled on memory (PSI avg10): some 8%, full 5.1% (above 5%)');
  // PSI some past its warning level: a warning, still above the pressure warning
  const some = diagnose(window({ kswapdPages: 30_000, psiSome: 40 }), T);
  assert.deepEqual(some.causes.map((c) => `${c.severity} ${c.cause}`), ['warning page-cache', 'warning pressure']);
  assert.equal(some.causes[0]!.evidence.at(-1), 'tasks stalled on memory (PSI avg10): some 40%, full 0%');
});

test('page-cache: a VM reading through the host page cache gets cache=none; the longest staller is named', () => {
  const w = window({ kswapdPages: 200_000, vmStallNs: 3e6, processStallNs: 1e6 });
  const vm = w.at(-1)!.vms.find((v) => v.kind === 'vm')!;
  const proc = w.at(-1)!.vms.find((v) => v.kind === 'process')!;
  const c = pageCache(w)[0]!;
  assert.equal(c.pid, vm.pid);
  assert.match(c.title, new RegExp(`; ${vm.name} \\(VM\\) stalls most in direct reclaim$`));
  assert.equal(c.evidence[3], `also stalled in direct reclaim: ${proc.name} (pid ${proc.pid}) 10 ms`);
  // synthetic VMs are libvirt's
  assert.match(c.remedy, new RegExp(`cache='none' io='native', \`virsh edit ${vm.name}\`: cache='none' io='native' in each <disk>'s <driver>, then restart it; the guest keeps its own page cache$`));
});

test('page-cache: no row stalled: the host is the subject and the reader unknown', () => {
  const c = pageCache(window({ kswapdPages: 200_000 }))[0]!;
  assert.equal(c.subject, 'host');
  assert.equal(c.pid, 0);
  assert.match(c.title, /^page cache churning: kswapd reclaims 781 MiB\/s of it \(above 100 MiB\/s\)$/);
  assert.match(c.evidence[2]!, /^no VM or process with a row stalled in direct reclaim/);
  assert.match(c.remedy, /^find the reader/);
});

test('page-cache thresholds: percentages stop at 100, rates do not go negative', () => {
  assert.throws(() => thresholdsFrom({ pageCacheRefilledPct: 101 }, 'f.json'), /pageCacheRefilledPct must be a number from 0 to 100/);
  assert.throws(() => thresholdsFrom({ pageCacheReclaimWarningMiBPerSec: -1 }, 'f.json'), /pageCacheReclaimWarningMiBPerSec must be a number/);
});
