// A process whose faults and RSS do not move has its page tables walked again (smaps_rollup
// for a process, smaps for a VM) every 300 intervals while the kernel moves pages on its
// own (/proc/vmstat: migration, THP collapse and split), and only every 1,800 while it
// moves none (src/collect/page-walks.ts, unchangedWalkDue). What must hold: khugepaged
// collapsing an idle process's memory into huge pages (no fault, no RSS change in it)
// shows in its row at the walk 300 intervals after its last; and with nothing moved
// since that walk, no walk comes 300 intervals later. The independent counts:
// smaps_rollup's AnonHugePages, /proc/vmstat, and faultline's own openat calls counted
// by a bpftrace one-liner. 100 ms intervals: 300 are 30 s.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { kernelGate, testBpftrace } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { linesOf } from '../harness/processes.js';
import { PAGE_MOVER_COUNTERS } from '../../src/collect/page-walks.js';
import { ksmCounts, ksmStillSince, pageMoverCounts } from '../harness/mm-state.js';
import type { VmSnapshot } from '../../src/model/snapshot.js';

const skip = kernelGate();
const MiB = 2 ** 20;
const SCAN_SLEEP = '/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs';
/** A refresh period is 10 intervals; the walk period while pages move, 30 of them. */
const MOVED_PERIOD_INTERVALS = 300;
let program: ChildProcess | null = null;
let tracer: ChildProcess | null = null;
let live: LiveRun | null = null;
let scanSleepBefore: string | null = null;

after(async () => {
  for (const c of [tracer, program]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await live?.stop();
  if (scanSleepBefore !== null) writeFileSync(SCAN_SLEEP, scanSleepBefore);
});

const anonHugeKib = (pid: number): number => Number(/^AnonHugePages:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
/** minflt, majflt and rss: what the collector compares. */
const memoryFields = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return `${f[7]} ${f[9]} ${f[21]}`;
};

test('page walks: a collapse by khugepaged shows at the walk 300 intervals on; with no page moved since, no walk 300 intervals later', { skip, timeout: 150_000 }, async (t) => {
  assert.match(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'), /\[(always|madvise)\]/, 'THP must be on (always or madvise) for khugepaged to collapse');
  program = spawn(compiledProgram('collapse-later'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = linesOf(program);
  await out.next(/^ready /);
  const pid = program.pid!;
  assert.equal(anonHugeKib(pid), 0, 'touched in 4 KiB pages');

  live = startLive(['--interval', '100ms', '--groups', 'faults,growth', '--pid', String(pid)]);
  const rowOf = (s: { vms: VmSnapshot[] }): VmSnapshot | undefined => s.vms.find((v) => v.pid === pid);
  await live.waitFor((s) => rowOf(s) !== undefined, 60_000, 'a row for the pinned process');
  // every walk of it from now on
  tracer = spawn(testBpftrace(), ['-e', 'BEGIN { printf("ready\\n"); } tracepoint:syscalls:sys_enter_openat /pid == $1/ { printf("open %s\\n", str(args->filename)); }', String(live.pid)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const opened = linesOf(tracer);
  await opened.next(/^ready$/);
  const walks = (): number => opened.lines.filter((l) => l === `open /proc/${pid}/smaps_rollup`).length;
  // its last walk before the collapse: the first, or the one at a full read (a refresh)
  // after faultline's start; give it two refresh periods, then take the latest
  const settled = live.snapshots.length + 20;
  await live.waitFor((_s, all) => all.length >= settled, 30_000, '20 intervals');
  const lastWalkAt = live.snapshots.length;
  const walksBefore = walks();

  // khugepaged collapses the 8 MiB, scanning every 100 ms instead of 10 s: no fault, no RSS change
  scanSleepBefore = readFileSync(SCAN_SLEEP, 'utf8').trim();
  const statBefore = memoryFields(pid);
  program.stdin!.write('go\n');
  await out.next(/^advised$/);
  writeFileSync(SCAN_SLEEP, '100');
  const deadline = Date.now() + 20_000;
  while (anonHugeKib(pid) < 8192 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  writeFileSync(SCAN_SLEEP, scanSleepBefore);
  scanSleepBefore = null;
  assert.equal(anonHugeKib(pid), 8192, 'khugepaged collapsed the 8 MiB (smaps_rollup AnonHugePages)');
  assert.equal(memoryFields(pid), statBefore, 'no fault, no RSS change in the process (minflt, majflt, rss)');
  const collapsedAt = live.snapshots.length;
  assert.equal(rowOf(live.snapshots.at(-1)!)!.rss.anonHugeBytes, 0, 'its row still has the walk from before the collapse');

  // the walk 300 intervals after the last one shows it (the counters moved: the shorter period)
  const caught = await live.waitFor((s, all) => all.indexOf(s) >= collapsedAt && rowOf(s)?.rss.anonHugeBytes === 8 * MiB, 60_000, 'the row showing the 8 MiB in huge pages');
  const caughtAt = live.snapshots.indexOf(caught);
  console.log(`  collapse at interval ${collapsedAt - lastWalkAt} after the last walk seen; in the row ${caughtAt - collapsedAt} intervals later; walks of it meanwhile ${walks() - walksBefore}`);
  assert.ok(caughtAt - lastWalkAt <= MOVED_PERIOD_INTERVALS + 25, `shown ${caughtAt - lastWalkAt} intervals after the last walk (the period is ${MOVED_PERIOD_INTERVALS}, a refresh 10 more)`);
  assert.ok(walks() > walksBefore, 'a walk read it');

  // nothing moves from here (as far as the counters show): no walk in the next 300 intervals
  const [moversBefore, ksmBefore, walksAfterCatch] = [pageMoverCounts(), ksmCounts(), walks()];
  const from = live.snapshots.length;
  await live.waitFor((_s, all) => all.length >= from + MOVED_PERIOD_INTERVALS + 20, 90_000, `${MOVED_PERIOD_INTERVALS + 20} more intervals`);
  const still = pageMoverCounts() === moversBefore && ksmStillSince(ksmBefore);
  const later = walks() - walksAfterCatch;
  console.log(`  then ${MOVED_PERIOD_INTERVALS + 20} intervals: ${later} walks; page movers ${still ? 'still' : `moved (${moversBefore} -> ${pageMoverCounts()}; KSM ${ksmBefore} -> ${ksmCounts()})`}`);
  assert.equal(memoryFields(pid), statBefore, 'the process stayed idle');
  if (still) assert.equal(later, 0, 'no walk while no page moved (the longer period, 1,800 intervals)');
  else t.diagnostic(`the kernel moved pages during the window (${PAGE_MOVER_COUNTERS.join(' ')}): ${later} walks, none asserted`);
  assert.equal(rowOf(live.snapshots.at(-1)!)!.rss.anonHugeBytes, 8 * MiB, 'the row keeps the 8 MiB');
});
