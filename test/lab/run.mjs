#!/usr/bin/env node
// The lab lane (npm run test:lab, and part of npm test): real KVM on the kernels users
// run. For each kernel (side by side: one L1 per core): Debian's stock kernel (fetched once into test/.assets/lab),
// booted as an L1 machine under QEMU TCG with nested SVM (test/lab/boot-l1.sh); inside
// it, faultline live and real QEMU/KVM guests with independent counts
// (test/lab/l1-driver.ts); then, here, the comparison (test/lab/lab-results.test.ts),
// which prints each kernel's table. A failure prints the tail of L1's console and logs.
//   node test/lab/run.mjs [bookworm|trixie ...]
// bookworm = Debian 12's 6.1 with the host's bpftrace 0.17; trixie = Debian 13's 6.12
// with Debian 13's bpftrace 0.23 (its chroot, test/versions/bpftrace-chroot.sh).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const KERNELS = { bookworm: { bpftrace: 'host' }, trixie: { bpftrace: 'trixie' } };
const suites = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(KERNELS);
/** Boots of one kernel's L1 before the lane fails: a hang was seen in 3 of ~12 boots. */
const MAX_BOOTS = 3;
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
const tail = (path, n) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-n).join('\n') : `(no ${path})`);

const prepared = run(process.execPath, ['--import', 'tsx', 'test/lab/prepare.ts']);
if (prepared.status !== 0) process.exit(1);

/** Runs a command with its output kept (for printing whole, in order, once done). */
function runKept(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.once('error', (error) => resolve({ status: 1, output: `${output}${error.message}\n` }));
    child.once('close', (status) => resolve({ status, output }));
  });
}

/** Fetches a kernel and boots its L1 through its scenarios (retried when L1 stops
 * early); what it printed is kept in `log`, printed once both are done. */
async function bootSuite(suite) {
  const started = Date.now();
  const log = [];
  const notes = [];
  const kdir = join(ROOT, 'test/.assets/lab', suite);
  const out = join(ROOT, 'test/.tmp/lab', suite);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  let chroot = '';
  if (KERNELS[suite]?.bpftrace === 'trixie') {
    // built (not mounted) here: L1 mounts what it needs over its read-only view of it
    const built = await runKept(join(ROOT, 'test/versions/bpftrace-chroot.sh'), ['trixie', 'build'], { stdio: ['ignore', 'ignore', 'pipe'] });
    log.push(built.output);
    if (built.status === 0) chroot = join(ROOT, 'test/.assets/chroots/trixie');
    else log.push('   (no trixie chroot: L1 runs the host bpftrace instead)\n');
  }
  writeFileSync(join(out, 'lab.env'), `PROJECT=${ROOT.replace(/\/$/, '')}\nBPFTRACE_CHROOT=${chroot}\n`);
  const fetched = await runKept(join(ROOT, 'test/lab/fetch-kernel.sh'), [suite, kdir]);
  log.push(fetched.output);
  const boot = async () => {
    const r = await runKept(join(ROOT, 'test/lab/boot-l1.sh'), [kdir, join(ROOT, 'test/lab/l1-script.sh'), out], {
      env: { ...process.env, L1_APPEND: 'hugepagesz=1G hugepages=2', L1_MEM_MB: '5120', L1_NUMA_NODES: '2', BOOT_TIMEOUT: '600' },
    });
    log.push(r.output);
    return r;
  };
  let booted = fetched.status === 0 ? await boot() : fetched;
  // L1 is an emulated machine running nested SVM under TCG: with two vCPUs it oopsed
  // now and then on a half-seen kernel text patch (test/lab/README.md, "Limits seen");
  // with one it has not, but it hangs now and then (boot-l1.sh kills a hung L1 after
  // 120 s of silence): should it stop early, it is booted again, up to MAX_BOOTS in all
  for (let boots = 1; boots < MAX_BOOTS && booted.status === 0 && !existsSync(join(out, 'results.json')); boots++) {
    // what L1 was doing when it stopped (the retry removes these logs)
    log.push(`\n-- lab ${suite}: L1 stopped before its script ended; its console (last 15 lines):\n${tail(join(out, 'console.log'), 15)}\n`);
    log.push(`-- its script's log (last 15 lines):\n${tail(join(out, 'l1.log'), 15)}\n-- its driver's log (last 15 lines):\n${tail(join(out, 'driver.log'), 15)}\n-- booting it once more\n`);
    for (const f of ['driver.log', 'faultline.ndjson', 'faultline.err', 'l1.log']) rmSync(join(out, f), { force: true });
    booted = await boot();
    notes.push(`${suite.padEnd(9)} L1 was booted ${boots + 1} times (it stopped or hung before its script ended)`);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`lab: ${suite}'s L1 done in ${seconds} s (exit ${booted.status})`);
  return { suite, out, status: booted.status, log: log.join(''), notes, seconds };
}

// Each L1 is one emulated vCPU, one TCG thread: the kernels' L1s run side by side, one
// per core of this 2-core machine (~7 min for both instead of ~13 one after the other;
// measured in test/lab/README.md). Their output is kept and printed per kernel.
console.log(`lab: booting ${suites.join(' and ')} side by side (each L1 takes 5-8 min here; output follows per kernel)`);
const booted = await Promise.all(suites.map((suite) => bootSuite(suite)));
let failed = 0;
const summary = [];
for (const { suite, out, status, log, notes, seconds } of booted) {
  console.log(`\n== lab lane: Debian ${suite}'s kernel as L1, real KVM inside`);
  process.stdout.write(log);
  summary.push(...notes);
  const started = Date.now();
  const tested = status === 0
    ? run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/lab/lab-results.test.ts'], { env: { ...process.env, LAB_OUT: out, LAB_REQUIRED: '1' } })
    : { status };
  const ok = tested.status === 0;
  if (ok) writeFileSync(join(out, 'passed'), `${new Date().toISOString()}\n`);
  if (!ok) {
    failed += 1;
    console.log(`\n-- lab ${suite} failed; L1 console (last 40 lines):\n${tail(join(out, 'console.log'), 40)}`);
    console.log(`-- L1 script:\n${tail(join(out, 'l1.log'), 30)}\n-- faultline stderr:\n${tail(join(out, 'faultline.err'), 20)}`);
  }
  if (existsSync(join(out, 'table.md'))) console.log(`\n${suite}: ${tail(join(out, 'bpftrace-version.txt'), 2).trim()}\n${readFileSync(join(out, 'table.md'), 'utf8')}`);
  summary.push(`${suite.padEnd(9)} ${ok ? 'passed' : 'FAILED'}: L1 ${seconds} s, its checks ${Math.round((Date.now() - started) / 1000)} s`);
}
console.log(`\nlab lane:\n${summary.map((l) => `  ${l}`).join('\n')}`);
process.exit(failed ? 1 : 0);
