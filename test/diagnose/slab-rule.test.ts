// The slab-growth rule (src/diagnose/slab-rule.ts) on synthetic snapshots (every
// number here is made up): the kernel-memory finding the snapshot carries decides it.
// The boundary is the detector's: a leak is a cause, ok is not; a suspect only when it
// takes MemAvailable within the hour. Then the whole path on a synthetic SUnreclaim
// series: LeakTracker (with slabinfo read every 10 snapshots, a copy of a real 6.18
// /proc/slabinfo with one cache grown by hand) -> host.findings -> diagnose, just
// under and just over the detector's 16 MiB per window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Finding, Snapshot } from '../../src/model/snapshot.js';
import { frameToJson } from '../../src/proto/codec.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { slabGrowthCounts, slabRule } from '../../src/diagnose/slab-rule.js';
import { slabCacheHint } from '../../src/diagnose/slab-caches.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/thresholds.js';
import { renderDiagnosis } from '../../src/diagnose/render-diagnosis.js';
import { cachesNamed, cachesWords, detectKernelMemory } from '../../src/detect/kernel-memory.js';
import { LeakTracker } from '../../src/detect/run-detectors.js';
import { parseSlabinfo } from '../../src/detect/slabinfo.js';
import { rowsBySubject } from '../../src/diagnose/rule-context.js';
import { idleWindow as idleSnapshots } from './idle-window.js';
import { snapshotAt } from '../detect/snapshots.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const T = DEFAULT_THRESHOLDS;

/** The idle window (idle-window.ts) with SUnreclaim at 300 MiB, no zswap traffic, no findings. */
function idleWindow(): Snapshot[] {
  return idleSnapshots().map((snapshot) => {
    snapshot.host = { ...snapshot.host, slabUnreclaimableBytes: 300 * MiB, limitedCgroups: [], findings: [] };
    snapshot.host.vmstat = { ...snapshot.host.vmstat, zswpin: 0, zswpout: 0 };
    return snapshot;
  });
}

/** A kernel-memory finding as the detector writes it (synthetic numbers). */
function kernelFinding(fields: Partial<Finding> = {}): Finding {
  return {
    detector: 'kernel-memory', verdict: 'leak',
    quantities: [{ name: 'cache:vm_area_struct', value: 25 * MiB }, { name: 'cache:maple_node', value: 3.3 * MiB }, { name: 'cachesOverMs', value: 10_000 }],
    message: `unreclaimable kernel slab (SUnreclaim) grew 3 MiB/s for 24 s (fit 0.99), now 300 MiB. A kernel-side leak: only a reboot or the leaker's exit gives it back. ${cachesWords([
      { name: 'vm_area_struct', bytes: 90 * MiB, growthBytes: 25 * MiB },
      { name: 'maple_node', bytes: 10 * MiB, growthBytes: 3.3 * MiB },
    ], 10_000)}`,
    growthBytesPerSec: 3 * MiB, windowMs: 10_000, fit: 0.99, sinceMs: 0,
    timeToLimitMs: -1, limitBytes: 0, limitName: '',
    ...fields,
  };
}

/** The idle window with the finding on its last snapshot. */
function withFinding(f: Finding | null): Snapshot[] {
  const w = idleWindow();
  const last = w.at(-1)!;
  if (f) last.host.findings = [{ ...f, sinceMs: f.sinceMs || last.timeMs - 24_000 }];
  return w;
}

