// Round trip of a real run: `faultline record` (real bpftrace, run from source) traces
// a real QEMU guest that grows and a process that leaks; it echoes every snapshot it
// writes as a JSON line (--json). Read back, the recording must hold exactly those
// snapshots, in order, with no damage, and the VM and the leak must be in them; then
// `faultline report` and `faultline export` read it. One QEMU; about 40 s.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Snapshot } from '../../src/model/snapshot.js';
import { openRecording } from '../../src/record/reader.js';
import { kernelGate } from '../harness/kernel-gate.js';
import { startGuest, type Guest } from '../harness/qemu-guest.js';
import { compiledProgram } from '../harness/c-program.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { startRecord, type RecordRun } from '../record/record-cli.js';

const MiB = 2 ** 20;
const skip = kernelGate({ qemu: true });
const dir = mkdtempSync(join(tmpdir(), 'faultline-roundtrip-'));
let guest: Guest | null = null;
let leaker: ChildProcess | null = null;
let record: RecordRun | null = null;
after(async () => {
  await record?.stop();
  await guest?.stop();
  if (leaker?.exitCode === null && leaker.signalCode === null) leaker.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [command, argv] = cliCommand(args);
  const run = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('a recorded real run reads back as the same snapshots; report and export read it', { skip, timeout: 240_000 }, async (t) => {
  const path = join(dir, 'run.flt');
  // the leak: 1 MiB every 250 ms, up to 96 MiB; pinned with --pid so it always has a row
  leaker = spawn(compiledProgram('alloc-forever'), ['1', '250', '96'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => createInterface({ input: leaker!.stdout! }).once('line', () => resolve()));

  record = startRecord(['-o', path, '--interval', '1s', '--pid', String(leaker.pid)]);
  await record.waitFor((all) => all.length > 0, 90_000, 'the first snapshot (probes attached)');
  guest = await startGuest({ name: 'roundtrip01', memoryMiB: 256, hogMiB: 8, hogLimitMiB: 48, hogIntervalS: 1, disableThp: true });
  await guest.waitForConsole(/HOG: done/, 90_000);
  const guestPid = guest.pid;
  await record.waitFor((all) => all.filter((s) => s.vms.some((v) => v.pid === guestPid)).length >= 3, 15_000, 'three snapshots with the guest');
  await guest.stop();
  await record.waitFor((all) => all.some((s) => s.events.some((e) => e.type === 'vm-exit')), 15_000, 'the vm-exit event');
  const exit = await record.stop();
  t.diagnostic(`record exited ${JSON.stringify(exit)}; stderr:\n${record.stderr.join('\n')}`);
  assert.deepEqual(exit, { code: 0, signal: null });

  const echoed = record.snapshots;
  const reader = await openRecording(path);
  const read: Snapshot[] = [];
  for await (const s of reader.snapshots()) read.push(s);
  t.diagnostic(`${read.length} snapshots, ${readFileSync(path).length} bytes, probes ${reader.meta.probeGroups.join(',')}`);
  assert.equal(read.length, echoed.length);
  assert.deepEqual(read, echoed, 'the recording holds exactly the snapshots record printed');
  assert.deepEqual(reader.stats.damage, []);
  assert.equal(reader.stats.bytesIgnoredAtEnd, 0);
  assert.deepEqual([...reader.meta.probeGroups].sort(), ['faults', 'growth', 'kvm', 'reclaim']);
  assert.equal(reader.meta.formatVersion, 1);

  // the content is the run: the guest grew, the leaker grew
  const vmRows = read.flatMap((s) => s.vms.filter((v) => v.pid === guestPid));
  assert.ok(vmRows.every((v) => v.kind === 'vm' && v.name === 'roundtrip01'));
  const guestRam = vmRows.map((v) => v.rss.guestRamBytes);
  assert.ok(Math.max(...guestRam) - Math.min(...guestRam) >= 24 * MiB, `guest RAM grew by ${(Math.max(...guestRam) - Math.min(...guestRam)) / MiB} MiB`);
  const leakRows = read.flatMap((s) => s.vms.filter((v) => v.pid === leaker!.pid));
  assert.ok(leakRows.length >= read.length - 1, 'the pinned leaker has a row in every snapshot');
  assert.ok(leakRows.at(-1)!.rss.anonBytes - leakRows[0]!.rss.anonBytes >= 8 * MiB, 'the leaker grew');

  const report = cli(['report', path, '--format', 'json']);
  assert.equal(report.status, 0, report.stderr);
  const summary = JSON.parse(report.stdout) as { vms: Array<{ name: string; kind: string; rss: { peak: { guestRamBytes: number } } }>; recording: { snapshots: number } };
  assert.equal(summary.recording.snapshots, read.length);
  assert.ok(summary.vms.find((v) => v.name === 'roundtrip01' && v.kind === 'vm')!.rss.peak.guestRamBytes >= Math.max(...guestRam));

  const trace = join(dir, 'trace.json');
  const exported = cli(['export', path, '--format', 'chrome-json', '-o', trace]);
  assert.equal(exported.status, 0, exported.stderr);
  const events = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: Array<{ ph: string; name: string; args: { name?: string } }> }).traceEvents;
  assert.ok(events.some((e) => e.ph === 'M' && e.args.name === `vm roundtrip01 (pid ${guestPid})`));
});
