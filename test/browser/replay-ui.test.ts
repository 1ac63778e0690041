// `faultline replay` of the shipped sample recording (a real run: a QEMU guest
// growing, a leaking process, a memcg OOM kill), driven in headless Chromium:
// scrubbing to the end shows the leaker's late RSS, scrubbing back shows the earlier,
// smaller RSS. Then the start, the middle and the OOM moment, each checked in the DOM
// (test/harness/ui-checks.ts: panels of the row's kind only, axis labels inside their
// charts, cards agreeing with the Events panel, the heat strip equal to the guest-RAM
// hotspots summed from the file) and kept as docs/screenshot-replay-*.png for the
// README. No root needed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { browserGate, buildWeb, launchBrowser, pageStats, waitForStats, type BrowserRun, type WatchedPage } from '../harness/browser.js';
import { checkCardsAgreeWithEvents, checkDetailView } from '../harness/ui-checks.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { openRecording } from '../../src/record/reader.js';
import type { Snapshot } from '../../src/model/snapshot.js';

const SAMPLE = `${REPO_ROOT}samples/sample.flt`;
const skip = browserGate();
let run: BrowserRun | null = null;
let replay: ChildProcess | null = null;
let url = '';
let startMs = 0;
const snapshots: Snapshot[] = [];
before(async () => {
  if (skip) return;
  buildWeb();
  const reader = await openRecording(SAMPLE);
  startMs = reader.meta.startTimeMs;
  for await (const s of reader.snapshots()) snapshots.push(s);
  const [command, argv] = cliCommand(['replay', SAMPLE, '--listen', '127.0.0.1:0']);
  replay = spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: replay!.stderr! }).on('line', (line) => {
      const m = line.match(/^faultline: UI at (http:\S+)$/);
      if (m) resolve(m[1]!);
    });
    replay!.on('exit', (code) => reject(new Error(`faultline replay exited ${code}`)));
  });
  run = await launchBrowser();
});
after(async () => {
  await run?.close();
  replay?.kill('SIGINT');
});

const UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 };
function bytesOf(text: string): number {
  const m = text.trim().match(/^([\d.]+)\s*(B|KiB|MiB|GiB)$/);
  assert.ok(m, `"${text}" is not a size`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** Moves the scrubber to timeMs and waits for the snapshot `seq` to be drawn. */
async function scrub(page: WatchedPage['page'], timeMs: number, seq: number): Promise<void> {
  await page.locator('.scrubber').evaluate((input: HTMLInputElement, value: number) => {
    input.value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, timeMs - startMs);
  await waitForStats(page, (s) => s.seq === seq && Math.abs(s.markerMs - timeMs) < 1000, 10_000, `the snapshot seq ${seq}`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

test('replay: scrubbing back shows the earlier RSS', { skip, timeout: 60_000 }, async () => {
  const leakerId = snapshots.at(-1)!.vms.find((v) => v.name.startsWith('alloc-forever'))!.id;
  const rssOf = (s: Snapshot): number => s.vms.find((v) => v.id === leakerId)?.rss.totalBytes ?? Number.NaN;
  const early = snapshots.find((s) => !Number.isNaN(rssOf(s)))!;
  const late = snapshots.at(-1)!;
  assert.ok(rssOf(late) > 4 * rssOf(early), 'the sample holds a leak to scrub across');

  const { page, errors } = await run!.newPage();
  await page.goto(url);
  await waitForStats(page, (s) => s.mode === 'replay' && s.snapshots >= 1, 15_000, 'the recording loaded');
  const scrubTo = async (timeMs: number, seq: number, expected: number): Promise<number> => {
    await scrub(page, timeMs, seq);
    // the table is redrawn on the next animation frame: give it a moment to settle
    const cell = page.locator(`#vm-table tr[data-id="${leakerId}"] td`).nth(3);
    let shown = Number.NaN;
    for (let i = 0; i < 50; i++) {
      shown = bytesOf((await cell.textContent()) ?? '');
      if (Math.abs(shown - expected) / expected < 0.02) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return shown;
  };
  const lateShown = await scrubTo(late.timeMs, late.seq, rssOf(late));
  const earlyShown = await scrubTo(early.timeMs, early.seq, rssOf(early));
  assert.ok(Math.abs(lateShown - rssOf(late)) / rssOf(late) < 0.02, `late RSS shown ${lateShown}, recorded ${rssOf(late)}`);
  assert.ok(Math.abs(earlyShown - rssOf(early)) / rssOf(early) < 0.02, `early RSS shown ${earlyShown}, recorded ${rssOf(early)}`);
  assert.ok(earlyShown < lateShown / 4, 'scrubbing back shows the earlier, smaller RSS');
  assert.deepEqual(errors, []);
});

/** Guest-RAM hotspot faults of a VM summed over snapshots 0..last: what the heat strip
 * must show, counted from the file. */
function heatFromFile(vmId: string, last: number): number {
  let total = 0;
  for (const s of snapshots.slice(0, last + 1)) for (const h of s.vms.find((v) => v.id === vmId)?.hotspots ?? []) if (h.guestPhysAddress >= 0 && h.faults > 0) total += h.faults;
  return total;
}

test('replay at its start, middle and OOM moment: panels of the row kind, labels inside the charts, cards agree with events; screenshots', { skip, timeout: 90_000 }, async (t) => {
  const { page, errors } = await run!.newPage();
  await page.goto(url);
  await waitForStats(page, (s) => s.mode === 'replay' && s.snapshots >= 1, 15_000, 'the recording loaded');
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(REPO_ROOT, 'docs', `screenshot-replay-${name}.png`), fullPage: true });

  // start: the sample's first snapshot has the leaker but not yet the VM; the table says when it comes
  const first = snapshots[0]!;
  assert.ok(!first.vms.some((v) => v.kind === 'vm'), 'the sample starts before its VM is seen');
  await scrub(page, first.timeMs, first.seq);
  const vmNote = (await page.locator('#vm-note').textContent()) ?? '';
  assert.match(vmNote, /^No VM at this time; sample-web01 appears at \d\d:\d\d:\d\d\.$/);
  await checkDetailView(page, 'process');
  assert.equal(await checkCardsAgreeWithEvents(page), 0, 'no OOM kill at the start');
  await shot('start');

  // middle: the VM (TCG) selected; its heat strip equals the file's guest-RAM hotspots
  const middleIndex = Math.floor(snapshots.length / 2);
  const middle = snapshots[middleIndex]!;
  const vm = middle.vms.find((v) => v.kind === 'vm')!;
  assert.equal(vm.faults.guestRamSource, 'user-faults', 'the sample VM runs under TCG');
  await scrub(page, middle.timeMs, middle.seq);
  await page.locator(`#vm-table tr[data-id="${vm.id}"]`).click();
  const selected = await waitForStats(page, (s) => s.selectedId === vm.id, 5_000, 'the VM selected');
  const expectedHeat = heatFromFile(vm.id, middleIndex);
  assert.ok(expectedHeat > 0, 'the sample VM faulted guest RAM by its middle');
  assert.ok(Math.abs(selected.heatFaults - expectedHeat) < 1e-6 * expectedHeat, `heat strip ${selected.heatFaults}, file ${expectedHeat}`);
  assert.ok(!(await page.locator('#detail-guest').isHidden()), 'a VM shows its guest-physical panel');
  await checkDetailView(page, 'vm-tcg');
  await checkCardsAgreeWithEvents(page);
  await shot('middle');

  // the OOM moment: the snapshot that carries the kill; the card and the panel both say 1
  const oomIndex = snapshots.findIndex((s) => s.events.some((e) => e.type === 'oom-kill'));
  assert.ok(oomIndex > 0, 'the sample holds an OOM kill');
  const oom = snapshots[oomIndex]!;
  await scrub(page, oom.timeMs, oom.seq);
  const victim = oom.vms.find((v) => v.kind === 'process' && v.reclaim.stallNs > 0) ?? oom.vms.find((v) => v.kind === 'process')!;
  await page.locator(`#vm-table tr[data-id="${victim.id}"]`).click();
  await waitForStats(page, (s) => s.selectedId === victim.id, 5_000, 'a process selected');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await checkDetailView(page, 'process');
  assert.ok(await page.locator('#detail-guest').isHidden(), 'a process shows no guest-physical panel');
  const oomListed = await checkCardsAgreeWithEvents(page);
  assert.equal(oomListed, snapshots.slice(0, oomIndex + 1).flatMap((s) => s.events).filter((e) => e.type === 'oom-kill').length, 'OOM kills listed up to this time');
  await shot('oom');
  // back to the start: the heat is the start's again, not what was summed after it
  await scrub(page, first.timeMs, first.seq);
  const back = await pageStats(page);
  t.diagnostic(`heat strip at the middle ${selected.heatFaults.toFixed(0)} faults (file ${expectedHeat.toFixed(0)}); OOM kills listed at the OOM moment ${oomListed}; after scrubbing back: ${back.heatFaults}`);
  assert.equal(back.heatFaults, heatFromFile(back.selectedId, 0));
  assert.deepEqual(errors, []);
});
