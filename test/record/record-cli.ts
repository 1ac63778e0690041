// Runs the real CLI, `faultline record --json ...`, as a child process: the snapshots
// it echoes on stdout are what it wrote to the recording. Like startLive in
// test/harness/faultline-live.ts (same stop: one SIGINT, bounded wait, SIGKILL).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Snapshot } from '../../src/model/snapshot.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';

export interface RecordRun {
  pid: number;
  snapshots: Snapshot[];
  stderr: string[];
  waitFor(predicate: (all: Snapshot[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** SIGINT (the recorder closes the file), then SIGKILL after 20 s. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startRecord(args: string[]): RecordRun {
  const [command, argv] = cliCommand(['record', '--json', ...args]);
  const child = spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  process.on('exit', kill);
  const snapshots: Snapshot[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      process.off('exit', kill);
      resolve({ code, signal });
    }),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  createInterface({ input: child.stdout! }).on('line', (line) => snapshots.push(JSON.parse(line) as Snapshot));
  return {
    pid: child.pid!,
    snapshots,
    stderr,
    exited,
    async waitFor(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      let done = false;
      void exited.then(() => (done = true));
      while (!predicate(snapshots)) {
        if (done || Date.now() > deadline) {
          throw new Error(`${done ? 'faultline record exited' : `timed out after ${timeoutMs} ms`} waiting for ${what}; ${snapshots.length} snapshots; stderr:\n${stderr.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000).unref());
      const result = await Promise.race([exited, timeout]);
      if (result) return result;
      kill();
      return exited;
    },
  };
}
