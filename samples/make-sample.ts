// Regenerates samples/sample.flt: one minute of a real run recorded with the real
// `faultline record` (run from source), on a host with
//   - a QEMU guest "sample-web01" (TCG, libvirt-style, 256 MiB) whose guest grows
//     8 MiB/s to 96 MiB from t≈5 s, then frees it and is ballooned down at t≈45 s;
//   - a leaking process (alloc-forever, 1 MiB every 500 ms, pinned with --pid);
//   - a process in a 64 MiB memory cgroup that allocates past the limit at t≈25 s:
//     memcg reclaim stalls, then an OOM kill.
// With --top 0, only those three get rows (the VM, the pinned pid, and whatever
// stalled in reclaim): the sample holds the run, not the rest of the machine it was
// made on.
// Needs root, bpftrace, QEMU and cgroup v1's memory controller (as the kernel tests;
// `test/setup-host.sh` installs them). Takes ~80 s. On a shared dev machine, run it
// under the heavy-test lock:
//   sudo flock /tmp/faultline-heavy.lock node --import tsx samples/make-sample.ts [OUT]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startGuest, type Guest } from '../test/harness/qemu-guest.js';
import { compiledProgram } from '../test/harness/c-program.js';
import { cliCommand, REPO_ROOT } from '../test/harness/faultline-live.js';
import { startRecord } from '../test/record/record-cli.js';

const MiB = 2 ** 20;
const out = process.argv[2] ?? fileURLToPath(new URL('sample.flt', import.meta.url));
const cgroup = `/sys/fs/cgroup/memory/faultline-sample-${process.pid}`;
const log = (line: string): void => void process.stderr.write(`make-sample: ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let guest: Guest | null = null;
const children: ChildProcess[] = [];

async function cleanUp(): Promise<void> {
  await guest?.stop();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (let i = 0; i < 50 && existsSync(cgroup); i++) {
    try {
      rmdirSync(cgroup);
    } catch {
      await sleep(100);
    }
  }
}

async function main(): Promise<void> {
  if (!existsSync('/sys/fs/cgroup/memory')) throw new Error('needs the cgroup v1 memory controller at /sys/fs/cgroup/memory');
  const alloc = compiledProgram('alloc-forever');
  const leaker = spawn(alloc, ['1', '500', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(leaker);
  await new Promise<void>((resolve) => createInterface({ input: leaker.stdout! }).once('line', () => resolve()));

  const record = startRecord(['-o', out, '--force', '--interval', '1s', '--duration', '60s', '--long-stall', '1ms', '--top', '0', '--leak-window', '20s', '--pid', String(leaker.pid)]);
  await record.waitFor((all) => all.length > 0, 90_000, 'the first snapshot');
  const t0 = Date.now();
  const at = async (seconds: number): Promise<void> => sleep(Math.max(0, t0 + seconds * 1000 - Date.now()));
  log(`recording to ${out}`);

  guest = await startGuest({ name: 'sample-web01', memoryMiB: 256, hogMiB: 8, hogLimitMiB: 96, hogIntervalS: 1, hogDelayS: 2, disableThp: true });
  log(`guest sample-web01 is pid ${guest.pid}`);

  await at(25);
  mkdirSync(cgroup);
  writeFileSync(`${cgroup}/memory.limit_in_bytes`, String(64 * MiB));
  try {
    writeFileSync(`${cgroup}/memory.memsw.limit_in_bytes`, String(64 * MiB));
  } catch {
    // no swap accounting
  }
  const hog = spawn('/bin/sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec "$0" 4 100 400`, alloc], { stdio: 'ignore' });
  children.push(hog);
  const hogExit = await new Promise<string>((resolve) => hog.on('exit', (code, signal) => resolve(String(signal ?? code))));
  log(`memcg hog pid ${hog.pid} ended with ${hogExit}`);

  await at(45);
  await guest.ctl('freeall');
  await guest.qmp('balloon', { value: 128 * MiB });
  log('guest freed its memory; balloon to 128 MiB');

  const exit = await record.exited;
  if (exit.code !== 0) throw new Error(`faultline record exited ${JSON.stringify(exit)}:\n${record.stderr.join('\n')}`);
  log(`${record.snapshots.length} snapshots, ${statSync(out).size} bytes`);
  const [command, argv] = cliCommand(['report', out]);
  spawnSync(command, argv, { cwd: REPO_ROOT, stdio: 'inherit' });
}

main().then(cleanUp, async (error: unknown) => {
  await cleanUp();
  log(String(error instanceof Error ? error.stack : error));
  process.exitCode = 1;
});
