// Real memory pressure: a process in a cgroup-v1 memory cgroup with a 64 MiB limit
// allocates past it. faultline must show memcg reclaim stalls for that pid and an
// oom-kill event naming it.
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

after(async () => {
  if (hog?.exitCode === null && hog.signalCode === null) hog.kill('SIGKILL');
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
  live = startLive(['--interval', '500ms', '--groups', 'reclaim,faults', '--long-stall', '1ms']);
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
});
