// Browser tests' harness: build the UI into dist/web, launch Debian's headless Chromium
// through playwright-core, and read what the page holds (window.faultlineTest, set by
// web/src/main.ts). The pages are served by the real server (src/serve/), either from
// `faultline live` or, for the tests without a kernel, a UiServer fed synthetic frames.
//
// Heavy: run browser suites under `flock /tmp/faultline-heavy.lock` on shared machines.
// Every browser and server started here is closed by the caller (after()); a browser a
// test forgets is killed at exit by playwright-core's own exit handler.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { kernelTestsRequired } from './kernel-gate.js';
import { REPO_ROOT } from './faultline-live.js';

export const CHROMIUM_PATH = process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium';
export const WEB_DIR = join(REPO_ROOT, 'dist', 'web');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** For node:test's `skip`: false to run, or why not. Throws in CI, which must run them. */
export function browserGate(): false | string {
  if (existsSync(CHROMIUM_PATH)) return false;
  const reason = `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set FAULTLINE_CHROMIUM)`;
  if (kernelTestsRequired()) throw new Error(`browser test prerequisite missing in CI: ${reason}`);
  return `SKIPPED (browser test): ${reason}`;
}

let built = false;

/** Builds dist/web from web/ (typecheck included) once per test process. */
export function buildWeb(): void {
  if (built) return;
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'web', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node web/build.mjs failed:\n${result.stdout}\n${result.stderr}`);
  built = true;
}

export interface BrowserRun {
  browser: Browser;
  /** A new page (1280x800) that records dialogs and page errors. */
  newPage(): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  page: Page;
  /** alert/confirm/prompt dialogs the page opened (there must be none). */
  dialogs: string[];
  /** Uncaught exceptions and console errors in the page. */
  errors: string[];
}

export async function launchBrowser(): Promise<BrowserRun> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  return {
    browser,
    async newPage() {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const watched: WatchedPage = { page, dialogs: [], errors: [] };
      page.on('dialog', (d) => {
        watched.dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss();
      });
      page.on('pageerror', (e) => watched.errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') watched.errors.push(m.text());
      });
      return watched;
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/** The page's own numbers (web/src/main.ts exposes them as window.faultlineTest). */
export interface PageStats {
  connects: number;
  snapshots: number;
  freshness: string;
  mode: string;
  /** seq of the snapshot shown. */
  seq: number;
  /** Replay: the time looked at. */
  markerMs: number;
  selectedId: string;
  historyPoints: number;
  chartPoints: number;
  heatFaults: number;
  /** Time of the oldest chart point. */
  firstPointMs: number;
  /** The selected VM's latest guest-RAM bytes in its chart columns. */
  selectedGuestRamBytes: number;
  lastRenderMs: number;
  maxRenderMs: number;
}

export function pageStats(page: Page): Promise<PageStats> {
  return page.evaluate(() => (window as unknown as { faultlineTest: { stats(): unknown } }).faultlineTest.stats() as PageStats);
}

/** Polls the page's stats until `predicate` holds. */
export async function waitForStats(page: Page, predicate: (s: PageStats) => boolean, timeoutMs: number, what: string): Promise<PageStats> {
  const deadline = Date.now() + timeoutMs;
  let last: PageStats | null = null;
  while (Date.now() < deadline) {
    last = await pageStats(page);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page stats ${JSON.stringify(last)}`);
}
