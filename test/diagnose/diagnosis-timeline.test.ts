// Each snapshot's diagnosis over its window (DiagnosisWindow), and the report's
// timeline of causes (DiagnosisTimeline), on synthetic snapshots changed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/model/snapshot.js';
import { frameToJson } from '../../src/proto/codec.js';
import { DiagnosisWindow } from '../../src/diagnose/diagnosis-window.js';
import { DiagnosisTimeline } from '../../src/diagnose/diagnosis-timeline.js';
import { ReportBuilder } from '../../src/record/report/build-report.js';
import { renderReportText } from '../../src/record/report/render-text.js';
import { renderReportHtml } from '../../src/record/report/render-html.js';
import { syntheticSnapshots } from '../record/synthetic-snapshots.js';
import { testMeta } from '../record/recording-bytes.js';

const NO_DAMAGE = { frames: 0, snapshots: 0, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] };

const GiB = 2 ** 30;

/** 30 snapshots, 1 s apart; from the 10th to the 19th the host has 17.5% available. */
function run(): Snapshot[] {
  const window = new DiagnosisWindow();
  return [...syntheticSnapshots({ vms: 1, processes: 1, snapshots: 30, activity: 'idle', seed: 9 })].map((s, i) => {
    const snapshot = (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot;
    const available = i >= 10 && i < 20 ? 11.2 * GiB : 40 * GiB;
    snapshot.host = { ...snapshot.host, memTotalBytes: 64 * GiB, memAvailableBytes: available, psiMemSomeAvg10: 0, psiMemFullAvg10: 0 };
    snapshot.host.vmstat = { ...snapshot.host.vmstat, pswpin: 0, pswpout: 0 };
    snapshot.events = [];
    for (const v of snapshot.vms) v.reclaim = { ...v.reclaim, stallNs: 0 };
    snapshot.diagnosis = window.add(snapshot);
    return snapshot;
  });
}

test('each snapshot carries the diagnosis of its window; memory-low judges the latest reading', () => {
  const snapshots = run();
  assert.equal(snapshots[9]!.diagnosis!.status, 'healthy');
  assert.equal(snapshots[10]!.diagnosis!.status, 'warning');
  assert.deepEqual(snapshots[10]!.diagnosis!.causes.map((c) => c.cause), ['memory-low']);
  assert.equal(snapshots[10]!.diagnosis!.window.snapshots, 10, 'a 10 s window of 1 s snapshots');
  assert.equal(snapshots[20]!.diagnosis!.status, 'healthy');
  // the diagnosis survives the wire as the recording stores it
  const again = (frameToJson({ snapshot: snapshots[10]! }) as { snapshot: Snapshot }).snapshot;
  assert.deepEqual(again.diagnosis, snapshots[10]!.diagnosis);
});

test('the timeline: one span per cause from when it started to when it ended; the last diagnosis at the end', () => {
  const snapshots = run();
  const timeline = new DiagnosisTimeline();
  for (const s of snapshots) timeline.add(s);
  const summary = timeline.finish();
  assert.equal(summary.final!.status, 'healthy');
  assert.equal(summary.unhealthySnapshots, 10);
  assert.deepEqual(summary.spans.map((s) => [s.cause, s.severity, s.fromMs, s.toMs, s.open]), [
    ['memory-low', 'warning', snapshots[10]!.timeMs, snapshots[19]!.timeMs, false],
  ]);
});

test('the report starts with the diagnosis and its timeline; an old recording says it has none', () => {
  const snapshots = run();
  const builder = new ReportBuilder(testMeta(), 'diagnosed.flt');
  for (const s of snapshots.slice(0, 15)) builder.add(s);
  const { report, charts } = builder.finish(NO_DAMAGE);
  const text = renderReportText(report);
  assert.match(text, /\nDiagnosis at the end: warning: host memory available 17.5% \(below 20%\)\n  1\. \[warning\] host memory available 17.5% \(below 20%\)\n/);
  assert.match(text, /  timeline \(5 snapshots not healthy\):\n    \d\d:\d\d:\d\d-end      warning  memory-low: host memory available 17.5%/);
  assert.ok(text.indexOf('Diagnosis at the end') < text.indexOf('\nHost\n'), 'the diagnosis comes first');
  assert.match(renderReportHtml(report, charts), /<h2>Diagnosis<\/h2><p class="warn">At the end: <b>warning: host memory available 17.5% \(below 20%\)<\/b>/);
  const old = new ReportBuilder(testMeta(), 'old.flt');
  for (const s of snapshots) old.add({ ...s, diagnosis: null });
  assert.match(renderReportText(old.finish(NO_DAMAGE).report), /Diagnosis: not in this recording \(made before faultline diagnosed\)/);
});
