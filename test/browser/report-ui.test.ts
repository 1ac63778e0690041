// The HTML report of the shipped sample recording (the real CLI: `faultline report
// samples/sample.flt --format html`), opened offline in headless Chromium: every chart
// has its legend, and every label of every chart (title, axis ticks) lies inside the
// chart's own box, measured with the browser's layout (getBBox). Kept as
// docs/screenshot-report.png for the README. No root needed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserGate, launchBrowser, type BrowserRun } from '../harness/browser.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';

const skip = browserGate();
let run: BrowserRun | null = null;
after(async () => {
  await run?.close();
});

test('the HTML report: every chart has a legend and its labels inside its box; screenshot', { skip, timeout: 60_000 }, async (t) => {
  const outDir = join(REPO_ROOT, 'test', '.tmp');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'sample-report.html');
  const [command, argv] = cliCommand(['report', join(REPO_ROOT, 'samples', 'sample.flt'), '--format', 'html', '-o', out]);
  const made = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(made.status, 0, `faultline report failed: ${made.stderr}`);

  run = await launchBrowser();
  const { page, errors } = await run.newPage();
  await page.goto(pathToFileURL(out).href);
  const charts = await page.evaluate(() =>
    Array.from(document.querySelectorAll('figure')).map((figure) => {
      const svg = figure.querySelector('svg')!;
      const [, , width, height] = (svg.getAttribute('viewBox') ?? '0 0 0 0').split(' ').map(Number) as [number, number, number, number];
      const outside = Array.from(svg.querySelectorAll('text'))
        .map((text) => ({ text: text.textContent ?? '', box: text.getBBox() }))
        .filter(({ box }) => box.x < -0.5 || box.y < -0.5 || box.x + box.width > width + 0.5 || box.y + box.height > height + 0.5)
        .map(({ text, box }) => `"${text}" at x ${box.x.toFixed(1)}..${(box.x + box.width).toFixed(1)}, y ${box.y.toFixed(1)}..${(box.y + box.height).toFixed(1)} of ${width}x${height}`);
      return {
        title: svg.getAttribute('aria-label') ?? '',
        legend: Array.from(figure.querySelectorAll('figcaption .key')).map((k) => k.textContent ?? ''),
        yLabels: Array.from(svg.querySelectorAll('text.ylabel')).map((e) => e.textContent ?? ''),
        outside,
      };
    }),
  );
  t.diagnostic(`${charts.length} charts: ${charts.map((c) => `${c.title} [${c.legend.join(', ')}]`).join('; ')}`);
  assert.ok(charts.length >= 3, 'the report has its charts');
  for (const c of charts) {
    assert.ok(c.legend.length >= 1, `chart "${c.title}" has a legend`);
    assert.ok(c.yLabels.length >= 2, `chart "${c.title}" has y-axis labels`);
    assert.deepEqual(c.outside, [], `chart "${c.title}": labels outside its box`);
  }
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshot-report.png') });
  assert.deepEqual(errors, []);
});
