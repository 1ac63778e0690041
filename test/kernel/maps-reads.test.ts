// /proc/PID/maps of a process whose faults and RSS do not move is kept while the growth
// probe watches its mappings change (src/collect/detail-reuse.ts, mayKeepMaps): an idle
// process's maps are not read again at its refreshes (before: once every 60 intervals),
// and one that maps memory without touching it (no fault: its stat does not move) has
// them read at its next refresh (before: up to 60 intervals late). Its refreshes are
// quiet (detailRead): its cgroup alone is read, not its status, while KSM stands still;
// the mmap makes the next one a full read. The independent count is faultline's own
// openat calls, counted by a bpftrace one-liner.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { kernelGate, testBpftrace } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { linesOf } from '../harness/processes.js';
import { ksmCounts, ksmStillSince } from '../harness/mm-state.js';

const skip = kernelGate();
/** Past the old backstop (6 refresh periods of 10 intervals) with a period to spare. */
const IDLE_INTERVALS = 75;
let mapper: ChildProcess | null = null;
let tracer: ChildProcess | null = null;
let live: LiveRun | null = null;

after(async () => {
  for (const c of [tracer, mapper]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await live?.stop();
});


test('maps: an idle process is not read again while the growth probe watches, its refreshes read its cgroup alone; one that maps without a fault is read at its next refresh', { skip, timeout: 120_000 }, async (t) => {
  mapper = spawn(compiledProgram('map-on-line'), ['16384'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const mapperOut = linesOf(mapper);
  await mapperOut.next(/^ready$/);
  // one mmap before faultline starts: its first one faults in the code and buffers it
  // needs (stdio, libc's pages); the one measured below then takes no fault
  mapper.stdin!.write('map\n');
  await mapperOut.next(/^mapped /);
  const pid = mapper.pid!;
  const statBefore = readFileSync(`/proc/${pid}/stat`, 'utf8');

  live = startLive(['--interval', '250ms', '--groups', 'faults,growth', '--pid', String(pid)]);
  await live.waitFor((s) => s.vms.some((v) => v.pid === pid) && s.probes.groups.some((g) => g.group === 'growth' && g.attached), 60_000, 'a row for the pinned process, growth attached');

  // every file faultline opens from now on
  tracer = spawn(testBpftrace(), ['-e', 'BEGIN { printf("ready\\n"); } tracepoint:syscalls:sys_enter_openat /pid == $1/ { printf("open %s\\n", str(args->filename)); }', String(live.pid)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const opened = linesOf(tracer);
  await opened.next(/^ready$/);
  const countOf = (file: string): number => opened.lines.filter((l) => l === `open /proc/${pid}/${file}`).length;
  const from = live.snapshots.length;
  const ksmBefore = ksmCounts();
  await live.waitFor((_s, all) => all.length >= from + IDLE_INTERVALS, 60_000, `${IDLE_INTERVALS} intervals`);
  // refreshes are quiet only while KSM is off and its counts stand still
  const ksmStill = ksmStillSince(ksmBefore);
  const [statuses, cgroups] = [countOf('status'), countOf('cgroup')];
  console.log(`  idle, ${IDLE_INTERVALS} intervals: status opened ${statuses} times, cgroup ${cgroups}, maps ${countOf('maps')}; KSM ${ksmStill ? 'off and still' : 'running or moved'} (run, shared, sharing: ${ksmBefore})`);
  // the one-liner sees the process's refreshes (one every 10 intervals): it can count
  assert.ok(cgroups >= 6, `cgroup opened ${cgroups} times in ${IDLE_INTERVALS} intervals (refreshed every 10)`);
  assert.equal(countOf('maps'), 0, 'maps not read again while the process stayed idle and the probe watched');
  if (ksmStill) assert.equal(statuses, 0, 'quiet refreshes: status not read while KSM stood still and no mapping changed');
  else t.diagnostic(`KSM ran or its page counts moved during the window (${ksmBefore} -> ${ksmCounts()}): refreshes were full reads, status opened ${statuses} times`);
  const statusesBeforeMmap = statuses;
  // idle indeed: its faults and RSS (what the collector compares) did not move
  const memoryFields = (stat: string): string => { const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); return `${f[7]} ${f[9]} ${f[21]}`; };
  assert.equal(memoryFields(readFileSync(`/proc/${pid}/stat`, 'utf8')), memoryFields(statBefore), 'minflt, majflt and rss did not move');

  // it maps 64 MiB without touching them
  const mappedAt = live.snapshots.length;
  mapper.stdin!.write('map\n');
  await mapperOut.next(/^mapped /);
  const caught = await live.waitFor((s, all) => all.indexOf(s) >= mappedAt && countOf('maps') > 0, 30_000, 'maps read again after the mmap');
  // and a full read: status too
  assert.ok(countOf('status') > statusesBeforeMmap, `status read with the maps after the mmap (${countOf('status')} opens, ${statusesBeforeMmap} before)`);
  const intervalsLate = live.snapshots.indexOf(caught) - mappedAt;
  console.log(`  after the mmap: maps read ${intervalsLate} intervals later`);
  // the read came from the probe's mmap, not from a fault: the stat still stands
  assert.equal(memoryFields(readFileSync(`/proc/${pid}/stat`, 'utf8')), memoryFields(statBefore), 'the mmap took no fault (minflt, majflt, rss)');
  assert.ok(intervalsLate <= 12, `maps read ${intervalsLate} intervals after the mmap (a refresh period is 10)`);
});
