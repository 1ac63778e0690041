// The LeakTracker over whole (synthetic) Snapshots: verdicts land on the rows,
// leak-finding events fire when a verdict turns (not every interval), a VM's guest
// growth never makes it a leaking QEMU, lost events give insufficient-data, and the
// history stays bounded (points merged, ids capped, exited ids forgotten).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LeakTracker } from '../../src/detect/run-detectors.js';
import { parseSlabinfo } from '../../src/detect/slabinfo.js';
import type { FaultlineEvent, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { snapshotAt, vmRow } from './snapshots.js';
import { MiB, noiseSource } from './synthetic.js';

const GiB = 1024 * MiB;

function leakingProcess(tS: number, noise: () => number): VmSnapshot {
  const anon = 100 * MiB + tS * 2 * MiB + noise();
  return vmRow({ id: '500@1', pid: 500, comm: 'leaker', rss: { ...vmRow({ id: '', pid: 0 }).rss, anonBytes: anon, totalBytes: anon } });
}

function run(tracker: LeakTracker, seconds: number, rows: (tS: number) => VmSnapshot[], host: (tS: number) => Partial<Snapshot['host']> = () => ({}), lost: (tS: number) => number = () => 0): Snapshot[] {
  const out: Snapshot[] = [];
  for (let t = 0; t <= seconds; t++) out.push(tracker.annotate(snapshotAt(t, t * 1000, 1000, rows(t), host(t), lost(t))));
  return out;
}

const leakEvents = (snapshots: Snapshot[]): FaultlineEvent[] => snapshots.flatMap((s) => s.events.filter((e) => e.type === 'leak-finding'));

test('a steady leak (10 s window): suspect (provisional) after one window, leak within two, one event each, evidence on the row', () => {
  const tracker = new LeakTracker({ leakWindowMs: 10_000 });
  const noise = noiseSource(1, 1 * MiB);
  const snapshots = run(tracker, 40, (t) => [leakingProcess(t, noise)]);
  const verdicts = snapshots.map((s) => s.vms[0]!.leak.verdict);
  assert.equal(verdicts[5], 'insufficient-data', 'not judged before 3/4 of a window');
  const firstLeak = verdicts.indexOf('leak');
  assert.ok(firstLeak > 0 && firstLeak <= 20, `first leak at ${firstLeak} s: ${verdicts.join(',')}`);
  assert.ok(verdicts.slice(firstLeak).every((v) => v === 'leak'), verdicts.join(','));
  const row = snapshots.at(-1)!.vms[0]!;
  assert.ok(Math.abs(row.leak.growthBytesPerSec - 2 * MiB) < 0.1 * MiB);
  assert.ok(row.leak.fit > 0.9 && row.leak.windowMs >= 9000);
  assert.deepEqual(row.findings.map((f) => f.detector), ['process-growth', 'mapping-growth']);
  const events = leakEvents(snapshots);
  assert.equal(events.length, 2, events.map((e) => e.message).join('\n'));
  assert.ok(events.every((e) => e.vmId === '500@1'));
  assert.match(events[0]!.message, /^leaker \(pid 500\) suspect: anon memory .* \(provisional: one window of growth/);
  const grew = events[1]!.message.match(/^leaker \(pid 500\) leak: anon memory .* grew ([\d.]+) MiB\/s/);
  assert.ok(grew && Math.abs(Number(grew[1]) - 2) < 0.15, events[1]!.message);
  // since: the tracker remembers when the verdict turned, beyond the 3-window history
  assert.ok(row.findings[0]!.sinceMs <= snapshots[0]!.timeMs + 10_000, `since ${row.findings[0]!.sinceMs - snapshots[0]!.timeMs}`);
});

test('a VM whose guest RAM fills is guest growth (suspect under pressure), never a QEMU leak', () => {
  const tracker = new LeakTracker({ leakWindowMs: 10_000 });
  const noise = noiseSource(2, 0.5 * MiB);
  const snapshots = run(
    tracker,
    40,
    (t) => {
      const guestRam = Math.min(4 * GiB, 1 * GiB + t * 64 * MiB);
      const own = 200 * MiB + noise();
      return [vmRow({
        id: '42@7', pid: 42, kind: 'vm', name: 'web01', comm: 'qemu-system-x86', memoryBytes: 4 * GiB,
        guestRamStart: 0x7f0000000000, guestRamEnd: 0x7f0000000000 + 4 * GiB,
        rss: { ...vmRow({ id: '', pid: 0 }).rss, anonBytes: guestRam + own, guestRamBytes: guestRam, ownAnonBytes: own },
      })];
    },
    () => ({ memAvailableBytes: 1 * GiB }),
  );
  assert.ok(snapshots.every((s) => s.vms[0]!.leak.verdict !== 'leak' && s.vms[0]!.leak.verdict !== 'suspect'));
  const guest = snapshots.map((s) => s.vms[0]!.findings.find((f) => f.detector === 'guest-growth')!);
  assert.ok(guest.some((f) => f.verdict === 'suspect' && /^guest growth, not a QEMU leak/.test(f.message)), guest.map((f) => f.message).join('\n'));
  const events = leakEvents(snapshots);
  assert.ok(events.length >= 1 && events.every((e) => e.group === 'guest-growth'), events.map((e) => `${e.group}: ${e.message}`).join('\n'));
});

test('lost events in the window make mapping-growth insufficient-data, never a false leak', () => {
  const tracker = new LeakTracker({ leakWindowMs: 10_000 });
  const row = (t: number): VmSnapshot[] => [vmRow({ id: '9@9', pid: 9, growth: { mmapBytes: 64 * MiB, munmapBytes: t % 10 === 5 ? 0 : 64 * MiB, brkBytes: 0, madviseFreeBytes: 0, balloonBytes: 0 } })];
  const snapshots = run(tracker, 30, row, () => ({}), (t) => (t >= 20 ? 100 : 0));
  const mapping = snapshots.map((s) => s.vms[0]!.findings.find((f) => f.detector === 'mapping-growth')!.verdict);
  assert.ok(mapping.slice(20).every((v) => v === 'insufficient-data'), mapping.join(','));
});

test('unreclaimable slab growth: a host finding naming the caches that grew, as one event', () => {
  const tracker = new LeakTracker({ leakWindowMs: 10_000 });
  const text = readFileSync(new URL('fixtures/real-slabinfo-6.18.txt', import.meta.url), 'utf8');
  const before = parseSlabinfo(text);
  const events: FaultlineEvent[] = [];
  let last = null;
  for (let t = 0; t <= 30; t++) {
    // kmalloc-256 grows 2 MiB/s
    const caches = before.map((c) => (c.name === 'kmalloc-256' ? { ...c, bytes: c.bytes + t * 2 * MiB } : c));
    last = tracker.observe(snapshotAt(t, t * 1000, 1000, [], { slabUnreclaimableBytes: 100 * MiB + t * 2 * MiB }), t % 5 === 0 ? caches : null);
    events.push(...last.events);
  }
  const kernel = last!.hostFindings[0]!;
  assert.equal(kernel.detector, 'kernel-memory');
  assert.equal(kernel.verdict, 'leak');
  assert.match(kernel.message, /kmalloc-256 \+20 MiB/);
  assert.deepEqual(events.map((e) => e.message.split(':')[0]), ['suspect', 'leak']);
  assert.ok(events.every((e) => e.group === 'kernel-memory'));
});

test('bounded: close snapshots merge (sums kept), ids are capped, exited ids are forgotten', () => {
  const tracker = new LeakTracker({ leakWindowMs: 10_000, pointsPerWindow: 20, maxIds: 3 });
  // 100 ms snapshots, each mapping 1 MiB: merged into 500 ms points, the 10 MiB/s still seen
  for (let k = 0; k <= 300; k++) {
    const rows = [vmRow({ id: '1@1', pid: 1, growth: { mmapBytes: MiB, munmapBytes: 0, brkBytes: 0, madviseFreeBytes: 0, balloonBytes: 0 } })];
    const result = tracker.observe(snapshotAt(k, k * 100, 100, rows));
    if (k === 300) {
      const mapping = result.byId.get('1@1')!.findings.find((f) => f.detector === 'mapping-growth')!;
      assert.ok(Math.abs(mapping.growthBytesPerSec - 10 * MiB) < 0.5 * MiB, `${mapping.growthBytesPerSec / MiB} MiB/s`);
    }
  }
  // four more ids: the stalest goes
  for (const pid of [2, 3, 4, 5]) tracker.observe(snapshotAt(400 + pid, 30_000 + pid * 100, 100, [vmRow({ id: `${pid}@1`, pid })]));
  assert.deepEqual(tracker.trackedIds().sort(), ['3@1', '4@1', '5@1']);
  // one window later with nobody seen: all forgotten
  tracker.observe(snapshotAt(500, 45_000, 100, []));
  assert.deepEqual(tracker.trackedIds(), []);
});

test('slabinfo: a real /proc/slabinfo capture parses, bytes from slabs x pages', () => {
  const caches = parseSlabinfo(readFileSync(new URL('fixtures/real-slabinfo-6.18.txt', import.meta.url), 'utf8'));
  assert.ok(caches.length > 100, `${caches.length} caches`);
  const k = caches.find((c) => c.name === 'kmalloc-256')!;
  assert.ok(k && k.objSizeBytes === 256 && k.bytes > 0 && k.bytes % 4096 === 0);
  assert.ok(caches.every((c) => Number.isFinite(c.bytes) && c.bytes >= 0));
});

test('early warning: a fast leak that reaches MemAvailable within the hour is suspect about a minute in, not after the 10 min window', () => {
  const fast = (tS: number): VmSnapshot[] => {
    const anon = 100 * MiB + tS * 8 * MiB;
    return [vmRow({ id: '7@1', pid: 7, comm: 'fastleak', rss: { ...vmRow({ id: '', pid: 0 }).rss, anonBytes: anon, totalBytes: anon } })];
  };
  // 12 GiB available: 8 MiB/s reaches it in ~25 min
  const short = run(new LeakTracker(), 120, fast, () => ({ memAvailableBytes: 12 * GiB }));
  const verdicts = short.map((s) => s.vms[0]!.leak.verdict);
  const first = verdicts.indexOf('suspect');
  assert.ok(first >= 60 && first <= 70, `first suspect at ${first} s: ${verdicts.join(',')}`);
  assert.match(short[first]!.vms[0]!.findings[0]!.message, /grew 8 MiB\/s \(early warning: 1(\.\d+)? min of a 10 min window; judged when it is full\).*reaches the host MemAvailable \(12 GiB\) in 2\d(\.\d+)? min/);
  assert.deepEqual(leakEvents(short).map((e) => e.message.match(/\) (\w+):/)?.[1]), ['suspect']);
  // 40 GiB available: 85 min away, no early warning; not judged until the window is full
  const roomy = run(new LeakTracker(), 120, fast, () => ({ memAvailableBytes: 40 * GiB }));
  assert.ok(roomy.every((s) => s.vms[0]!.leak.verdict === 'insufficient-data'));
  // a GC sawtooth (100 MiB every 60 s) on a small host: its first climbs are no leak
  const gc = run(new LeakTracker(), 300, (tS) => {
    const anon = 100 * MiB + ((tS % 60) / 60) * 100 * MiB;
    return [vmRow({ id: '8@1', pid: 8, rss: { ...vmRow({ id: '', pid: 0 }).rss, anonBytes: anon, totalBytes: anon } })];
  }, () => ({ memAvailableBytes: 2 * GiB }));
  assert.ok(gc.every((s) => s.vms[0]!.leak.verdict === 'insufficient-data'), gc.map((s) => s.vms[0]!.leak.verdict).join(','));
});
