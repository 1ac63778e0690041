// The report from snapshots whose numbers are set by hand (on top of synthetic
// snapshots), so every figure in it can be checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/model/snapshot.js';
import { makeEvent } from '../../src/aggregate/events.js';
import { frameToJson } from '../../src/proto/codec.js';
import { ReportBuilder } from '../../src/record/report/build-report.js';
import { renderReportText } from '../../src/record/report/render-text.js';
import { renderReportHtml } from '../../src/record/report/render-html.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';
import { testMeta } from './recording-bytes.js';

const MiB = 2 ** 20;
const NO_DAMAGE = { frames: 0, snapshots: 0, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] };

function handMadeSnapshots(): Snapshot[] {
  const snapshots = [...syntheticSnapshots({ vms: 2, processes: 0, snapshots: 6, activity: 'idle', seed: 11 })]
    .map((s) => (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot);
  snapshots.forEach((s, i) => {
    s.host.memAvailableBytes = [900, 800, 300, 700, 600, 650][i]! * MiB;
    s.host.psiMemSomeAvg10 = [0, 1, 12.5, 3, 0, 0][i]!;
    s.probes.lostEvents = i === 4 ? 17 : 0;
    s.events = [];
    const [a, b] = s.vms as [Snapshot['vms'][0], Snapshot['vms'][0]];
    a.name = 'web01 <prod>';
    a.rss = { ...a.rss, totalBytes: [100, 200, 400, 350, 300, 250][i]! * MiB, guestRamBytes: [80, 150, 300, 300, 280, 200][i]! * MiB };
    a.faults = { ...a.faults, minor: 10, major: 1, guestRam: 5 };
    a.kvm.eptFaults = 5;
    a.reclaim = { ...a.reclaim, stalls: 0, stallNs: 0, maxStallNs: 0, stallHistogram: [] };
    b.reclaim = { ...b.reclaim, stalls: 0, stallNs: 0, maxStallNs: 0, stallHistogram: [] };
    b.rss = { ...b.rss, totalBytes: 50 * MiB };
    a.hotspots = [{ region: 'guest-ram', mapping: '', startAddress: 0x7f0000000000, guestPhysAddress: 0x200000, bytes: 2 * MiB, faults: 4, source: 'kvm' }];
    if (i === 2) {
      // 99 stalls of 1-2 ms and one of ~20 ms: p99 lands in the 1-2 ms bucket
      a.reclaim = { ...a.reclaim, stalls: 100, directStalls: 100, stallNs: 99 * 1.5e6 + 20e6, maxStallNs: 20e6, stallHistogram: [{ lowNs: 2 ** 20, count: 99 }, { lowNs: 2 ** 24, count: 1 }] };
      s.events.push(makeEvent('oom-kill', s.timeMs, { pid: a.pid, vmId: a.id, comm: 'qemu-system-x86', message: 'OOM killer chose qemu <script>' }));
    }
    if (i >= 3) {
      a.leak = { verdict: i === 5 ? 'leak' : 'suspect', growthBytesPerSec: 1.5 * MiB, windowMs: 60_000, fit: 0.9 };
      // suspect twice (with a limit), then ok (no limit): one finding, the current one
      a.findings = [i < 5
        ? { detector: 'guest-growth', verdict: 'suspect', message: 'guest RAM grows', growthBytesPerSec: 1.5 * MiB, windowMs: 60_000, fit: 0.9, sinceMs: 0, timeToLimitMs: 5000, limitBytes: 1024 * MiB, limitName: 'cgroup memory limit' }
        : { detector: 'guest-growth', verdict: 'ok', message: 'guest RAM flat', growthBytesPerSec: 0, windowMs: 60_000, fit: 0, sinceMs: 0, timeToLimitMs: -1, limitBytes: 0, limitName: '' }];
    }
  });
  // interval 5 went missing for 3 intervals: move the last snapshot 3 s later
  snapshots[5]!.timeMs += 3000;
  return snapshots;
}

test('report: peaks, finals, totals, p99, OOM kills, leak verdict, findings, pressure, lost events, gaps', () => {
  const snapshots = handMadeSnapshots();
  const builder = new ReportBuilder(testMeta({ startTimeMs: snapshots[0]!.timeMs - 1000 }), 'hand.flt');
  for (const s of snapshots) builder.add(s);
  const { report } = builder.finish({ ...NO_DAMAGE, frames: 6, snapshots: 6 });
  const web = report.vms.find((v) => v.name === 'web01 <prod>')!;
  assert.equal(web.rss.peak.totalBytes, 400 * MiB);
  assert.equal(web.rss.peakTotalAtMs, snapshots[2]!.timeMs);
  assert.equal(web.rss.final.totalBytes, 250 * MiB);
  assert.equal(web.rss.peak.guestRamBytes, 300 * MiB);
  assert.deepEqual({ minor: web.faults.minor, major: web.faults.major, guestRam: web.faults.guestRam, ept: web.faults.eptFaults }, { minor: 60, major: 6, guestRam: 30, ept: 30 });
  assert.deepEqual(web.hotspots, [{ region: 'guest-ram', mapping: '', startAddress: 0x7f0000000000, guestPhysAddress: 0x200000, faults: 24 }]);
  assert.equal(web.reclaim.stalls, 100);
  assert.equal(web.reclaim.p99StallNs, 2 ** 21);
  assert.equal(web.reclaim.maxStallNs, 20e6);
  assert.equal(web.oomKills, 1);
  assert.deepEqual(web.leak, { verdict: 'leak', growthBytesPerSec: 1.5 * MiB, windowMs: 60_000, fit: 0.9 });
  assert.equal(web.findings.length, 1, 'one finding per detector: its current one');
  assert.equal(web.findings[0]!.verdict, 'ok');
  assert.equal(web.findings[0]!.firstSeenMs, snapshots[5]!.timeMs, 'since its verdict turned');
  assert.equal(web.findings[0]!.lastSeenMs, snapshots[5]!.timeMs);
  assert.deepEqual(web.verdictChanges, [{ atMs: snapshots[5]!.timeMs, detector: 'guest-growth', from: 'suspect', to: 'ok' }]);
  assert.equal(report.vms[0]!.name, 'web01 <prod>', 'largest peak RSS first');
  const h = report.host;
  assert.deepEqual(h.memAvailableMin, { bytes: 300 * MiB, atMs: snapshots[2]!.timeMs });
  assert.deepEqual(h.psiSomePeak, { avg10: 12.5, atMs: snapshots[2]!.timeMs });
  assert.equal(h.oomKills, 1);
  assert.deepEqual(h.lostEvents, { total: 17, intervals: 1 });
  assert.deepEqual(h.gaps, [{ fromMs: snapshots[4]!.timeMs, toMs: snapshots[5]!.timeMs, missedIntervals: 3 }]);
  assert.equal(report.recording.durationMs, snapshots[5]!.timeMs - snapshots[0]!.timeMs + 1000);
  assert.deepEqual(report.events.map((e) => e.type), ['oom-kill']);

  const text = renderReportText(report);
  assert.match(text, /vm web01 <prod> \(pid \d+, 2 GiB, libvirt\)/);
  assert.match(text, /reclaim stalls: 100 \(direct 100, memcg 0\), total 169 ms, p99 <= 2\.1 ms, max 20 ms/);
  assert.match(text, /leak verdict \(current\): leak, 1\.5 MiB\/s over 1 min \(fit 0\.90\)/);
  assert.match(text, /finding \[guest-growth\] ok since \d\d:\d\d:\d\d: guest RAM flat/);
  assert.doesNotMatch(text, /finding \[guest-growth\] suspect/);
  assert.match(text, /verdict changes: \d\d:\d\d:\d\d guest-growth suspect -> ok/);
  assert.match(text, /gaps: 1 \(3 intervals missing\)/);
  assert.match(text, /lost events: 17 \(in 1 intervals\)/);
});

test('html report: one self-contained file, every name escaped, no script, nothing fetched', () => {
  const snapshots = handMadeSnapshots();
  for (const s of snapshots) s.vms[1]!.name = '<img src=x onerror=alert(1)>';
  const builder = new ReportBuilder(testMeta({ hostname: 'host"<x>' }), 'evil<.flt');
  for (const s of snapshots) builder.add(s);
  const { report, charts } = builder.finish(NO_DAMAGE);
  const html = renderReportHtml(report, charts);
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<img|onerror=alert\(1\)>|<prod>|host"<x>/);
  assert.match(html, /web01 &#60;prod&#62;/);
  assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
  // nothing outside the file: no src/href attributes, only the SVG namespace URL
  assert.doesNotMatch(html, /<[^>]*\s(src|href)=/);
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^"' )]+/g))], ['http://www.w3.org/2000/svg']);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.equal((html.match(/<svg /g) ?? []).length, 4, 'host memory, PSI, RSS and stall charts');
});

/** The VM table's rows (head rows first) as arrays of cell texts. */
function htmlVmTable(html: string): { heads: string[][]; rows: string[][] } {
  const table = html.match(/<table><tr><th rowspan[\s\S]*?<\/table>/)![0];
  const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t([hd])([^>]*)>([\s\S]*?)<\/t[hd]>/g)].map((c) => `${c[1]}${c[2]}|${c[3]}`));
  return { heads: rows.filter((r) => r[0]!.startsWith('h')), rows: rows.filter((r) => r[0]!.startsWith('d')) };
}

