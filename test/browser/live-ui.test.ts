// The live UI end to end: the real CLI (`faultline live --listen 127.0.0.1:0`, every
// probe group attached), a real QEMU guest (TCG) allocating memory, and headless
// Chromium on the page the CLI prints. The page lists the guest by name, its RSS chart
// gains points while the guest allocates, its hotspot table shows guest RAM; a second
// client connecting later sees history; a websocket closed from the page reconnects
// and data resumes; a VM named `<img src=x onerror=alert(1)>` renders as text. Takes
// docs/screenshot-live.png (1280x800) as the guest finishes allocating, and
// docs/screenshot-live-process.png with a host process selected, each checked in the
// DOM first (test/harness/ui-checks.ts), so the README's pictures stay true. Needs root, bpftrace, QEMU and chromium; run it under
// `flock /tmp/faultline-heavy.lock` on a shared machine. About 60 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model/snapshot.js';
import { kernelGate } from '../harness/kernel-gate.js';
import { startGuest, type Guest } from '../harness/qemu-guest.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import { browserGate, buildWeb, launchBrowser, pageStats, waitForStats, type BrowserRun, type WatchedPage } from '../harness/browser.js';
import { XSS_NAME } from './synthetic-frames.js';
import { checkCardsAgreeWithEvents, checkDetailView } from '../harness/ui-checks.js';

const MiB = 2 ** 20;
const skip = kernelGate({ qemu: true }) || browserGate();
const SCREENSHOT = join(REPO_ROOT, 'docs', 'screenshot-live.png');

let live: LiveRun | null = null;
let guest: Guest | null = null;
let xssGuest: Guest | null = null;
let run: BrowserRun | null = null;
let url = '';
let first: WatchedPage;
let guestId = '';

async function stderrLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of live!.stderr) {
      const match = line.match(pattern);
      if (match) return match;
    }
    if (Date.now() > deadline) throw new Error(`no stderr line ${pattern} in ${timeoutMs} ms; stderr:\n${live!.stderr.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rowOf = (pid: number) => (s: Snapshot) => s.vms.find((v) => v.pid === pid);

before(async () => {
  if (skip) return;
  buildWeb();
  live = startLive(['--interval', '1s', '--listen', '127.0.0.1:0']);
  run = await launchBrowser();
});

after(async () => {
  await run?.close();
  await xssGuest?.stop();
  await guest?.stop();
  await live?.stop();
});

test('the page lists a real guest by name, its RSS chart gains points while it allocates, hotspots show guest RAM', { skip, timeout: 150_000 }, async (t) => {
  await live!.waitFor(() => true, 90_000, 'the first snapshot (probes attached)');
  url = (await stderrLine(/faultline: UI at (http:\/\/\S+)/, 10_000))[1]!;
  // 8 MiB a second up to 128 MiB after a short pause: long enough to watch it grow
  guest = await startGuest({ name: 'web01', memoryMiB: 512, hogMiB: 8, hogLimitMiB: 128, hogIntervalS: 1, hogDelayS: 2, disableThp: true });
  const seen = await live!.waitFor((s) => rowOf(guest!.pid)(s) !== undefined, 20_000, 'the guest in a snapshot');
  guestId = rowOf(guest.pid)(seen)!.id;

  first = await run!.newPage();
  await first.page.goto(url);
  const row = first.page.locator(`#vm-table tr[data-id="${guestId}"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await row.locator('.vm-name').textContent(), 'web01');
  await row.click();
  await waitForStats(first.page, (s) => s.selectedId === guestId, 5_000, 'the guest selected');

  const consoleAt = guest.consoleOffset();
  await guest.waitForConsole(/HOG: total=/, 60_000, consoleAt);
  const atFirstAlloc = await pageStats(first.page);
  await first.page.locator('#detail-hotspots td[data-region="guest-ram"]').first().waitFor({ timeout: 15_000 });
  await waitForStats(first.page, (s) => s.selectedGuestRamBytes >= atFirstAlloc.selectedGuestRamBytes + 48 * MiB, 30_000, 'guest RAM up 48 MiB on the chart');
  await guest.waitForConsole(/HOG: done/, 60_000, consoleAt);
  await checkDetailView(first.page, 'vm-tcg');
  await checkCardsAgreeWithEvents(first.page);
  await first.page.screenshot({ path: SCREENSHOT });
  const done = await waitForStats(first.page, (s) => s.chartPoints >= atFirstAlloc.chartPoints + 10, 15_000, 'ten more chart points');
  t.diagnostic(`chart: ${atFirstAlloc.chartPoints} -> ${done.chartPoints} points; guest RAM ${(atFirstAlloc.selectedGuestRamBytes / MiB).toFixed(0)} -> ${(done.selectedGuestRamBytes / MiB).toFixed(0)} MiB; heat strip ${done.heatFaults.toFixed(0)} faults`);
  assert.ok(done.selectedGuestRamBytes - atFirstAlloc.selectedGuestRamBytes >= 64 * MiB, 'guest RAM grew on the chart');
  assert.ok(done.heatFaults > 0, 'the heat strip counted guest-RAM faults');
  assert.deepEqual(first.errors, []);
});

