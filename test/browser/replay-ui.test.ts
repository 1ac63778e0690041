// `faultline replay` of the shipped sample recording (a real run: a QEMU guest
// growing, a leaking process, a memcg OOM kill), driven in headless Chromium:
// scrubbing to the end shows the leaker's late RSS, scrubbing back shows the earlier,
// smaller RSS. No root needed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { browserGate, buildWeb, launchBrowser, waitForStats, type BrowserRun } from '../harness/browser.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { openRecording } from '../../src/record/reader.js';
import type { Snapshot } from '../../src/model/snapshot.js';

const SAMPLE = `${REPO_ROOT}samples/sample.flt`;
const skip = browserGate();
let run: BrowserRun | null = null;
let replay: ChildProcess | null = null;
before(() => {
  if (!skip) buildWeb();
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

test('replay: scrubbing back shows the earlier RSS', { skip, timeout: 60_000 }, async () => {
  const snapshots: Snapshot[] = [];
  const reader = await openRecording(SAMPLE);
  const startMs = reader.meta.startTimeMs;
  for await (const s of reader.snapshots()) snapshots.push(s);
  const leakerId = snapshots.at(-1)!.vms.find((v) => v.name.startsWith('alloc-forever'))!.id;
  const rssOf = (s: Snapshot): number => s.vms.find((v) => v.id === leakerId)?.rss.totalBytes ?? Number.NaN;
  const early = snapshots.find((s) => !Number.isNaN(rssOf(s)))!;
  const late = snapshots.at(-1)!;
  assert.ok(rssOf(late) > 4 * rssOf(early), 'the sample holds a leak to scrub across');

  const [command, argv] = cliCommand(['replay', SAMPLE, '--listen', '127.0.0.1:0']);
  replay = spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: replay!.stderr! }).on('line', (line) => {
      const m = line.match(/^faultline: UI at (http:\S+)$/);
      if (m) resolve(m[1]!);
    });
    replay!.on('exit', (code) => reject(new Error(`faultline replay exited ${code}`)));
  });

  run = await launchBrowser();
  const { page, errors } = await run.newPage();
  await page.goto(url);
  await waitForStats(page, (s) => s.mode === 'replay' && s.snapshots >= 1, 15_000, 'the recording loaded');
  const scrubTo = async (timeMs: number, seq: number, expected: number): Promise<number> => {
    await page.locator('.scrubber').evaluate((input: HTMLInputElement, value: number) => {
      input.value = String(value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, timeMs - startMs);
    await waitForStats(page, (s) => s.seq === seq, 10_000, `the snapshot seq ${seq}`);
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