function rssReport(swapOf: (vm: number, i: number) => number) {
  const snapshots = handMadeSnapshots();
  snapshots.forEach((s, i) => s.vms.forEach((v, k) => {
    v.rss = { ...v.rss, anonBytes: (k + 1) * 64 * MiB, fileBytes: 8 * MiB, shmemBytes: 0, swapBytes: swapOf(k, i) };
  }));
  const builder = new ReportBuilder(testMeta(), 'rss.flt');
  for (const s of snapshots) builder.add(s);
  return builder.finish(NO_DAMAGE);
}

test('RSS in the reports: a right-aligned column per kind, peak and final, kinds zero in every row left out', () => {
  const { report, charts } = rssReport(() => 0);
  const { heads, rows } = htmlVmTable(renderReportHtml(report, charts));
  assert.deepEqual(heads[0]!.slice(3, 5), ['h colspan="3"|peak RSS', 'h colspan="3"|final RSS']);
  assert.deepEqual(heads[1], ['total', 'anon', 'file', 'total', 'anon', 'file'].map((name) => `h class="n"|${name}`));
  const web = rows.find((r) => r[1] === 'd|web01 &#60;prod&#62;')!;
  // peak RSS 400 MiB, anon 64 MiB, file 8 MiB; final 250 MiB, 64 MiB, 8 MiB: one number a cell
  assert.deepEqual(web.slice(3, 9), ['400 MiB', '64 MiB', '8 MiB', '250 MiB', '64 MiB', '8 MiB'].map((n) => `d class="n"|${n}`));
  const text = renderReportText(report);
  assert.match(text, /^ {2}kind +pid +peak RSS +anon +file +final RSS +anon +file +name$/m);
  assert.match(text, /^ {2}vm +\d+ +400 MiB +64 MiB +8 MiB +250 MiB +64 MiB +8 MiB +web01 <prod>$/m);
  assert.doesNotMatch(text, /shmem|swap 0 B/);
  // the numbers end in one column
  const table = text.split('\n').filter((l) => /^ {2}(kind|vm) /.test(l));
  const ends = (line: string): number[] => [...line.matchAll(/\S+(?= {2}|$)/g)].map((m) => m.index! + m[0].length);
  assert.deepEqual(ends(table[1]!).slice(1, 8), ends(table[2]!).slice(1, 8));
});

