// Real memory pressure: a process in a cgroup-v1 memory cgroup with a 64 MiB limit
// allocates past it. faultline must show memcg reclaim stalls for that pid and an
// oom-kill event naming it; the victim's last row is marked as ended by an OOM kill,
// with its cgroup, the RSS last read while it lived and the faults the probes
// counted, and a process-exit event says so. A pinned `sleep` that ends gets a last
// row marked "ended" and its event too.
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

after(async () => {
  if (hog?.exitCode === null && hog.signalCode === null) hog.kill('SIGKILL');
  if (sleeper?.exitCode === null && sleeper.signalCode === null) sleeper.kill('SIGKILL');
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
  live = startLive(['--interval', '500ms', '--groups', 'reclaim,faults', '--long-stall', '1ms', '--pid', String(sleeperPid)]);
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

  // its last row: ended by the OOM killer, with its cgroup and what it held
  const ended = await live.waitFor((s) => s.events.some((e) => e.type === 'process-exit' && e.pid === hogPid), 10_000, `process-exit event for pid ${hogPid}`);
  const exitEvent = ended.events.find((e) => e.type === 'process-exit' && e.pid === hogPid)!;
  assert.match(exitEvent.message, /\(pid \d+\) killed by the OOM killer; last RSS read [\d.]+ MiB, cgroup \/faultline-test-/);
  const last = ended.vms.find((v) => v.pid === hogPid)!;
  assert.deepEqual(last.exit?.cause, 'oom-kill');
  assert.ok(last.cgroup.path.endsWith(`faultline-test-${process.pid}`), `last row's cgroup: ${last.cgroup.path}`);
  assert.ok(last.rss.anonBytes > 16 * 2 ** 20, `last row's anon RSS ${last.rss.anonBytes}: the last read while it lived, not 0`);
  assert.ok(last.faults.minor >= last.faults.user + last.faults.kernel, `faults of its last interval from the probes: minor ${last.faults.minor}, probes ${last.faults.user}+${last.faults.kernel}`);
  assert.equal(live.snapshots.filter((s) => s.vms.some((v) => v.pid === hogPid && v.exit)).length, 1, 'one last row');

  // a pinned process that ends (by SIGTERM: faultline does not trace exit codes)
  assert.ok(live.snapshots.at(-1)!.vms.some((v) => v.pid === sleeperPid && !v.exit), 'the sleep has a row while it lives');
  const gone = new Promise((resolve) => sleeper!.on('exit', resolve));
  sleeper.kill('SIGTERM');
  await gone;
  const slept = await live.waitFor((s) => s.vms.some((v) => v.pid === sleeperPid && v.exit), 10_000, `the sleep's last row (pid ${sleeperPid})`);
  assert.equal(slept.vms.find((v) => v.pid === sleeperPid)!.exit!.cause, 'ended');
  assert.ok(slept.events.some((e) => e.type === 'process-exit' && e.pid === sleeperPid && / ended; last RSS read /.test(e.message)));
});
