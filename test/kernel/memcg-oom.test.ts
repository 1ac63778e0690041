// Real memory pressure: a process in a cgroup-v1 memory cgroup with a 64 MiB limit
// allocates past it. faultline must show memcg reclaim stalls for that pid and an
// oom-kill event naming it; the victim's last row is marked as ended by an OOM kill,
// with its cgroup, the RSS last read while it lived and the faults the probes
// counted, and a process-exit event says so. A pinned `sleep` killed by SIGTERM gets a
// last row saying so; a pinned program that touches 20,000 pages and exits with code 3
// at once gets "exit 3", and its rows' minor faults add up to what its own getrusage
// counted from the moment it was told to go (it was idle before, so faultline's first
// read saw the same total) to just before it exited: the last interval is counted at
// the exit (probes/faults.bt PROCESS EXIT), not from a /proc that is gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { removeCgroup } from '../harness/memcg.js';

const skip = kernelGate();
const CGROUP = `/sys/fs/cgroup/memory/faultline-test-${process.pid}`;
let live: LiveRun | null = null;
let hog: ChildProcess | null = null;
let sleeper: ChildProcess | null = null;
let toucher: ChildProcess | null = null;

after(async () => {
  if (hog?.exitCode === null && hog.signalCode === null) hog.kill('SIGKILL');
  if (sleeper?.exitCode === null && sleeper.signalCode === null) sleeper.kill('SIGKILL');
  if (toucher?.exitCode === null && toucher.signalCode === null) toucher.kill('SIGKILL');
  await live?.stop();
  await removeCgroup(CGROUP);
});

