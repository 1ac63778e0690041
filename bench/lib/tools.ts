// The tracers a benchmark compares, each started as its own process: an ad-hoc
// bpftrace program (floor, naive printer, variants), and `perf record`. Every one is
// stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const TICKS_PER_SEC = 100; // USER_HZ on Linux x86-64

/** user+system CPU of a process so far, ms (from /proc/PID/stat). */
export function cpuMs(pid: number): number {
  return cpuMsOfStatFile(`/proc/${pid}/stat`);
}

/** user+system CPU so far, ms, from a stat file of a process or a thread
 * (/proc/self/task/TID/stat); NaN when it is gone. */
export function cpuMsOfStatFile(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

export interface Tool {
  name: string;
  pid: number;
  /** bytes the tool wrote to stdout so far (the naive printer's event stream) */
  stdoutBytes(): number;
  /** its stdout and stderr text, when kept */
  output(): string;
  /** events bpftrace said it lost ("Lost N events") */
  lostEvents(): number;
  stop(): Promise<void>;
}

function track(name: string, child: ChildProcess, keepOutput: boolean): Tool & { ready: Promise<void> } {
  let bytes = 0;
  let text = '';
  let lost = 0;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      bytes += line.length + 1;
      if (keepOutput || text.length < 4096) text += `${line}\n`;
      if (line === 'bench_ready') markReady();
      else if (line.startsWith('Lost ')) lost += Number(line.match(/^Lost (\d+) events/)?.[1] ?? 0);
    });
  }
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  exited.then(() => markReady());
  return {
    name,
    pid: child.pid!,
    ready,
    stdoutBytes: () => bytes,
    output: () => text,
    lostEvents: () => lost,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, 'SIGINT');
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** bpftrace -e PROGRAM; resolves once every probe attached (its BEGIN printed). */
export async function startBpftrace(name: string, program: string, env: Record<string, string> = {}, keepOutput = false): Promise<Tool> {
  const text = `BEGIN { printf("bench_ready\\n"); }\n${program}`;
  const child = spawn('bpftrace', ['-e', text], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const tool = track(name, child, keepOutput);
  await tool.ready;
  if (child.exitCode !== null) throw new Error(`bpftrace ${name} did not attach:\n${tool.output()}`);
  return tool;
}

/** perf record -a -e EVENT -o FILE; perf prints nothing when ready, so give it a moment. */
export async function startPerfRecord(event: string, outFile: string): Promise<Tool> {
  const child = spawn('perf', ['record', '-a', '-e', event, '-o', outFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tool = track('perf record', child, true);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  if (child.exitCode !== null) throw new Error(`perf record exited:\n${tool.output()}`);
  return tool;
}