test('RSS in the reports: a kind one row has gets its column, zeros in the others', () => {
  // the second VM swapped 16 MiB out in the middle of the recording, none at the end
  const { report, charts } = rssReport((vm, i) => (vm === 1 && i === 3 ? 16 * MiB : 0));
  const { heads, rows } = htmlVmTable(renderReportHtml(report, charts));
  assert.deepEqual(heads[1], ['total', 'anon', 'file', 'swap', 'total', 'anon', 'file', 'swap'].map((name) => `h class="n"|${name}`));
  const swapCells = rows.map((r) => [r[6], r[10]]);
  assert.deepEqual(swapCells.sort(), [['d class="n"|0 B', 'd class="n"|0 B'], ['d class="n"|16 MiB', 'd class="n"|0 B']]);
  assert.match(renderReportText(report), /^ {2}kind +pid +peak RSS +anon +file +swap +final RSS +anon +file +swap +name$/m);
});

test('report: a verdict not judged yet shows no rate (never "0 B/s over 0 s"), a judged one its measurement', async () => {
  const { leakVerdictText } = await import('../../src/record/report/words.js');
  const base = { growthBytesPerSec: 0, fit: 0, shmemRssBytes: 0, durationNs: 0, count: 0, group: '' };
  assert.equal(leakVerdictText({ ...base, verdict: 'insufficient-data', windowMs: 0 }), 'insufficient-data (not judged yet: no samples)');
  assert.equal(leakVerdictText({ ...base, verdict: 'insufficient-data', windowMs: 4000 }), 'insufficient-data (not judged yet: 4 s of samples)');
  assert.equal(leakVerdictText({ ...base, verdict: 'ok', windowMs: 19_500 }), 'ok, 0 B/s over 19.5 s (fit 0.00)');
  assert.equal(leakVerdictText({ ...base, verdict: 'leak', growthBytesPerSec: 1.5 * MiB, windowMs: 60_000, fit: 0.9 }), 'leak, 1.5 MiB/s over 1 min (fit 0.90)');
});

