// A recording still being written: the report covers what is there and says, at its
// top, that the recording is still open. The format has no end record, so "open" is
// told from a cut-short last record or from the file growing (src/record/still-open.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model/snapshot.js';
import { RecordingWriter } from '../../src/record/writer.js';
import { isStillOpen, judgeOpen, type FileState } from '../../src/record/still-open.js';
import { reportFile } from '../../src/record/report/report-file.js';
import { renderReportText } from '../../src/record/report/render-text.js';
import { renderReportHtml } from '../../src/record/report/render-html.js';
import { utcTime } from '../../src/record/report/words.js';
import { buildRecording, testMeta } from './recording-bytes.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OPEN_LINE = 'recording still open (being written, or its writer stopped without closing it): the report covers up to';

test('judgeOpen: a cut-short tail or growth is open; quiet past the next write is closed; before it, wait', () => {
  const file: FileState = { sizeBytes: 5000, mtimeMs: 100_000 };
  const e = { before: file, now: file, nowMs: 100_000 + 60_000, intervalMs: 1000, tailCut: false };
  assert.equal(judgeOpen(e), 'closed');
  assert.equal(judgeOpen({ ...e, tailCut: true }), 'open', 'its writer has not finished its last record');
  assert.equal(judgeOpen({ ...e, now: { sizeBytes: 5300, mtimeMs: 160_000 } }), 'open', 'it grew while read');
  assert.equal(judgeOpen({ ...e, now: { ...file, mtimeMs: 100_001 } }), 'open', 'written while read, same size');
  assert.deepEqual(judgeOpen({ ...e, nowMs: 100_400 }), { waitMs: 1100 }, 'written 0.4 s ago: the next write is due within 1.1 s');
  assert.equal(judgeOpen({ ...e, nowMs: 101_500 }), 'closed', '1.5 intervals without a write');
});

test('isStillOpen waits for the next write, at most maxWaitMs; a file that went away is closed', async () => {
  const path = join(dir, 'quiet.flt');
  writeFileSync(path, 'x'.repeat(100));
  const mtime = new Date(Date.UTC(2026, 10, 26, 8, 0, 0));
  utimesSync(path, mtime, mtime);
  const before: FileState = { sizeBytes: 100, mtimeMs: mtime.getTime() };
  let nowMs = mtime.getTime() + 200;
  const slept: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    slept.push(ms);
    nowMs += ms;
  };
  assert.equal(await isStillOpen(path, { before, intervalMs: 1000, tailCut: false }, { now: () => nowMs, sleep }), false);
  assert.deepEqual(slept, [1300], 'slept until 1.5 intervals after the last write, then saw none');

  nowMs = mtime.getTime() + 200;
  slept.length = 0;
  assert.equal(await isStillOpen(path, { before, intervalMs: 60_000, tailCut: false }, { now: () => nowMs, sleep, maxWaitMs: 5000 }), true,
    'written moments ago with a long interval: cannot tell in 5 s, counted open');
  assert.deepEqual(slept, [5000]);

  rmSync(path);
  assert.equal(await isStillOpen(path, { before, intervalMs: 1000, tailCut: false }, { now: () => nowMs, sleep }), false);
});

test('a recording its writer is still appending to: the report says so at its top and covers what was written', async () => {
  const path = join(dir, 'live.flt');
  const intervalMs = 200;
  const startTimeMs = Date.UTC(2026, 10, 26, 8, 0, 0);
  const writer = await RecordingWriter.open(path, testMeta({ intervalMs, startTimeMs }));
  const source = syntheticSnapshots({ vms: 2, processes: 1, snapshots: 10_000, intervalMs, startTimeMs, seed: 5 });
  const appended: Snapshot[] = [];
  const appendOne = (): Promise<void> => {
    const snapshot = source.next().value as Snapshot;
    appended.push(snapshot);
    return writer.append({ snapshot });
  };
  for (let i = 0; i < 5; i++) await appendOne();
  // the writer goes on while the report reads; faster than its interval, so that a
  // slow test machine cannot make it look idle
  const timer = setInterval(() => void appendOne(), 50);
  try {
    const { report, charts, stats } = await reportFile(path);
    assert.equal(report.recording.stillOpen, true);
    assert.equal(stats.damage.length, 0);
    assert.ok(report.recording.snapshots >= 5, `${report.recording.snapshots} snapshots read`);
    const lastRead = appended[report.recording.snapshots - 1]!.timeMs;
    assert.equal(report.recording.endTimeMs, lastRead);
    const line = `${OPEN_LINE} ${utcTime(lastRead)}`;
    const text = renderReportText(report).split('\n');
    assert.equal(text[1], `  ${line}`, 'the line under the title');
    const html = renderReportHtml(report, charts);
    assert.ok(html.includes(`<p class="warn"><b>${line}</b></p>`));
    assert.ok(html.indexOf(line) < html.indexOf('<h2>'), 'above the first section');
  } finally {
    clearInterval(timer);
  }
  await writer.close();

  // closed: quiet for 1.5 intervals after its last write (the report waits for that)
  const closed = await reportFile(path);
  assert.equal(closed.report.recording.stillOpen, false);
  assert.equal(closed.report.recording.snapshots, appended.length);
  assert.doesNotMatch(renderReportText(closed.report), /still open/);
  assert.doesNotMatch(renderReportHtml(closed.report, closed.charts), /still open/);
});

test('a writer gone without finishing its last record: still open, however old the file; whole and old: closed', async () => {
  const built = await buildRecording({ snapshots: 4 });
  const lastRecord = built.records.at(-1)!;
  const hourAgo = new Date(Date.now() - 3_600_000);
  const noWait = { sleep: (): Promise<void> => Promise.reject(new Error('an old file needs no wait')) };

  const cut = join(dir, 'cut.flt');
  writeFileSync(cut, built.bytes.subarray(0, lastRecord.end - 5));
  utimesSync(cut, hourAgo, hourAgo);
  const open = await reportFile(cut, noWait);
  assert.equal(open.report.recording.stillOpen, true);
  assert.equal(open.report.recording.snapshots, 3);
  assert.match(renderReportText(open.report), new RegExp(`${OPEN_LINE.replace(/[()]/g, '\\$&')} ${utcTime(built.snapshots[2]!.timeMs)}`));

  const whole = join(dir, 'whole.flt');
  writeFileSync(whole, built.bytes);
  utimesSync(whole, hourAgo, hourAgo);
  const done = await reportFile(whole, noWait);
  assert.equal(done.report.recording.stillOpen, false);
  assert.equal(done.report.recording.snapshots, 4);
});
