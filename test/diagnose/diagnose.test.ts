// The diagnosis engine on synthetic snapshots (test/record/synthetic-snapshots.ts,
// changed by hand per case: every number here is synthetic). Each threshold is
// checked at its boundary: at the threshold nothing is said, just past it the cause
// is there, with its severity, subject and remedy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model/snapshot.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS, readThresholds, thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { renderDiagnosis } from '../../src/diagnose/render-diagnosis.js';
import { parseAt } from '../../src/cli/diagnose-command.js';
import { idleWindow } from './idle-window.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const T = DEFAULT_THRESHOLDS;

const causesOf = (w: Snapshot[]) => diagnose(w, T).causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`);

test('an idle host is healthy, in one line', () => {
  const d = diagnose(idleWindow(), T);
  assert.equal(d.status, 'healthy');
  assert.deepEqual(d.causes, []);
  assert.equal(renderDiagnosis(d), 'healthy: 40 GiB of 64 GiB available; no OOM kill, paging, pressure and reclaim stalls under their thresholds over 10 s\n');
  assert.equal(d.window.snapshots, 10);
});

test('host memory: warning below 20% available, critical above 85% used; at the thresholds, nothing', () => {
  const at = (availablePct: number) => idleWindow().map((s) => ({ ...s, host: { ...s.host, memAvailableBytes: (64 * GiB * availablePct) / 100 } }));
  assert.deepEqual(causesOf(at(20)), []);
  assert.deepEqual(causesOf(at(19.9)), ['warning memory-low host']);
  assert.deepEqual(causesOf(at(15)), ['warning memory-low host'], '85% used is the threshold itself');
  const critical = diagnose(at(14.9), T);
  assert.equal(critical.status, 'critical');
  assert.match(critical.headline, /^critical: host memory 85\.1% used \(above 85%\)$/);
  // the remedy names the largest VM in its manager's words (synthetic VMs are libvirt's)
  const largest = critical.causes[0]!.evidence[1]!;
  assert.match(largest, /^largest: /);
  assert.match(critical.causes[0]!.remedy, /virsh setmem \S+ \d+M --live/);
});

test('paging: more than 10 pages/s in and out over the window', () => {
  const paging = (pagesPerInterval: number) => idleWindow().map((s) => ({ ...s, host: { ...s.host, vmstat: { ...s.host.vmstat, pswpin: pagesPerInterval / 2, pswpout: pagesPerInterval / 2 } } }));
  assert.deepEqual(causesOf(paging(10)), []);
  const w = paging(12);
  w.at(-1)!.vms[0]!.rss = { ...w.at(-1)!.vms[0]!.rss, swapBytes: 300 * MiB };
  const d = diagnose(w, T);
  assert.deepEqual(d.causes.map((c) => c.cause), ['paging']);
  assert.match(d.causes[0]!.title, /the host is paging: 12 pages\/s/);
  assert.match(d.causes[0]!.evidence.join('\n'), /swapped out: .* 300 MiB/);
  assert.match(d.causes[0]!.remedy, /stops swapping/);
  // zswap traffic alone is paging too (the pool is in RAM, the pages are still out)
  const zswap = idleWindow().map((s) => ({ ...s, host: { ...s.host, vmstat: { ...s.host.vmstat, zswpin: 5, zswpout: 6, zswpwb: 1 } } }));
  const z = diagnose(zswap, T);
  assert.deepEqual(z.causes.map((c) => c.cause), ['paging']);
  assert.match(z.causes[0]!.title, /the host is paging: 11 pages\/s to and from swap and zswap \(above 10\)/);
  assert.match(z.causes[0]!.evidence[0]!, /5 pages\/s in, 6 pages\/s out over 10 s \(zswap: 5 in, 6 out, 1 written back per second\)/);
  // the pool's size and what it holds: its compression ratio
  const pooled = zswap.map((s) => ({ ...s, host: { ...s.host, swapTotalBytes: GiB, swapUsedBytes: 0, zswapBytes: 100 * MiB, zswappedBytes: 310 * MiB } }));
  assert.equal(diagnose(pooled, T).causes[0]!.evidence[1], 'swap used 0 B of 1 GiB, zswap pool 100 MiB holding 310 MiB (compressed 3.1:1)');
});

test('reclaim stalls per subject: warning past 10 ms/s, critical past 100 ms/s; memcg stalls point at the cgroup', () => {
  const stalled = (msPerSec: number, memcg: boolean) => idleWindow().map((s) => {
    const vms = s.vms.map((v, i) => (i === 1 ? {
      ...v,
      reclaim: { ...v.reclaim, stalls: 1, stallNs: msPerSec * 1e6, memcgStalls: memcg ? 1 : 0, directStalls: memcg ? 0 : 1 },
      cgroup: memcg ? { ...v.cgroup, path: '/machine.slice/x.scope', limitBytes: 4 * GiB, usageBytes: GiB } : v.cgroup,
    } : v));
    return { ...s, vms };
  });
  assert.deepEqual(causesOf(stalled(10, false)), []);
  const w = stalled(11, false);
  const name = w[0]!.vms[1]!.name;
  assert.deepEqual(causesOf(w), [`warning reclaim-stall ${name}`]);
  assert.match(diagnose(w, T).causes[0]!.remedy, /the host is short of memory/);
  assert.deepEqual(causesOf(stalled(100, true)), [`warning reclaim-stall ${name}`]);
  const critical = diagnose(stalled(101, true), T).causes[0]!;
  assert.equal(critical.severity, 'critical');
  assert.match(critical.title, /stalled in its cgroup's reclaim 101 ms per second/);
  assert.match(critical.remedy, /raise \/machine\.slice\/x\.scope's limit \(4 GiB now\)/);
});

test('a memory cgroup past 90% of its limit; a limit at or above RAM is no limit', () => {
  const near = (usagePct: number, limitBytes = GiB) => idleWindow().map((s) => ({
    ...s,
    vms: s.vms.map((v, i) => (i === 3 ? { ...v, cgroup: { ...v.cgroup, path: '/hog', limitBytes, usageBytes: (limitBytes * usagePct) / 100, limitHits: s.seq } } : v)),
  }));
  assert.deepEqual(causesOf(near(90)), []);
  const d = diagnose(near(90.5), T);
  assert.deepEqual(d.causes.map((c) => c.cause), ['cgroup-near-limit']);
  assert.match(d.causes[0]!.evidence[0]!, /cgroup \/hog: usage 927 MiB of limit 1 GiB, limit hit 9 times in the window/);
  assert.match(d.causes[0]!.remedy, /raise \/hog's limit \(memory\.max on cgroup v2, memory\.limit_in_bytes on v1\)/);
  assert.deepEqual(causesOf(near(99, 64 * GiB)), []);
});

test('a memory cgroup near its limit with no row of its own is judged from the host\'s cgroup scan; one with a row is not said twice', () => {
  const scanned = (usagePct: number, path = '/system.slice/build.service') => idleWindow().map((s) => ({
    ...s, host: { ...s.host, limitedCgroups: [{ path, limitBytes: GiB, usageBytes: (GiB * usagePct) / 100, oomKills: 0, limitHits: 4, swapBytes: 0 }] },
  }));
  assert.deepEqual(causesOf(scanned(90)), []);
  const d = diagnose(scanned(95), T);
  assert.deepEqual(d.causes.map((c) => `${c.cause} ${c.subject} ${c.pid}`), ['cgroup-near-limit /system.slice/build.service 0']);
  assert.match(d.causes[0]!.title, /^memory cgroup \/system\.slice\/build\.service is at 95% of its limit \(above 90%\)$/);
  // the same cgroup as a row's: the row's cause stands alone
  const w = scanned(95, '/hog');
  for (const s of w) s.vms[3] = { ...s.vms[3]!, cgroup: { path: '/hog', limitBytes: GiB, usageBytes: 0.95 * GiB, oomKills: 0, limitHits: 4, swapBytes: 0 } };
  assert.deepEqual(diagnose(w, T).causes.map((c) => `${c.cause} ${c.pid}`), [`cgroup-near-limit ${w[0]!.vms[3]!.pid}`]);
});

test('memory-low with a hugetlb pool: the pool is named, and its free pages are the first remedy', () => {
  // 64 GiB host, 12.5% available; a 2 MiB-page pool of 40 GiB, 8 GiB of it free
  const pooled = (freeGiB: number) => idleWindow().map((s) => ({ ...s, host: { ...s.host, memAvailableBytes: 8 * GiB, hugetlbBytes: 40 * GiB, hugetlbFreeBytes: freeGiB * GiB, hugepageSizeBytes: 2 * MiB } }));
  const c = diagnose(pooled(8), T).causes[0]!;
  assert.equal(c.cause, 'memory-low');
  assert.equal(c.evidence[2], 'hugetlb pools hold 40 GiB (62.5% of RAM, used whether mapped or not), 8 GiB of it free');
  assert.match(c.remedy, /^shrink the hugetlb pool: 8 GiB of it is free \(4096 pages of 2 MiB\): `echo \$\(\( \$\(cat \/proc\/sys\/vm\/nr_hugepages\) - 4096 \)\) > \/proc\/sys\/vm\/nr_hugepages`; then /);
  // a free part below 5% of RAM: the usual remedy, the pool still named
  const small = diagnose(pooled(3), T).causes[0]!;
  assert.match(small.remedy, /^free memory on the host: shrink the largest/);
  assert.match(small.evidence[2]!, /3 GiB of it free$/);
});

test('overcommit past 100% of RAM, with what KSM and swap give back', () => {
  const over = (gibPerVm: number) => idleWindow().map((s) => ({ ...s, vms: s.vms.map((v) => (v.kind === 'vm' ? { ...v, memoryBytes: gibPerVm * GiB, ksmMergedPages: 1024 } : v)) }));
  assert.deepEqual(causesOf(over(32)), []);
  const d = diagnose(over(33), T);
  assert.deepEqual(d.causes.map((c) => c.cause), ['overcommit']);
  assert.match(d.causes[0]!.title, /VMs are configured with 103\.1% of RAM/);
  assert.match(d.causes[0]!.evidence[1]!, /KSM merged 8 MiB/);
  // with the host's KSM and THP settings known: say them, and offer KSM when it is off
  const known = over(33).map((s) => ({ ...s, host: { ...s.host, ksmState: 'off', ksmPagesSharing: 0, ksmPagesShared: 0, thpEnabled: 'madvise', thpDefrag: 'madvise' } }));
  const k = diagnose(known, T).causes[0]!;
  assert.match(k.evidence[1]!, /given back: KSM off, merged 8 MiB/);
  assert.equal(k.evidence[2], 'THP madvise, defrag madvise');
  assert.match(k.remedy, /KSM is off: `echo 1 > \/sys\/kernel\/mm\/ksm\/run` merges identical guest pages/);
  // KSM on: what it saved host-wide, as a share of the excess (2 x 33 GiB - 64 GiB = 2 GiB)
  const on = over(33).map((s) => ({ ...s, host: { ...s.host, ksmState: 'on', ksmPagesSharing: 131072, ksmPagesShared: 100, ksmdCpuMs: 100 } }));
  assert.match(diagnose(on, T).causes[0]!.evidence[1]!, /^given back: KSM on, merged 8 MiB \(pages_sharing 131072, 512 MiB saved host-wide\), 25% of the excess, ksmd using 10% of a CPU, swap used /);
});

test('kswapd busy more than 50% of the window (the nodes\' kswapd summed)', () => {
  const busy = (nsPerInterval: number) => idleWindow().map((s) => ({ ...s, host: { ...s.host, kswapdRunNs: nsPerInterval, kswapdWakes: 3, vmstat: { ...s.host.vmstat, pgscanKswapd: 5000, pgstealKswapd: 4000 } } }));
  assert.deepEqual(causesOf(busy(500e6)), []);
  const d = diagnose(busy(510e6), T);
  assert.deepEqual(d.causes.map((c) => c.cause), ['kswapd-busy']);
  assert.match(d.causes[0]!.title, /kswapd reclaiming 51% of the time \(above 50%\)/);
  assert.match(d.causes[0]!.evidence[0]!, /woke 30 times; scanned 5000 pages\/s, reclaimed 4000 pages\/s/);
});

test('PSI: some above 10% warns, full above 5% is critical', () => {
  const psi = (some: number, full: number) => idleWindow().map((s) => ({ ...s, host: { ...s.host, psiMemSomeAvg10: some, psiMemFullAvg10: full } }));
  assert.deepEqual(causesOf(psi(10, 5)), []);
  assert.deepEqual(causesOf(psi(10.1, 5)), ['warning pressure host']);
  assert.deepEqual(causesOf(psi(10, 5.1)), ['critical pressure host']);
});

test('an OOM kill: critical, host or cgroup limit told apart; ranked before warnings', () => {
  const w = idleWindow();
  const victim = w[5]!.vms[3]!;
  w[5]!.events = [{ type: 'oom-kill', timeMs: w[5]!.timeMs, pid: victim.pid, vmId: victim.id, comm: victim.comm, message: 'OOM killer chose x', anonRssBytes: 0, fileRssBytes: 0, shmemRssBytes: 0, durationNs: 0, count: 0, group: '' }];
  for (const s of w) s.host = { ...s.host, memAvailableBytes: 12 * GiB }; // a warning too
  const d = diagnose(w, T);
  assert.deepEqual(d.causes.map((c) => `${c.severity} ${c.cause}`), ['critical oom-kill', 'warning memory-low']);
  assert.match(d.causes[0]!.title, /was OOM-killed by the host running out of memory/);
  for (const s of w) for (const v of s.vms) if (v.pid === victim.pid) v.cgroup = { ...v.cgroup, path: '/hog', limitBytes: 64 * MiB };
  assert.match(diagnose(w, T).causes[0]!.title, /was OOM-killed at its cgroup's limit \(\/hog\)/);
});

test('a leak verdict names the process and the deep mode; faultline and its bpftrace are never a cause', () => {
  const w = idleWindow();
  const last = w.at(-1)!;
  const leaker = last.vms[2]!;
  leaker.leak = { verdict: 'leak', growthBytesPerSec: 8 * MiB, windowMs: 600_000, fit: 0.99 };
  last.vms.push({ ...leaker, id: '999@1', pid: 999, name: 'faultline record', cgroup: { ...leaker.cgroup, path: '/x', limitBytes: MiB, usageBytes: MiB } });
  last.vms.push({ ...leaker, id: '998@1', pid: 998, name: 'bpftrace (faultline growth)' });
  const d = diagnose(w, T);
  assert.deepEqual(d.causes.map((c) => `${c.cause} ${c.pid}`), [`leak ${leaker.pid}`]);
  assert.match(d.causes[0]!.remedy, new RegExp(`sudo faultline leaks --pid ${leaker.pid}`));
});

test('thresholds: a file changes some; unknown keys, bad numbers and non-JSON are clear errors', (t) => {
  assert.equal(thresholdsFrom({ hostAvailableWarningPct: 30 }, 'x').hostAvailableWarningPct, 30);
  assert.equal(thresholdsFrom({}, 'x').cgroupNearLimitPct, 90);
  assert.throws(() => thresholdsFrom({ hostAvailablePct: 30 }, 'f.json'), /f\.json: unknown threshold "hostAvailablePct"/);
  assert.throws(() => thresholdsFrom({ cgroupNearLimitPct: 120 }, 'f.json'), /cgroupNearLimitPct must be a number from 0 to 100, not 120/);
  assert.throws(() => thresholdsFrom({ psiSomeWarningPct: '10' }, 'f.json'), /not "10"/);
  assert.throws(() => thresholdsFrom([], 'f.json'), /must be a JSON object/);
  assert.throws(() => thresholdsFrom({ reclaimStallCriticalMsPerSec: 5 }, 'f.json'), /below reclaimStallWarningMsPerSec/);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-thresholds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.json'), '{ nope');
  assert.throws(() => readThresholds(join(dir, 'bad.json')), /not JSON/);
  assert.throws(() => readThresholds(join(dir, 'missing.json')), /ENOENT/);
  writeFileSync(join(dir, 'ok.json'), '{"hostAvailableWarningPct": 70}');
  const w = idleWindow(); // 62.5% available
  assert.deepEqual(diagnose(w, readThresholds(join(dir, 'ok.json'))).causes.map((c) => c.cause), ['memory-low']);
});

test('--at: ISO times, UTC clock times on the recording\'s day, +DUR from its start', () => {
  const start = Date.UTC(2026, 11, 6, 5, 0, 0);
  assert.equal(parseAt('+5m', start), start + 300_000);
  assert.equal(parseAt('05:10:00', start), Date.UTC(2026, 11, 6, 5, 10, 0));
  assert.equal(parseAt('2026-12-06T05:10:30Z', start), Date.UTC(2026, 11, 6, 5, 10, 30));
  assert.throws(() => parseAt('soon', start), /--at "soon" is not a time/);
});
