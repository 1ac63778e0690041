// How late a process's exit line reaches node, next to the process leaving /proc:
// a bpftrace one-liner prints each `/bin/true`'s pid at sched:sched_process_exit (as
// probes/faults.bt's PROCESS EXIT does); node spawns them one by one, reaps each (so
// /proc no longer lists it) and times when its line arrives, after (+) or before (-)
// the reap. A line after the reap is the window in which a snapshot could find the
// process gone with no exit line yet (src/collect/exit-line-wait.ts). Root.
//   npm run bench -- exit-lines [--runs 3] [--exits 300] [--bpftrace PATH]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fixed, formatTable, median } from './lib/stats.js';

export interface ExitLinesOptions {
  runs: number;
  exits: number;
  bpftrace: string;
  log: (line: string) => void;
}

interface ExitLinesRun {
  afterReap: number;
  lagMs: number[];
  /** Exits whose line did not come within 1 s. */
  lost: number;
}

async function oneRun(o: ExitLinesOptions): Promise<ExitLinesRun> {
  const program = 'tracepoint:sched:sched_process_exit /comm == "true"/ { printf("exit %d\\n", pid); }';
  const bt = spawn(o.bpftrace, ['-f', 'json', '-e', program], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lineAt = new Map<number, bigint>();
  const notify = new Set<() => void>();
  let attached!: () => void;
  const ready = new Promise<void>((resolve) => (attached = resolve));
  createInterface({ input: bt.stdout! }).on('line', (line) => {
    let message: { type: string; data: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return; // not one of bpftrace's JSON lines
    }
    if (message.type === 'attached_probes') attached();
    const pid = message.type === 'printf' ? /^exit (\d+)/.exec(String(message.data))?.[1] : undefined;
    if (pid) lineAt.set(Number(pid), process.hrtime.bigint());
    for (const f of notify) f();
  });
  try {
    await ready;
    const lagMs: number[] = [];
    let lost = 0;
    for (let i = 0; i < o.exits; i++) {
      const child = spawn('/bin/true', { stdio: 'ignore' });
      await new Promise((resolve) => child.on('exit', resolve));
      const reapedAt = process.hrtime.bigint();
      const pid = child.pid!;
      const giveUpAt = reapedAt + 1_000_000_000n;
      while (!lineAt.has(pid) && process.hrtime.bigint() < giveUpAt) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(once, 50);
          function once(): void {
            clearTimeout(timer);
            notify.delete(once);
            resolve();
          }
          notify.add(once);
        });
      }
      if (lineAt.has(pid)) lagMs.push(Number(lineAt.get(pid)! - reapedAt) / 1e6);
      else lost += 1;
      lineAt.delete(pid);
    }
    return { afterReap: lagMs.filter((ms) => ms > 0).length, lagMs, lost };
  } finally {
    bt.kill('SIGINT');
  }
}

export async function benchExitLines(o: ExitLinesOptions): Promise<string> {
  const runs: ExitLinesRun[] = [];
  for (let r = 0; r < o.runs; r++) {
    o.log(`exit-lines: run ${r + 1}/${o.runs}, ${o.exits} exits`);
    runs.push(await oneRun(o));
  }
  const rows = runs.map((run, i) => {
    const sorted = [...run.lagMs].sort((a, b) => a - b);
    const at = (q: number): string => fixed(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!, 2);
    return [`${i + 1}`, `${run.afterReap}/${o.exits}`, at(0.5), at(0.9), at(0.99), fixed(sorted.at(-1)!, 2), run.lost];
  });
  rows.push(['median', `${median(runs.map((r) => r.afterReap))}/${o.exits}`, '', '', '', fixed(median(runs.map((r) => Math.max(...r.lagMs))), 2), median(runs.map((r) => r.lost))]);
  return [
    `Exit lines: bpftrace's line at sched_process_exit against node's reap of the child, ms (+: line after the reap), ${o.exits} /bin/true per run`,
    formatTable(['run', 'lines after the reap', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'no line in 1 s'], rows),
  ].join('\n');
}
