// Code pages given back (src/probe/code-page-out.ts), with real bpftrace and the real
// CLI: the resident pages of bpftrace's read-only file mappings (LLVM, clang, its own
// code), summed from /proc/PID/smaps by this test, with `--keep-code-pages` and without,
// one session after the other (two bpftraces at once would share the pages, and the
// kernel leaves a shared page alone). Without the flag they must be at least 30 MiB
// fewer and under a third (measured here: 80.5 -> 18.5 MiB, the rest pages other
// processes map too); faultline's own line must say it; and the paged-out bpftrace
// must still count: a process touching 32768 pages is counted within 5% of its
// /proc/PID/stat.
// Without perl, the kept bpftrace's pages stay and pageOutCode says why.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { touchPages } from '../harness/touch-pages.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { bpftracePidOf } from '../harness/processes.js';
import { pageOutCode } from '../../src/probe/code-page-out.js';

const skip = kernelGate();
let live: LiveRun | null = null;
const workloads: ChildProcess[] = [];
after(async () => {
  for (const w of workloads) w.kill('SIGKILL');
  await live?.stop();
});

const MiB = 1048576;

/** Resident bytes of `pid`'s read-only file mappings, from smaps (written here, not
 * faultline's parser: a header line, then `Rss:` among its fields). */
function readOnlyFileRssBytes(pid: number): number {
  let counted = false;
  let bytes = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      counted = !header[1]!.includes('w') && header[2]!.startsWith('/');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss && counted) bytes += Number(rss[1]) * 1024;
  }
  return bytes;
}

async function bpftraceCodeBytes(args: string[]): Promise<{ bytes: number; run: LiveRun; pid: number }> {
  const run = startLive(['--interval', '1s', '--groups', 'faults', ...args]);
  live = run;
  await run.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  const pid = bpftracePidOf(run.pid);
  return { bytes: readOnlyFileRssBytes(pid), run, pid };
}

test('bpftrace gives its compiler pages back once attached, and still counts', { skip, timeout: 240_000 }, async () => {
  const kept = await bpftraceCodeBytes(['--keep-code-pages']);
  assert.ok(!kept.run.stderr.some((l) => /pages given back/.test(l)), `--keep-code-pages paged out:\n${kept.run.stderr.join('\n')}`);
  assert.deepEqual(await pageOutCode(kept.pid, '/nonexistent/perl'), { ok: false, reason: '/nonexistent/perl not found' });
  assert.ok(readOnlyFileRssBytes(kept.pid) > kept.bytes - 5 * MiB, 'pages went without perl');
  await kept.run.stop();

  const given = await bpftraceCodeBytes([]);
  console.log(`  bpftrace's read-only file pages resident: ${(kept.bytes / MiB).toFixed(1)} MiB kept, ${(given.bytes / MiB).toFixed(1)} MiB given back`);
  const line = given.run.stderr.find((l) => /bpftrace's compiler pages given back: RSS [\d.]+ -> [\d.]+ MiB/.test(l));
  assert.ok(line, `no page-out line:\n${given.run.stderr.join('\n')}`);
  assert.ok(kept.bytes - given.bytes >= 30 * MiB, `only ${((kept.bytes - given.bytes) / MiB).toFixed(1)} MiB fewer`);
  assert.ok(given.bytes < kept.bytes / 3, `${(given.bytes / MiB).toFixed(1)} of ${(kept.bytes / MiB).toFixed(1)} MiB still resident`);

  const seq = given.run.snapshots.length;
  const { pid, faults } = await touchPages(32768, workloads);
  await given.run.waitFor((_s, all) => all.length >= seq + 4, 20_000, 'three more snapshots');
  const probed = given.run.snapshots.flatMap((s) => s.vms.filter((v) => v.pid === pid)).reduce((sum, v) => sum + v.faults.user, 0);
  console.log(`  after the page-out: touched 32768 pages, /proc minflt delta ${faults}, probe user faults ${probed}`);
  assert.ok(Math.abs(probed - faults) <= 0.05 * faults, `probe ${probed} vs /proc ${faults}`);

  console.log(`  ${line!.trim()}`);
});
