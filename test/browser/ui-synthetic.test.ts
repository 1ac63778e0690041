// The UI in headless Chromium against the real server code (src/serve/ UiServer with
// its CSP, LiveFrameSource, ReplaySource) fed synthetic snapshots: 100 VMs, names
// that are HTML, a late second client, a stale stream, a dropped socket, a server that
// goes away and comes back, and replay. No kernel needed: the real-guest tests are in
// live-ui.test.ts. Run under `flock /tmp/faultline-heavy.lock` on a shared machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { UiServer } from '../../src/serve/ui-server.js';
import { checkDetailView } from '../harness/ui-checks.js';
import { LiveFrameSource } from '../../src/serve/live-source.js';
import { ReplaySource } from '../../src/serve/replay-source.js';
import { RecordEncoder, RecordingFile, RecordingWriter } from '../../src/record/writer.js';
import { rmSync } from 'node:fs';
import { REPO_ROOT } from '../harness/faultline-live.js';
import { browserGate, buildWeb, launchBrowser, pageStats, waitForStats, type BrowserRun, type WatchedPage } from '../harness/browser.js';
import { XSS_COMM, XSS_NAME, XSS_PATH, syntheticMeta, syntheticSnapshot, syntheticSnapshots, type SyntheticHost } from './synthetic-frames.js';

const skip = browserGate();
const HOST: SyntheticHost = { vmCount: 100, processCount: 5, seed: 42 };
const HISTORY_POINTS = 120;
const INTERVAL_MS = 1000;

let run: BrowserRun | null = null;
let server: UiServer | null = null;
let port = 0;
let source: LiveFrameSource;
let seq = HISTORY_POINTS;
let first: WatchedPage;
const startMs = Date.now() - HISTORY_POINTS * INTERVAL_MS;

async function serve(): Promise<string> {
  server = new UiServer({ listen: { host: '127.0.0.1', port }, token: 'synthetic-token', source });
  const url = await server.start();
  port = Number(new URL(url).port);
  return url;
}

/** One more live snapshot, as `faultline live` would push it. */
function tick(): void {
  seq += 1;
  const snapshot = syntheticSnapshot(HOST, seq, startMs + seq * INTERVAL_MS, INTERVAL_MS);
  source.push(snapshot);
  server!.broadcast({ snapshot });
}

