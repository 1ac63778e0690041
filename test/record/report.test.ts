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
      a.findings = [{ detector: 'guest-growth', verdict: 'suspect', message: 'guest RAM grows', growthBytesPerSec: 1.5 * MiB, windowMs: 60_000, fit: 0.9, sinceMs: 0, timeToLimitMs: -1, limitBytes: 0, limitName: '' }];
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
  assert.equal(web.findings.length, 1);
  assert.equal(web.findings[0]!.firstSeenMs, snapshots[3]!.timeMs);
  assert.equal(web.findings[0]!.lastSeenMs, snapshots[5]!.timeMs);
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
  assert.match(text, /vm web01 <prod> \(pid \d+, 2\.0 GiB, libvirt\)/);
  assert.match(text, /reclaim stalls: 100 \(direct 100, memcg 0\), total 168\.5 ms, p99 <= 2\.10 ms, max 20\.0 ms/);
  assert.match(text, /leak verdict: leak, 1\.5 MiB\/s over 1 min \(fit 0\.90\)/);
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
