// Makes docs/images/diagnosis-live.png, the README's screenshot of a real diagnosis:
// a process holding 58.6 MiB in a cgroup-v1 memory cgroup limited to 64 MiB, under
// `faultline live`, in headless chromium, its cause clicked (its row selected).
// Not a test: run by hand as root, `npx tsx test/harness/diagnosis-screenshot.ts`.
// Cleans up what it starts (by pid) and its cgroup.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, rmdirSync } from 'node:fs';
import { launchBrowser } from './browser.js';
import { compiledProgram } from './c-program.js';
import { cliCommand, REPO_ROOT } from './faultline-live.js';
const CG = `/sys/fs/cgroup/memory/web01-${process.pid}`;
mkdirSync(CG);
writeFileSync(`${CG}/memory.limit_in_bytes`, String(64 * 2 ** 20));
const hog = spawn('/bin/sh', ['-c', `echo $$ > ${CG}/cgroup.procs && exec "$0" 15000`, compiledProgram('touch-pages')], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise<void>((resolve) => { let out = ''; hog.stdout!.on('data', (c) => { out += c; if (out.includes('ready')) hog.stdin!.write('go\n'); if (out.includes('done')) resolve(); }); });
const [cmd, args] = cliCommand(['live', '--listen', '127.0.0.1:7071', '--groups', 'faults,reclaim', '--pid', String(hog.pid)]);
const live = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
await new Promise((r) => setTimeout(r, 15000));
const run = await launchBrowser();
const { page } = await run.newPage();
await page.goto('http://127.0.0.1:7071/');
await page.waitForSelector('#diagnosis .diagnosis-title', { timeout: 20000 });
await page.locator('#diagnosis button.diagnosis-title').first().click();
await new Promise((r) => setTimeout(r, 3000));
await page.screenshot({ path: `${REPO_ROOT}docs/images/diagnosis-live.png` });
console.log(await page.locator('#diagnosis').textContent());
await run.close();
live.kill('SIGINT');
await new Promise((r) => live.once('exit', r));
hog.kill('SIGKILL');
await new Promise((r) => hog.once('exit', r));
for (let i = 0; i < 50; i++) { try { rmdirSync(CG); break; } catch { await new Promise((r) => setTimeout(r, 100)); } }