const causesOf = (w: Snapshot[]) => diagnose(w, T).causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`);

test('the idle window says nothing about slab (synthetic)', () => {
  assert.deepEqual(causesOf(withFinding(null)), []);
  assert.deepEqual(causesOf(withFinding(kernelFinding({ verdict: 'ok' }))), []);
  assert.deepEqual(causesOf(withFinding(kernelFinding({ verdict: 'insufficient-data' }))), []);
});

test('boundary: a leak verdict is slab-growth, ok is not; a suspect only when it takes MemAvailable within the hour (synthetic)', () => {
  assert.equal(slabGrowthCounts(kernelFinding({ verdict: 'ok' })), false);
  assert.equal(slabGrowthCounts(kernelFinding({ verdict: 'leak' })), true);
  assert.equal(slabGrowthCounts(kernelFinding({ verdict: 'suspect' })), false, 'no limit in sight');
  assert.equal(slabGrowthCounts(kernelFinding({ verdict: 'suspect', timeToLimitMs: 3_600_001 })), false);
  assert.equal(slabGrowthCounts(kernelFinding({ verdict: 'suspect', timeToLimitMs: 3_600_000 })), true);
  assert.deepEqual(causesOf(withFinding(kernelFinding({ verdict: 'leak' }))), ['warning slab-growth host']);
  const early = diagnose(withFinding(kernelFinding({ verdict: 'suspect', timeToLimitMs: 40 * 60_000, limitBytes: 40 * GiB, limitName: 'host MemAvailable' })), T);
  assert.deepEqual(early.causes.map((c) => c.cause), ['slab-growth']);
  assert.equal(early.causes[0]!.title, 'unreclaimable kernel slab is growing fast: 3 MiB/s; at this rate it takes the host MemAvailable (40 GiB) in 40 min; most in vm_area_struct');
});

test('the cause: numbers, the caches, and a remedy for the cache that grew most (synthetic)', () => {
  const d = diagnose(withFinding(kernelFinding()), T);
  assert.equal(d.status, 'warning');
  const c = d.causes[0]!;
  assert.equal(c.subject, 'host');
  assert.equal(c.title, 'unreclaimable kernel slab keeps growing: 3 MiB/s for 24 s, most in vm_area_struct');
  assert.deepEqual(c.evidence, [
    'SUnreclaim 300 MiB (0.5% of MemTotal), growing 3 MiB/s over the last 10 s (fit 0.99)',
    'caches that grew most over 10 s: vm_area_struct +25 MiB, maple_node +3.3 MiB',
  ]);
  assert.match(c.remedy, /^vm_area_struct holds memory mappings \(VMAs\); it grows like this when a process keeps mapping memory and never unmaps it/);
  assert.match(c.remedy, /`sudo wc -l \/proc\/\[0-9\]\*\/maps 2>\/dev\/null \| sort -n \| tail -4`/);
  assert.match(c.remedy, /`sudo slabtop -s c`/);
  assert.match(c.remedy, /Then restart or fix that process: its mappings go when it exits\. Unreclaimable slab comes back only when the leaker exits \(or its module is unloaded\), else at a reboot$/);
  // rise over the window (30 MiB) against the detector's 16 MiB
  assert.equal(c.score, 30 / 16);
  assert.match(renderDiagnosis(d), /^warning: unreclaimable kernel slab keeps growing: 3 MiB\/s for 24 s, most in vm_area_struct\n\n1\. \[warning\] /);
});

test('no caches known (not root, or one slabinfo reading): slabtop, and the evidence says why (synthetic)', () => {
  const f = kernelFinding({ message: 'unreclaimable kernel slab (SUnreclaim) grew 3 MiB/s. Run `sudo slabtop -s c` to see which caches hold it.', quantities: [] });
  const c = diagnose(withFinding(f), T).causes[0]!;
  assert.equal(c.title, 'unreclaimable kernel slab keeps growing: 3 MiB/s for 24 s');
  assert.match(c.evidence[1]!, /^which caches grew is not known/);
  assert.match(c.remedy, /^see which cache holds it: `sudo slabtop -s c`/);
});

test('a recording made before snapshots carried host findings: no cause, no error (synthetic)', () => {
  const w = idleWindow();
  delete (w.at(-1)!.host as Partial<Snapshot['host']>).findings;
  assert.deepEqual(slabRule({ window: w, last: w.at(-1)!, seconds: 10, bySubject: rowsBySubject(w) }, T), []);
  // and decoded from the wire without the field: []
  const decoded = (frameToJson({ snapshot: w.at(-1)! }) as { snapshot: Snapshot }).snapshot;
  assert.deepEqual(decoded.host.findings, []);
});

test('cache words: written and read back; hints for known caches, general words otherwise', () => {
  const words = cachesWords([{ name: 'kmalloc-cg-64', bytes: 0, growthBytes: 1.5 * MiB }, { name: 'nf_conntrack', bytes: 0, growthBytes: 512 }], 90_000);
  assert.equal(words, 'Caches that grew most over 1.5 min: kmalloc-cg-64 +1.5 MiB, nf_conntrack +512 B.');
  // the detector's finding carries the same caches as numbers, biggest first
  const history = [0, 1, 2].map((i) => ({ timeMs: i * 1000, intervalMs: 1000, slabUnreclaimableBytes: 100 * MiB + i * MiB, memAvailableBytes: 10 * 2 ** 30, memTotalBytes: 16 * 2 ** 30, psiMemSomeAvg10: 0 }));
  const f = detectKernelMemory(history, { topCaches: [{ name: 'nf_conntrack', bytes: 0, growthBytes: 512 }, { name: 'kmalloc-cg-64', bytes: 0, growthBytes: 1.5 * MiB }], topCachesOverMs: 90_000 });
  assert.deepEqual(cachesNamed(f), { overMs: 90_000, caches: [{ name: 'kmalloc-cg-64', growthBytes: 1.5 * MiB }, { name: 'nf_conntrack', growthBytes: 512 }] });
  assert.equal(cachesNamed(detectKernelMemory(history, { topCaches: [] })), null);
  assert.equal(slabCacheHint('kmalloc-cg-64').holds, 'the kernel\'s general allocations of that size');
  assert.equal(slabCacheHint('TCPv6').holds, 'sockets and their buffers');
  assert.equal(slabCacheHint('nf_conntrack_expect').holds, 'netfilter connection-tracking entries');
  assert.equal(slabCacheHint('some_driver_cache').holds, 'kernel objects');
});

/** 36 s of 1 s snapshots (synthetic) whose SUnreclaim grows `bytesPerSec`, slabinfo (a
 * real 6.18 capture, vm_area_struct grown at the same rate) read every 10 snapshots,
 * through the LeakTracker with a 10 s window: the last snapshot, judged. */
function trackedSlab(bytesPerSec: number): { last: Snapshot; diagnosis: ReturnType<typeof diagnose> } {
  const tracker = new LeakTracker({ leakWindowMs: 10_000 });
  const before = parseSlabinfo(readFileSync(new URL('../detect/fixtures/real-slabinfo-6.18.txt', import.meta.url), 'utf8'));
  const window: Snapshot[] = [];
  let last: Snapshot | null = null;
  for (let t = 0; t <= 35; t++) {
    const caches = before.map((c) => (c.name === 'vm_area_struct' ? { ...c, bytes: c.bytes + t * bytesPerSec } : c));
    last = tracker.annotate(snapshotAt(t, t * 1000, 1000, [], { slabUnreclaimableBytes: 100 * MiB + t * bytesPerSec, limitedCgroups: [] }), t % 10 === 0 ? caches : null);
    window.push(last);
  }
  return { last: last!, diagnosis: diagnose(window.slice(-10), T) };
}

test('the whole path (synthetic series): 10% under 16 MiB per window is no cause, 10% over is slab-growth naming the cache', () => {
  const under = trackedSlab(0.9 * 1.6 * MiB);
  assert.equal(under.last.host.findings[0]!.verdict, 'ok');
  assert.deepEqual(under.diagnosis.causes.map((c) => c.cause), []);
  const over = trackedSlab(1.1 * 1.6 * MiB);
  assert.equal(over.last.host.findings[0]!.verdict, 'leak');
  const c = over.diagnosis.causes[0]!;
  assert.equal(c.cause, 'slab-growth');
  assert.match(c.title, /^unreclaimable kernel slab keeps growing: 1\.76 MiB\/s for \d+ s, most in vm_area_struct$/);
  // slabinfo was read at 0, 10, 20 and 30 s: at 35 s the 10 s window holds one reading,
  // so the growth is from the one before the window's start (20 s) to the latest (30 s)
  assert.equal(c.evidence[1], 'caches that grew most over 10 s: vm_area_struct +17.6 MiB');
});
