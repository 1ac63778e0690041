// ProcStatReader (src/host/proc-stat-reader.ts) against the real /proc: it must see what
// readProcessStats sees, hold one descriptor per process and give it back when the
// process goes, re-read fresh counters through it, and fall back to open-read-close
// beyond maxHeld. Linux, as root (the collector's own conditions). The fixture tree
// checks the same on files made by hand.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_THREAD_EVERY, ProcStatReader } from '../../src/host/proc-stat-reader.js';
import { readProcessStats } from '../../src/host/proc-stat.js';
import type { ProcessStat } from '../../src/model/host.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }));
const MiB = 2 ** 20;

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

async function start(command: string, args: string[], stdio: 'ignore' | 'pipe' = 'ignore'): Promise<ChildProcess & { pid: number }> {
  const child = spawn(command, args, { stdio });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child as ChildProcess & { pid: number };
}

/** Resolves when the child has exited and been reaped (its pid is gone from /proc). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once the process's stat line stays the same over 100 ms (at most 5 s). */
async function settled(pid: number): Promise<void> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (line === last) return;
    last = line;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pid ${pid} still moving after 5 s`);
}

/** Resolves with the first stdout line of `child` that equals `line`. */
function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.split('\n').includes(line)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', () => reject(new Error(`child exited before printing ${line}: ${seen}`)));
  });
}

/** Our own descriptors, with what each names. */
function ownFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the descriptor readdirSync itself used, closed by now
    }
  }
  return fds;
}

const fdsNaming = (pid: number): number[] => [...ownFds()].filter(([, target]) => target === `/proc/${pid}/stat`).map(([fd]) => fd);
/** Our descriptors open on some /proc/PID/stat. */
const statFds = (): string[] => [...ownFds().values()].filter((target) => /^\/proc\/\d+\/stat$/.test(target));
const byPid = (stats: ProcessStat[]): Map<number, ProcessStat> => new Map(stats.map((s) => [s.pid, s]));
const bothTimes = (a: ProcessStat[], b: ProcessStat[]): number[] => {
  const later = byPid(b);
  return a.filter((s) => later.get(s.pid)?.startTimeTicks === s.startTimeTicks).map((s) => s.pid);
};

test('fixture tree: readAll equals readProcessStats, and again through the held descriptors', async () => {
  const procRoot = join(FIXTURES_DIR, 'synthetic-libvirt');
  const expected = await readProcessStats(procRoot);
  assert.deepEqual(expected.map((s) => s.pid), [2, 900, 1234]);
  const reader = new ProcStatReader(procRoot);
  try {
    assert.deepEqual(await reader.readAll(), expected);
    assert.equal(reader.heldCount, 3);
    assert.deepEqual(await reader.readAll(), expected, 'second read, at offset 0 of the same descriptors');
    assert.equal(reader.heldCount, 3);
  } finally {
    reader.close();
  }
  const unheld = new ProcStatReader(procRoot, 0);
  assert.deepEqual(await unheld.readAll(), expected, 'maxHeld 0: every file read the old way');
  assert.equal(unheld.heldCount, 0);
});

test('kernel threads are read one round in KERNEL_THREAD_EVERY, each in its own (by pid), their last line standing in between; ksmd and user processes every round', async () => {
  // a tree of files made here: kthreadd's children (ppid 2) and a user process, whose
  // counters this test moves every round; a read shows the new line at once
  const procRoot = mkdtempSync(join(tmpdir(), 'faultline-kthreads-'));
  const line = (pid: number, comm: string, ppid: number, ticks: number): string =>
    `${pid} (${comm}) S ${ppid} 0 0 0 -1 69238848 ${ticks} 0 0 0 ${ticks} 0 0 0 20 0 1 0 ${100 + pid} 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0\n`;
  const processes: [number, string, number][] = [[2, 'kthreadd', 0], [13, 'kworker/0:1', 2], [27, 'ksmd', 2], [31, 'kswapd0', 2], [4242, 'qemu-system-x86', 1]];
  const write = (round: number): void => {
    for (const [pid, comm, ppid] of processes) {
      mkdirSync(join(procRoot, String(pid)), { recursive: true });
      writeFileSync(join(procRoot, String(pid), 'stat'), line(pid, comm, ppid, round));
    }
  };
  const reader = new ProcStatReader(procRoot);
  try {
    for (let round = 0; round < 2 * KERNEL_THREAD_EVERY; round++) {
      write(round);
      const ticks = new Map((await reader.readAll()).map((s) => [s.pid, s.cpuTicks]));
      assert.deepEqual([...ticks.keys()], processes.map(([pid]) => pid), `round ${round}: every process listed`);
      // the first round reads everything; then a kernel thread only in its round
      const lastRead = (pid: number): number => (round === 0 ? 0 : Math.max(0, round - ((round + pid) % KERNEL_THREAD_EVERY)));
      for (const pid of [2, 13, 31]) assert.equal(ticks.get(pid), lastRead(pid), `round ${round}: kernel thread ${pid} as of round ${lastRead(pid)}`);
      assert.equal(ticks.get(27), round, `round ${round}: ksmd read every round (its CPU is reported)`);
      assert.equal(ticks.get(4242), round, `round ${round}: a user process read every round`);
    }
    // one gone: no longer listed, at once
    rmSync(join(procRoot, '13'), { recursive: true });
    assert.deepEqual((await reader.readAll()).map((s) => s.pid), [2, 27, 31, 4242]);
  } finally {
    reader.close();
    rmSync(procRoot, { recursive: true, force: true });
  }
});

test('a missing proc root gives [] as readProcessStats does', async () => {
  const reader = new ProcStatReader(join(FIXTURES_DIR, 'no-such-tree'));
  assert.deepEqual(await reader.readAll(), []);
  assert.equal(reader.heldCount, 0);
});

test('real /proc: the same processes, comm and start time as readProcessStats', async () => {
  const child = await start('sleep', ['30']);
  const reader = new ProcStatReader();
  try {
    const before = await readProcessStats();
    const mine = await reader.readAll();
    const afterwards = await readProcessStats();
    assert.deepEqual(mine.map((s) => s.pid), [...mine.map((s) => s.pid)].sort((a, b) => a - b), 'sorted by pid');
    // every process alive across the three reads is in ours
    const minePids = new Set(mine.map((s) => s.pid));
    const stable = bothTimes(before, afterwards);
    assert.ok(stable.length > 10, `${stable.length} long-lived processes`);
    assert.deepEqual(stable.filter((pid) => !minePids.has(pid)), []);
    // every process we hold a descriptor for is one we returned
    assert.equal(reader.heldCount, mine.length);

    for (const pid of [child.pid, process.pid]) {
      const theirs = byPid(before).get(pid);
      const ours = byPid(mine).get(pid);
      assert.ok(theirs && ours, `pid ${pid} in both`);
      assert.deepEqual([ours.pid, ours.comm, ours.startTimeTicks, ours.ppid], [theirs.pid, theirs.comm, theirs.startTimeTicks, theirs.ppid]);
      // read later: counters only go up
      assert.ok(ours.minflt >= theirs.minflt, `pid ${pid} minflt ${ours.minflt} >= ${theirs.minflt}`);
      assert.ok(ours.majflt >= theirs.majflt);
      assert.ok(ours.cpuTicks >= theirs.cpuTicks);
    }
    assert.equal(byPid(mine).get(child.pid)?.comm, 'sleep');
    assert.equal(byPid(mine).get(child.pid)?.ppid, process.pid);
  } finally {
    reader.close();
  }
});

test('real /proc: a new process appears; once reaped it disappears and its descriptor is closed', async () => {
  const reader = new ProcStatReader();
  try {
    await reader.readAll();
    const child = await start('sleep', ['30']);
    assert.deepEqual(fdsNaming(child.pid), [], 'not held before it is seen');

    const seen = await reader.readAll();
    assert.equal(byPid(seen).get(child.pid)?.comm, 'sleep');
    assert.equal(fdsNaming(child.pid).length, 1, 'one descriptor held for it');
    assert.equal(reader.heldCount, seen.length);

    process.kill(child.pid, 'SIGKILL');
    await exited(child);
    const gone = await reader.readAll();
    assert.equal(byPid(gone).has(child.pid), false);
    assert.deepEqual(fdsNaming(child.pid), [], 'its descriptor released');
    // one held per process listed, the child no longer among them: the count went down by
    // it (a literal before/after comparison would also count what else started meanwhile)
    assert.equal(reader.heldCount, gone.length);
  } finally {
    reader.close();
  }
});

test('real /proc: the held descriptor gives fresh counters (pread at offset 0), not a stale copy', async () => {
  // allocates and touches 64 MiB over about half a second when told to, then idles
  const script = `
    process.stdout.write('ready\\n');
    process.stdin.once('data', () => {
      const chunks = [];
      let n = 0;
      const timer = setInterval(() => {
        chunks.push(Buffer.alloc(4 * 2 ** 20, n + 1));
        if (++n === 16) { clearInterval(timer); process.stdout.write('done\\n'); setInterval(() => chunks.length, 1000); }
      }, 30);
    });`;
  const child = await start(process.execPath, ['-e', script], 'pipe');
  await waitForLine(child, 'ready');
  const reader = new ProcStatReader();
  try {
    const first = byPid(await reader.readAll()).get(child.pid);
    assert.ok(first, 'child seen');
    const [fd] = fdsNaming(child.pid);
    assert.ok(fd !== undefined, 'a descriptor held for the child');

    const done = waitForLine(child, 'done');
    child.stdin?.write('go\n');
    await done;
    const second = byPid(await reader.readAll()).get(child.pid);
    assert.ok(second);
    // still the same descriptor, and it was read with an offset: its file position never moved
    assert.deepEqual(fdsNaming(child.pid), [fd]);
    assert.match(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'), /^pos:\s+0$/m);
    assert.ok(second.minflt > first.minflt, `minflt ${first.minflt} -> ${second.minflt}`);
    assert.ok((second.rssPages - first.rssPages) * PAGE_BYTES >= 48 * MiB, `rss ${first.rssPages} -> ${second.rssPages} pages`);
    assert.equal(second.startTimeTicks, first.startTimeTicks);
  } finally {
    reader.close();
    process.kill(child.pid, 'SIGKILL');
    await exited(child);
  }
});

test('real /proc: with maxHeld 2 every process is still read, and at most 2 are held', async () => {
  const child = await start('sleep', ['30']);
  const reader = new ProcStatReader('/proc', 2);
  try {
    for (let round = 0; round < 3; round++) {
      const before = await readProcessStats();
      const mine = await reader.readAll();
      const afterwards = await readProcessStats();
      const minePids = new Set(mine.map((s) => s.pid));
      const stable = bothTimes(before, afterwards);
      assert.ok(stable.length > 2, 'more processes than descriptors');
      assert.deepEqual(stable.filter((pid) => !minePids.has(pid)), [], `round ${round}`);
      assert.ok(minePids.has(child.pid));
      assert.ok(reader.heldCount <= 2 && reader.heldCount > 0, `held ${reader.heldCount}`);
      assert.ok(statFds().length <= 2, statFds().join(' '));
    }
  } finally {
    reader.close();
  }
});

test('real /proc: close() gives back every descriptor', async () => {
  const fdsBefore = ownFds().size;
  const reader = new ProcStatReader();
  const stats = await reader.readAll();
  assert.ok(stats.length > 10);
  assert.equal(reader.heldCount, stats.length);
  assert.equal(statFds().length, stats.length, 'one descriptor per process');
  reader.close();
  assert.equal(reader.heldCount, 0);
  assert.equal(ownFds().size, fdsBefore);
  assert.deepEqual(statFds(), []);
});

test('real /proc: out of descriptors (RLIMIT_NOFILE 64), every process is still read the old way', () => {
  // a child with a descriptor limit below the number of processes: the reader must
  // fall back on EMFILE, not fail the interval
  const script = `
    import { ProcStatReader } from './src/host/proc-stat-reader.ts';
    import { readProcessStats } from './src/host/proc-stat.ts';
    const reader = new ProcStatReader('/proc', 10000);
    const a = await reader.readAll();
    const b = await reader.readAll();
    const c = await readProcessStats('/proc');
    console.log(JSON.stringify({ a: a.length, b: b.length, c: c.length, held: reader.heldCount }));`;
  const out = execFileSync('prlimit', ['--nofile=64:64', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') });
  const { a, b, c, held } = JSON.parse(out.trim().split('\n').at(-1)!) as { a: number; b: number; c: number; held: number };
  assert.ok(c > 64, `needs more processes (${c}) than descriptors`);
  assert.ok(Math.abs(a - c) <= 3 && Math.abs(b - c) <= 3, `read ${a} and ${b} processes, /proc lists ${c}`);
  assert.ok(held < 64, `held ${held} descriptors under a limit of 64`);
});

test('real /proc: readOne reads a held process through its descriptor, one not held the old way, and an exited one as null', async () => {
  const child = await start('sleep', ['30']);
  // until it has finished starting (exec still faults its pages in for some ms after
  // 'spawn'; the two reads compared below would then differ by those faults)
  await settled(child.pid);
  const reader = new ProcStatReader();
  try {
    const listed = byPid(await reader.readAll()).get(child.pid);
    assert.ok(listed, 'child seen');
    const [fd] = fdsNaming(child.pid);
    assert.ok(fd !== undefined, 'a descriptor held for the child');
    assert.deepEqual(reader.readOne(child.pid), listed, 'the same line through the held descriptor');
    assert.deepEqual(fdsNaming(child.pid), [fd], 'still that descriptor, none opened');
    // this process is listed too; a pid the reader never saw is read afresh
    const fresh = new ProcStatReader();
    assert.equal(fresh.readOne(child.pid)?.startTimeTicks, listed.startTimeTicks);
    assert.equal(fresh.heldCount, 0, 'nothing held by a one-off read');
    process.kill(child.pid, 'SIGKILL');
    await exited(child);
    assert.equal(reader.readOne(child.pid), null, 'exited: null');
    assert.deepEqual(fdsNaming(child.pid), [], 'and its descriptor released');
  } finally {
    reader.close();
  }
});