test('a process that ended: its last row marks it, the report says when and how, final RSS is the last read while it lived', () => {
  const snapshots = [...syntheticSnapshots({ vms: 0, processes: 1, snapshots: 4, activity: 'idle', seed: 3 })]
    .map((s) => (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot);
  snapshots.forEach((s, i) => {
    const p = s.vms[0]!;
    p.rss = { ...p.rss, totalBytes: (100 + i) * MiB };
    if (i === 3) p.exit = { atMs: s.timeMs, cause: 'signal', code: 0, signal: 15, faultsAtExit: true };
  });
  // the exit survives the wire (proto) as the recording stores it
  assert.deepEqual(snapshots[3]!.vms[0]!.exit, { atMs: snapshots[3]!.timeMs, cause: 'signal', code: 0, signal: 15, faultsAtExit: true });
  assert.equal(snapshots[2]!.vms[0]!.exit ?? null, null);
  const builder = new ReportBuilder(testMeta(), 'ended.flt');
  for (const s of snapshots) builder.add(s);
  const p = builder.finish(NO_DAMAGE).report.vms[0]!;
  assert.equal(p.exited, true);
  assert.deepEqual(p.exit, { atMs: snapshots[3]!.timeMs, cause: 'signal', code: 0, signal: 15 });
  assert.equal(p.rss.final.totalBytes, 102 * MiB, 'final = the last row read while it lived');
  assert.match(renderReportText(builder.finish(NO_DAMAGE).report), /seen \d\d:\d\d:\d\d-\d\d:\d\d:\d\d, ended \d\d:\d\d:\d\d \(killed by SIGTERM\)/);
});
