// Real bpftrace, real kernel: a process that touches exactly N fresh 4 KiB pages is
// counted by the faults probe within 5% of the minor-fault delta the kernel itself
// reports in /proc/PID/stat, and its hotspots are the mapping it touched.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { parseProcStat } from '../../src/host/proc-stat.js';

const PAGES = 16384; // 64 MiB, 32 regions of 2 MiB
const skip = kernelGate();
let live: LiveRun | null = null;
let workload: ReturnType<typeof spawn> | null = null;
after(async () => {
  workload?.kill('SIGKILL');
  await live?.stop();
});

function minorFaults(pid: number): number {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.minflt;
}

test('N touched pages: probe count within 5% of /proc/PID/stat, hotspots in the touched mapping', { skip, timeout: 120_000 }, async () => {
  workload = spawn(compiledProgram('touch-pages'), [String(PAGES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = workload.pid!;
  const lines = createInterface({ input: workload.stdout! });
  const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  const [, addressText, bytesText] = (await next()).split(' ');
  const start = Number(addressText);
  const end = start + Number(bytesText);

  live = startLive(['--interval', '500ms', '--groups', 'faults', '--pid', String(pid)]);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  const before = minorFaults(pid);
  const firstSeq = live.snapshots.length;
  workload.stdin!.write('go\n');
  const done = await next();
  const after = minorFaults(pid);
  // two more intervals so the probe's counts for the touch have arrived
  await live.waitFor((_s, all) => all.length >= firstSeq + 3, 20_000, 'two more snapshots');
  await live.stop();

  const rows = live.snapshots.flatMap((s) => s.vms.filter((v) => v.pid === pid));
  const probed = rows.reduce((sum, v) => sum + v.faults.user, 0);
  const kernelDelta = after - before;
  console.log(`  touched ${PAGES} pages; /proc/${pid}/stat minflt delta ${kernelDelta}; getrusage ${done}; probe user faults ${probed}`);
  assert.ok(kernelDelta >= PAGES, `the kernel counted ${kernelDelta} minor faults for ${PAGES} pages`);
  assert.ok(Math.abs(probed - kernelDelta) <= 0.05 * kernelDelta, `probe ${probed} vs kernel ${kernelDelta}: more than 5% apart`);

  const hotspots = rows.flatMap((v) => v.hotspots);
  const inMapping = hotspots.filter((h) => h.startAddress + h.bytes > start && h.startAddress < end);
  const faultsInMapping = inMapping.reduce((sum, h) => sum + h.faults, 0);
  const faultsInHotspots = hotspots.reduce((sum, h) => sum + h.faults, 0);
  assert.ok(inMapping.length > 0, 'no hotspot in the touched mapping');
  assert.ok(inMapping.every((h) => h.region === 'anon'), `touched mapping named ${[...new Set(inMapping.map((h) => h.region))]}`);
  assert.ok(faultsInMapping >= 0.9 * faultsInHotspots, `only ${faultsInMapping} of ${faultsInHotspots} hotspot faults in the touched mapping`);
});