test('memcg limit: reclaim stalls for the pid and an oom-kill event with its pid', { skip, timeout: 120_000 }, async (t) => {
  if (!existsSync('/sys/fs/cgroup/memory')) {
    assert.fail('cgroup v1 memory controller is not mounted at /sys/fs/cgroup/memory');
  }
  mkdirSync(CGROUP);
  writeFileSync(`${CGROUP}/memory.limit_in_bytes`, String(64 * 2 ** 20));
  try {
    writeFileSync(`${CGROUP}/memory.memsw.limit_in_bytes`, String(64 * 2 ** 20)); // no swap escape where swap accounting is on
  } catch {
    // no swap accounting on this kernel
  }
  sleeper = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
  const sleeperPid = sleeper.pid!;
  toucher = spawn(compiledProgram('touch-pages'), ['20000', '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const toucherPid = toucher.pid!;
  let toucherOut = '';
  toucher.stdout!.on('data', (chunk: Buffer) => (toucherOut += chunk.toString()));
  live = startLive(['--interval', '500ms', '--groups', 'reclaim,faults', '--long-stall', '1ms', '--pid', String(sleeperPid), '--pid', String(toucherPid)]);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');

  // enter the cgroup before allocating: the shell moves itself, then execs the hog
  hog = spawn('/bin/sh', ['-c', `echo $$ > ${CGROUP}/cgroup.procs && exec "$0" 4 100 400`, compiledProgram('alloc-forever')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const hogPid = hog.pid!;
  const exit = await new Promise<string>((resolve) => hog!.on('exit', (code, signal) => resolve(String(signal ?? code))));
  t.diagnostic(`hog pid ${hogPid} ended with ${exit}`);
  assert.equal(exit, 'SIGKILL', 'the OOM killer should have killed the hog');

  const oom = await live.waitFor((s) => s.events.some((e) => e.type === 'oom-kill' && e.pid === hogPid), 10_000, `oom-kill event for pid ${hogPid}`);
  const event = oom.events.find((e) => e.type === 'oom-kill' && e.pid === hogPid)!;
  assert.match(event.comm, /alloc-forever/);
  assert.ok(event.anonRssBytes > 32 * 2 ** 20, `victim anon RSS ${event.anonRssBytes} should be near the 64 MiB limit`);
  const rows = live.snapshots.flatMap((s) => s.vms.filter((v) => v.pid === hogPid));
  const memcgStalls = rows.reduce((sum, v) => sum + v.reclaim.memcgStalls, 0);
  const stallNs = rows.reduce((sum, v) => sum + v.reclaim.stallNs, 0);
  t.diagnostic(`memcg reclaim stalls ${memcgStalls}, total ${(stallNs / 1e6).toFixed(1)} ms over ${rows.length} rows`);
  assert.ok(memcgStalls > 0, 'no memcg reclaim stalls recorded for the hog');
  assert.ok(stallNs > 0);
  assert.ok(rows.some((v) => v.cgroup.path.endsWith(`faultline-test-${process.pid}`)), 'the hog row names its cgroup');
  // the snapshots' diagnosis: a critical OOM kill at the cgroup's limit, naming the hog
  const diagnosed = await live.waitFor((s) => s.diagnosis?.causes.some((c) => c.cause === 'oom-kill' && c.pid === hogPid) ?? false, 10_000, 'a diagnosis with the OOM kill');
  const oomCause = diagnosed.diagnosis!.causes.find((c) => c.cause === 'oom-kill' && c.pid === hogPid)!;
  assert.equal(diagnosed.diagnosis!.status, 'critical');
  assert.equal(oomCause.severity, 'critical');
  assert.match(oomCause.title, new RegExp(`alloc-forever.* \\(pid ${hogPid}\\) was OOM-killed at its cgroup's limit \\(/faultline-test-${process.pid}\\)`));
  assert.match(oomCause.remedy, new RegExp(`^raise /faultline-test-${process.pid}'s limit`));

  // its last row: ended by the OOM killer, with its cgroup and what it held
  const ended = await live.waitFor((s) => s.events.some((e) => e.type === 'process-exit' && e.pid === hogPid), 10_000, `process-exit event for pid ${hogPid}`);
  const exitEvent = ended.events.find((e) => e.type === 'process-exit' && e.pid === hogPid)!;
  assert.match(exitEvent.message, /\(pid \d+\) killed by the OOM killer; last RSS read [\d.]+ MiB, cgroup \/faultline-test-/);
  const last = ended.vms.find((v) => v.pid === hogPid)!;
  assert.deepEqual(last.exit?.cause, 'oom-kill');
  assert.ok(last.cgroup.path.endsWith(`faultline-test-${process.pid}`), `last row's cgroup: ${last.cgroup.path}`);
  assert.ok(last.rss.anonBytes > 16 * 2 ** 20, `last row's anon RSS ${last.rss.anonBytes}: the last read while it lived, not 0`);
  // its last interval's faults come from its totals at the exit. Its rows' minor faults
  // add up to those totals less the read before its first row; the probes' 1-in-16
  // page sample counts the same faults from the interval boundary before that read, a
  // few ms earlier: the two differ by what it faulted in those ms (at most one 4 MiB
  // step, 1,024 pages: it allocates in bursts), the faults the kernel failed at the
  // OOM (counted at entry by the probes, not in minflt) and the sample's error. Per row
  // that shift can be most of a short last interval (the last row's minor was 0.71x
  // its sample here once); over its whole life it is small.
  const hogRows = live.snapshots.flatMap((s) => s.vms.filter((v) => v.pid === hogPid));
  const minorSum = hogRows.reduce((sum, v) => sum + v.faults.minor, 0);
  const sampledSum = hogRows.reduce((sum, v) => sum + v.faults.user + v.faults.kernel, 0);
  t.diagnostic(`hog's last row: minor ${last.faults.minor} (totals at exit), probes' sample ${last.faults.user + last.faults.kernel}; its ${hogRows.length} rows: minor ${minorSum}, sample ${sampledSum}`);
  assert.ok(last.faults.minor > 0, `faults of its last interval: minor ${last.faults.minor} at exit`);
  assert.ok(Math.abs(minorSum - sampledSum) <= 1024 + 0.05 * sampledSum, `its rows' minor faults ${minorSum} against the probes' sample ${sampledSum}`);
  assert.equal(live.snapshots.filter((s) => s.vms.some((v) => v.pid === hogPid && v.exit)).length, 1, 'one last row');

  assert.equal(last.exit!.signal, 9, 'the OOM kill was seen at the exit: SIGKILL');
  assert.equal(last.exit!.faultsAtExit, true);

  // a pinned process killed by a signal
  assert.ok(live.snapshots.at(-1)!.vms.some((v) => v.pid === sleeperPid && !v.exit), 'the sleep has a row while it lives');
  const gone = new Promise((resolve) => sleeper!.on('exit', resolve));
  sleeper.kill('SIGTERM');
  await gone;
  const slept = await live.waitFor((s) => s.vms.some((v) => v.pid === sleeperPid && v.exit), 10_000, `the sleep's last row (pid ${sleeperPid})`);
  assert.deepEqual(slept.vms.find((v) => v.pid === sleeperPid)!.exit, { atMs: slept.timeMs, cause: 'signal', code: 0, signal: 15, faultsAtExit: true });
  assert.ok(slept.events.some((e) => e.type === 'process-exit' && e.pid === sleeperPid && / killed by SIGTERM; last RSS read /.test(e.message)));

  // a pinned process that touches 20,000 pages and exits with code 3 straight after
  const exited = new Promise<number | null>((resolve) => toucher!.on('exit', (code) => resolve(code)));
  toucher.stdin!.write('go\n');
  assert.equal(await exited, 3);
  const ownCount = Number(/exiting (\d+)/.exec(toucherOut)?.[1]);
  assert.ok(ownCount >= 20_000, `its own getrusage count: ${toucherOut.trim()}`);
  const touched = await live.waitFor((s) => s.vms.some((v) => v.pid === toucherPid && v.exit), 10_000, `the toucher's last row (pid ${toucherPid})`);
  const toucherLast = touched.vms.find((v) => v.pid === toucherPid)!;
  assert.deepEqual(toucherLast.exit, { atMs: touched.timeMs, cause: 'exit', code: 3, signal: 0, faultsAtExit: true });
  assert.ok(touched.events.some((e) => e.type === 'process-exit' && e.pid === toucherPid && / exited with code 3; /.test(e.message)));
  const toucherRows = live.snapshots.flatMap((s) => s.vms.filter((v) => v.pid === toucherPid));
  const summed = toucherRows.reduce((sum, v) => sum + v.faults.minor, 0);
  t.diagnostic(`toucher: ${toucherRows.length} rows, minor faults summed ${summed}, its getrusage ${ownCount}, last row ${toucherLast.faults.minor}`);
  // each row has the delta since the read before (the first, since faultline's first
  // read, while it was idle), the last one the total at exit less the last /proc read
  assert.ok(Math.abs(summed - ownCount) <= 2, `rows sum to ${summed} minor faults, its own count is ${ownCount}`);
});
