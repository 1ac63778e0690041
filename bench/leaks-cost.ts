// What `faultline leaks` costs, per bpftrace version, side by side:
//   `npm run bench -- leaks-cost [--runs 3] [--bpftrace PATH,PATH...] [--pairs N]`
// Workload: test/fixtures/programs/leak-malloc-loop.c (N pairs of malloc(64)+free,
// prints ns_per_pair), built here with cc -O1. Per bpftrace and run, under the
// machine's heavy lock:
//   untraced   the loop alone
//   traced     the loop, traced by the leak probes (traceLeaks, as `faultline leaks
//              --pid` runs them, --sample 16), started once the probes attached
//   bystander  a second loop, NOT traced, while the probes trace another (idle)
//              process: what every other glibc process on the host pays
// Medians of the runs per column. Needs root, cc, and the bpftraces (a chroot'ed one
// through its wrapper: test/versions/bpftrace-chroot.sh trixie up). A chroot'ed
// bpftrace resolves `libc` to the chroot's own libc.so.6, so for it the loops run in
// that chroot too (`chroot DIR /tmp/leak-malloc-loop-HASH`): they then call the libc
// the probes are on, and the loop runs on the glibc of that Debian release.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readBpftraceVersion } from '../src/probe/bpftrace-version.js';
import { traceLeaks } from '../src/leaks/run-leaks.js';
import { takeHeavyLock } from './lib/heavy-lock.js';
import { fixed, formatTable, median } from './lib/stats.js';

export interface LeaksCostOptions {
  runs: number;
  bpftraces: string[];
  pairs: number;
  log: (line: string) => void;
}

export interface LeaksCostRow {
  bpftrace: string;
  untracedNs: number[];
  tracedNs: number[];
  bystanderNs: number[];
}

const SOURCE = fileURLToPath(new URL('../test/fixtures/programs/leak-malloc-loop.c', import.meta.url));

function buildLoop(): string {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const dir = fileURLToPath(new URL('../test/.tmp/bin', import.meta.url));
  const binary = `${dir}/leak-malloc-loop-${hash}`;
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', ['-O1', '-o', binary, SOURCE], { stdio: 'inherit' });
  }
  return binary;
}

/** How to start the loop next to this bpftrace: as is, or in the chroot of a chroot'ed
 * bpftrace (test/.assets/chroots/SUITE.bpftrace runs in test/.assets/chroots/SUITE). */
function loopLauncher(binary: string, bpftrace: string): string[] {
  const chroot = bpftrace.match(/^(.*\/chroots\/[\w-]+)\.bpftrace$/)?.[1];
  if (!chroot || !existsSync(chroot)) return [binary];
  const inside = `/tmp/${basename(binary)}`;
  copyFileSync(binary, `${chroot}${inside}`);
  return ['chroot', chroot, inside];
}

/** Starts the loop waiting for a line on stdin; go() feeds it and resolves with ns_per_pair. */
function waitingLoop(launcher: string[], pairs: number): { child: ChildProcess; go(): Promise<number> } {
  const [command, ...prefix] = launcher;
  const child = spawn(command!, [...prefix, String(pairs), '64', 'wait'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const result = new Promise<number>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^ns_per_pair ([\d.]+)/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => resolve(Number.NaN));
  });
  return { child, go: () => (child.stdin!.write('go\n'), result) };
}

const runLoop = (launcher: string[], pairs: number): Promise<number> => {
  const loop = waitingLoop(launcher, pairs);
  return loop.go();
};

/** Traces `pid` with the leak probes; calls `whileTraced` once they attached, then stops them. */
async function traced<T>(pid: number, bpftracePath: string, whileTraced: () => Promise<T>): Promise<T> {
  const version = await readBpftraceVersion(bpftracePath);
  const stop = new AbortController();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const run = traceLeaks({
    pid, durationMs: 600_000, sample: 16, bpftracePath, bpftraceVersion: version, signal: stop.signal,
    log: (line) => line.includes('tracing malloc/free') && markReady(),
  });
  const failed = run.then(() => 'ended' as const, (err: Error) => err);
  const first = await Promise.race([ready.then(() => 'ready' as const), failed]);
  if (first !== 'ready') throw first === 'ended' ? new Error('the probes ended before attaching') : first;
  try {
    return await whileTraced();
  } finally {
    stop.abort();
    await failed;
  }
}

export async function benchLeaksCost(o: LeaksCostOptions): Promise<{ text: string; rows: LeaksCostRow[] }> {
  const binary = buildLoop();
  const rows: LeaksCostRow[] = [];
  for (const bpftrace of o.bpftraces) {
    const version = await readBpftraceVersion(bpftrace);
    const row: LeaksCostRow = { bpftrace: `${version?.text ?? '?'} (${bpftrace.split('/').pop()})`, untracedNs: [], tracedNs: [], bystanderNs: [] };
    const loop = loopLauncher(binary, bpftrace);
    for (let run = 0; run < o.runs; run++) {
      const lock = await takeHeavyLock();
      try {
        row.untracedNs.push(await runLoop(loop, o.pairs));
        const target = waitingLoop(loop, o.pairs);
        row.tracedNs.push(await traced(target.child.pid!, bpftrace, () => target.go()));
        const idle = waitingLoop(loop, o.pairs);
        try {
          row.bystanderNs.push(await traced(idle.child.pid!, bpftrace, () => runLoop(loop, o.pairs)));
        } finally {
          idle.child.kill('SIGKILL');
        }
      } finally {
        await lock.release();
      }
      o.log(`leaks-cost: ${row.bpftrace} run ${run + 1}: untraced ${fixed(row.untracedNs.at(-1)!, 1)} ns, traced ${fixed(row.tracedNs.at(-1)!)} ns, bystander ${fixed(row.bystanderNs.at(-1)!)} ns per pair`);
    }
    rows.push(row);
  }
  const text = [
    `faultline leaks: wall-clock ns per malloc(64)+free pair, ${o.pairs} pairs, --sample 16, median of ${o.runs}`,
    formatTable(['bpftrace', 'untraced', 'traced process', 'bystander (other process)'],
      rows.map((r) => [r.bpftrace, fixed(median(r.untracedNs), 1), fixed(median(r.tracedNs)), fixed(median(r.bystanderNs), 1)])),
  ].join('\n');
  return { text, rows };
}