test('a host process selected: no guest panels or series, labels inside the charts; screenshot', { skip, timeout: 30_000 }, async () => {
  const processRow = first.page.locator('#vm-table tr.group-row ~ tr[data-id]').first();
  await processRow.waitFor({ timeout: 10_000 });
  const id = (await processRow.getAttribute('data-id'))!;
  await processRow.click();
  await waitForStats(first.page, (s) => s.selectedId === id && s.chartPoints > 0, 10_000, 'a host process charted');
  await first.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await checkDetailView(first.page, 'process');
  assert.ok(await first.page.locator('#detail-guest').isHidden(), 'no guest-physical panel for a process');
  await first.page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshot-live-process.png') });
  // faultline does not list itself or its bpftrace among the busiest host processes
  const ownRows = live!.snapshots.flatMap((s) => s.vms).filter((v) => v.pid === live!.pid || v.comm === 'bpftrace');
  assert.deepEqual([...new Set(ownRows.map((v) => `${v.comm} ${v.pid}`))], [], `faultline (pid ${live!.pid}) or its bpftrace listed`);
  await first.page.locator(`#vm-table tr[data-id="${guestId}"]`).click(); // back to the guest for the next tests
  await waitForStats(first.page, (s) => s.selectedId === guestId, 5_000, 'the guest selected again');
});

test('a second client connecting later sees the history from before it connected', { skip, timeout: 30_000 }, async () => {
  const connectedAt = Date.now();
  const second = await run!.newPage();
  try {
    await second.page.goto(url);
    await second.page.locator(`#vm-table tr[data-id="${guestId}"]`).click();
    const stats = await waitForStats(second.page, (s) => s.selectedId === guestId && s.chartPoints > 0, 10_000, 'the guest charted');
    const firstPage = await pageStats(first.page);
    assert.ok(stats.firstPointMs < connectedAt - 15_000, 'the oldest point predates this client');
    assert.ok(stats.chartPoints >= firstPage.chartPoints - 1, `late client has ${stats.chartPoints} points, early one ${firstPage.chartPoints}`);
    assert.deepEqual(second.errors, []);
  } finally {
    await second.page.close();
  }
});

test('a websocket closed from the page reconnects by itself and data resumes', { skip, timeout: 30_000 }, async () => {
  const before = await pageStats(first.page);
  await first.page.evaluate(() => (window as unknown as { faultlineTest: { dropConnection(): void } }).faultlineTest.dropConnection());
  await waitForStats(first.page, (s) => s.connects === before.connects + 1, 10_000, 'a reconnect');
  const resumed = await waitForStats(first.page, (s) => s.seq >= before.seq + 2 && s.freshness === 'fresh', 10_000, 'new snapshots after the reconnect');
  assert.ok(resumed.chartPoints >= before.chartPoints, 'the charts kept their points');
});

test('a VM named <img src=x onerror=alert(1)> renders as text', { skip, timeout: 60_000 }, async () => {
  // libvirt passes the name as -name guest=NAME; QEMU and faultline take the last -name
  xssGuest = await startGuest({ name: 'fl-xss', memoryMiB: 128, startPaused: true, extraArgs: ['-name', `guest=${XSS_NAME},debug-threads=on`] });
  const seen = await live!.waitFor((s) => rowOf(xssGuest!.pid)(s) !== undefined, 20_000, 'the XSS-named guest in a snapshot');
  assert.equal(rowOf(xssGuest.pid)(seen)!.name, XSS_NAME, 'the name reached faultline intact');
  const name = first.page.locator(`#vm-table tr[data-id="${rowOf(xssGuest.pid)(seen)!.id}"] .vm-name`);
  await name.waitFor({ timeout: 10_000 });
  assert.equal(await name.textContent(), XSS_NAME);
  assert.ok(await name.isVisible());
  assert.equal(await first.page.locator('img').count(), 0, 'an <img> element was made from the name');
  assert.deepEqual(first.dialogs, []);
  assert.deepEqual(first.errors, []);
});