async function ticks(count: number, gapMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    tick();
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

function rowIds(page: Page): Promise<string[]> {
  return page.locator('#vm-table tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id!));
}

before(async () => {
  if (skip) return;
  buildWeb();
  source = new LiveFrameSource(syntheticMeta('live', startMs, 0, INTERVAL_MS), 600);
  for (const s of syntheticSnapshots(HOST, HISTORY_POINTS, startMs + HISTORY_POINTS * INTERVAL_MS, INTERVAL_MS)) source.push(s);
  run = await launchBrowser();
});

after(async () => {
  await run?.close();
  await server?.close();
});

test('100 VMs: every row drawn, VMs before host processes, rows reused on update, charts grow', { skip, timeout: 60_000 }, async (t) => {
  const url = await serve();
  first = await run!.newPage();
  await first.page.goto(url);
  await waitForStats(first.page, (s) => s.snapshots >= 1 && s.chartPoints === HISTORY_POINTS, 10_000, 'history and the latest snapshot drawn');
  const ids = await rowIds(first.page);
  assert.equal(ids.length, HOST.vmCount + HOST.processCount);
  const kinds = await first.page.locator('#vm-table tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => (r.classList.contains('process') ? 'process' : 'vm')));
  assert.deepEqual(kinds, [...Array(HOST.vmCount).fill('vm'), ...Array(HOST.processCount).fill('process')]);

  assert.equal(await first.page.locator('#vm-table tr[data-id="1007@50007"] .badge').textContent(), 'suspect', 'a findings badge');
  assert.equal(await first.page.locator('#vm-table tr[data-id="1006@50006"] .badge').textContent(), '', 'no badge without findings');
  // a row's exit: only the one that ended says so (a living row decodes exit as {cause: ''})
  const last = HOST.vmCount + HOST.processCount - 1;
  assert.match((await first.page.locator(`#vm-table tr[data-id="${1000 + last}@${50_000 + last}"] .vm-sub`).textContent())!, /^OOM-killed/, 'the ended row');
  const subs = await first.page.locator(`#vm-table tbody tr[data-id]:not([data-id="${1000 + last}@${50_000 + last}"]) .vm-sub`).allTextContents();
  assert.equal(subs.length, last);
  assert.deepEqual(subs.filter((t) => /ended|OOM-killed/.test(t)), [], 'living rows say nothing of an end');

  await first.page.evaluate(() => document.querySelectorAll('#vm-table tbody tr[data-id]').forEach((tr) => ((tr as HTMLElement).dataset.marked = 'yes')));
  const renderMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    await ticks(1, 0);
    renderMs.push((await waitForStats(first.page, (s) => s.seq === seq, 5_000, `snapshot ${seq} drawn`)).lastRenderMs);
  }
  const stats = await pageStats(first.page);
  assert.equal(stats.chartPoints, HISTORY_POINTS + 10, 'one chart point per live snapshot');
  assert.equal(await first.page.locator('#vm-table tbody tr[data-id]:not([data-marked])').count(), 0, 'rows were replaced, not reused');
  renderMs.sort((a, b) => a - b);
  t.diagnostic(`render of a 105-row snapshot: median ${renderMs[5]!.toFixed(1)} ms, max ${renderMs.at(-1)!.toFixed(1)} ms`);
  assert.ok(renderMs[5]! < 50, `median render ${renderMs[5]} ms`);
  assert.deepEqual(first.errors, []);
  mkdirSync(join(REPO_ROOT, 'test/.tmp'), { recursive: true });
  await first.page.screenshot({ path: join(REPO_ROOT, 'test/.tmp/ui-synthetic-100-vms.png') });
});

test('names and paths that are HTML render as text: no element made, no dialog', { skip, timeout: 30_000 }, async () => {
  const { page } = first;
  await page.locator('#vm-table .vm-name', { hasText: XSS_NAME }).click();
  await waitForStats(page, (s) => s.selectedId === '1003@50003', 5_000, 'the VM selected');
  await page.locator('#detail-title', { hasText: XSS_NAME }).waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#detail-title').textContent(), XSS_NAME);
  assert.ok(await page.locator('#vm-table .vm-name', { hasText: XSS_NAME }).isVisible());
  assert.ok(await page.locator('#detail-hotspots td', { hasText: XSS_PATH }).isVisible(), 'the file path shows as text');
  assert.ok(await page.locator('#timeline-events .ev-who', { hasText: XSS_COMM }).first().isVisible(), 'the process name shows as text in the timeline');
  assert.equal(await page.locator('img').count(), 0, 'an <img> element was made from a name');
  assert.equal(await page.locator('main b, main script').count(), 0, 'an element was made from a name');
  assert.deepEqual(first.dialogs, []);
  assert.deepEqual(first.errors, []);
});

test('the diagnosis strip: the drawn snapshot\'s headline and ranked causes, names as text; a cause about a VM selects its row', { skip, timeout: 30_000 }, async () => {
  const { page } = first;
  await page.locator('#vm-table tr[data-id="1000@50000"] .vm-name').click();
  await waitForStats(page, (s) => s.selectedId === '1000@50000', 5_000, 'another row selected');
  const drawn = await pageStats(page);
  // the synthetic frames carry the real engine's diagnosis; the same snapshot again
  const expected = syntheticSnapshot(HOST, drawn.seq, 0).diagnosis!;
  assert.equal(await page.locator('#diagnosis').isVisible(), true);
  assert.equal(await page.locator('#diagnosis').getAttribute('data-status'), expected.status);
  assert.equal(await page.locator('#diagnosis .diagnosis-headline').textContent(), expected.headline);
  const shown = expected.causes.slice(0, 5);
  assert.deepEqual(await page.locator('#diagnosis .diagnosis-title').allTextContents(), shown.map((c) => c.title));
  assert.deepEqual(await page.locator('#diagnosis .diagnosis-remedy').allTextContents(), shown.map((c) => `do: ${c.remedy}`));
  const target = shown.find((c) => c.cause === 'cgroup-near-limit') ?? shown.find((c) => c.subjectId)!;
  assert.ok(target.subjectId, 'a cause about a VM is listed');
  await page.locator(`#diagnosis .diagnosis-cause[data-cause="${target.cause}"] button.diagnosis-title`).first().click();
  await waitForStats(page, (s) => s.selectedId === target.subjectId, 5_000, `the row of ${target.subject} selected from the strip`);
  assert.equal(await page.locator('img').count(), 0, 'no element made from a name in the strip');
  assert.deepEqual(first.dialogs, []);
  assert.deepEqual(first.errors, []);
});

test('a kernel without a tracepoint: the Probes panel and the panel that needs it say so; exits by name', { skip, timeout: 30_000 }, async () => {
  const { page } = first;
  const point = page.locator('#probe-status .probe-point[data-point="filemap:mm_filemap_fault"]');
  await point.waitFor({ timeout: 5_000 });
  assert.equal(await point.getAttribute('data-state'), 'missing');
  assert.equal(await point.textContent(), '✗ filemap:mm_filemap_fault: not on this kernel; needs Linux >= 6.11; instead: file faults are the major faults of /proc/PID/stat (exact, majflt)');
  // the selected VM (1003) counts file faults from /proc, and says why
  assert.match((await page.locator('#detail-facts').textContent())!, /file faults = major faults from \/proc\/PID\/stat \(not on this kernel: needs filemap:mm_filemap_fault, Linux >= 6\.11\)/);
  // libvirt's guest view of it (virsh domstats), decoded from the wire
  assert.match((await page.locator('#detail-facts').textContent())!, / · guest: 1\.2 GiB available of its 3 GiB balloon \(40%\), maximum 4 GiB, swap 0 in, 2 out pages\/s/);
  assert.match((await page.locator('#detail-exits').textContent())!, /VM exits this interval.*npf 43 · io 12/);
  assert.ok(await page.locator('#detail-exits').isVisible());
  // a VM under KVM shows its KVM panels and series, and none of a TCG guest's or a process's
  await checkDetailView(page, 'vm-kvm');
  assert.ok(await page.locator('#detail-mapping').isVisible(), 'mapping levels shown for a KVM guest');
});

test('a client that connects later draws the history from before it connected', { skip, timeout: 30_000 }, async () => {
  const connectedAt = Date.now();
  const second = await run!.newPage();
  await second.page.goto(server!.url);
  const stats = await waitForStats(second.page, (s) => s.chartPoints > 0, 10_000, 'charts drawn');
  assert.equal(stats.chartPoints, seq, 'every snapshot so far (the server keeps 600)');
  assert.ok(stats.firstPointMs < connectedAt - 60_000, 'the oldest point predates the connection');
  await second.page.close();
});

test('no snapshot for 2.5 intervals shows stale; the next one clears it', { skip, timeout: 30_000 }, async () => {
  const { page } = first;
  await waitForStats(page, (s) => s.freshness === 'stale', 5_000, 'the stale mark');
  assert.match((await page.locator('#connection').textContent())!, /stale · no data for [\d.]+ s/);
  assert.equal(await page.evaluate(() => document.body.dataset.freshness), 'stale');
  await ticks(1, 0);
  await waitForStats(page, (s) => s.freshness === 'fresh', 2_000, 'fresh again');
});

test('a dropped websocket reconnects by itself, and so does a server that comes back', { skip, timeout: 30_000 }, async () => {
  const { page } = first;
  await page.evaluate(() => (window as unknown as { faultlineTest: { dropConnection(): void } }).faultlineTest.dropConnection());
  await waitForStats(page, (s) => s.connects === 2, 5_000, 'a second connect');
  await ticks(1, 0);
  await waitForStats(page, (s) => s.seq === seq && s.freshness === 'fresh', 5_000, 'data after the reconnect');

  await server!.close();
  await waitForStats(page, (s) => s.freshness === 'offline', 5_000, 'the disconnected mark');
  assert.match((await page.locator('#connection').textContent())!, /disconnected · retrying in/);
  await serve(); // same port
  await waitForStats(page, (s) => s.connects === 3, 15_000, 'a connect to the restarted server');
  await ticks(1, 0);
  await waitForStats(page, (s) => s.seq === seq && s.freshness === 'fresh', 5_000, 'data from the restarted server');
  assert.deepEqual(first.errors, []);
});

test('replay: the scrubber seeks, play advances at the chosen speed, the charts mark the time', { skip, timeout: 60_000 }, async (t) => {
  const host: SyntheticHost = { vmCount: 20, processCount: 2, seed: 9 };
  const recordingStart = Date.UTC(2026, 0, 1, 12);
  const snapshots = syntheticSnapshots(host, 600, recordingStart + 599 * INTERVAL_MS, INTERVAL_MS);
  const path = join(REPO_ROOT, `test/.tmp/ui-synthetic-${process.pid}.flt`);
  const file = await RecordingFile.create(path, { overwrite: true });
  await file.writeHeader(syntheticMeta('live', recordingStart, 0, INTERVAL_MS));
  const writer = new RecordingWriter(file, new RecordEncoder(), { onError: (e) => assert.fail(e.message) });
  for (const snapshot of snapshots) await writer.append({ snapshot });
  await writer.close();
  const replay = new ReplaySource(path);
  await replay.load();
  const replayServer = new UiServer({ listen: { host: '127.0.0.1', port: 0 }, token: null, source: replay });
  const { page, errors } = await run!.newPage();
  try {
    await page.goto(await replayServer.start());
    const start = await waitForStats(page, (s) => s.mode === 'replay' && s.seq === 1 && s.chartPoints === 600, 10_000, 'the recording loaded');
    assert.equal(start.markerMs, recordingStart);
    assert.ok(await page.locator('#replay-controls').isVisible());

    await page.locator('.scrubber').evaluate((input: HTMLInputElement) => {
      input.value = String(300_000);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await waitForStats(page, (s) => s.seq === 301 && s.markerMs === recordingStart + 300_000, 5_000, 'the snapshot at +5 min');

    await page.locator('.speed').selectOption('60');
    const before = await pageStats(page);
    await page.locator('button.play').click();
    await new Promise((r) => setTimeout(r, 2_000));
    await page.locator('button.play').click(); // pause
    const played = await waitForStats(page, (s) => s.seq === 301 + Math.floor((s.markerMs - recordingStart - 300_000) / 1000), 2_000, 'the snapshot at the paused time');
    const advancedS = (played.markerMs - before.markerMs) / 1000;
    const seeks = played.snapshots - before.snapshots;
    t.diagnostic(`60x for 2 s: advanced ${advancedS.toFixed(0)} s of recording with ${seeks} seeks`);
    assert.ok(advancedS >= 90 && advancedS <= 150, `advanced ${advancedS} s`);
    assert.ok(seeks >= 5 && seeks <= 25, `${seeks} seeks in 2 s (at most ~10/s)`);

    // a reconnect keeps the place in the recording (the greeting's snapshot is its first)
    await page.evaluate(() => (window as unknown as { faultlineTest: { dropConnection(): void } }).faultlineTest.dropConnection());
    await waitForStats(page, (s) => s.connects === 2 && s.snapshots > played.snapshots, 5_000, 'a reconnect and its answer');
    const after = await pageStats(page);
    assert.equal(after.markerMs, played.markerMs);
    assert.equal(after.seq, played.seq);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: join(REPO_ROOT, 'test/.tmp/ui-synthetic-replay.png') });
  } finally {
    await page.close();
    await replayServer.close();
    rmSync(path, { force: true });
  }
});
