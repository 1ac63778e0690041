// Runs the real CLI, `faultline live --json ...` (or `record --json`), as a child
// process and collects its snapshots. stop() sends one SIGINT (the CLI stops bpftrace and flushes) with a
// bounded wait, then SIGKILL; every started CLI is killed by pid at exit if a test
// forgets.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../../src/model/snapshot.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.pid) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** argv to run the CLI from source (no build step needed in tests). */
export function cliCommand(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), ...args]];
}

export interface LiveRun {
  snapshots: Snapshot[];
  stderr: string[];
  pid: number;
  /** Resolves with the first snapshot that satisfies `predicate`. */
  waitFor(predicate: (s: Snapshot, all: Snapshot[]) => boolean, timeoutMs: number, what: string): Promise<Snapshot>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `faultline live --json ARGS` (with the tests' bpftrace: FAULTLINE_BPFTRACE, see
 * test/harness/kernel-gate.ts). */
export function startLive(args: string[], prefix: string[] = []): LiveRun {
  return startCli(['live', '--json', ...bpftraceArgs(args), ...args], prefix);
}

/** --bpftrace for the versions lane, unless the test chose its own. */
export function bpftraceArgs(args: string[]): string[] {
  const chosen = process.env.FAULTLINE_BPFTRACE;
  return chosen && !args.includes('--bpftrace') ? ['--bpftrace', chosen] : [];
}

/** Any subcommand that prints snapshots as JSON lines (live --json, record --json).
 * `prefix` runs it through another command that execs it (same pid: signals reach
 * faultline), e.g. nsenter into a mount namespace (test/harness/libvirt-daemon.ts). */
export function startCli(args: string[], prefix: string[] = []): LiveRun {
  const [command, argv] = cliCommand(args);
  const child = prefix.length
    ? spawn(prefix[0]!, [...prefix.slice(1), command, ...argv], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const snapshots: Snapshot[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      exitInfo = { code, signal };
      for (const w of waiters) w();
      resolve(exitInfo);
    }),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    snapshots.push(JSON.parse(line) as Snapshot);
    for (const w of waiters) w();
  });

  return {
    snapshots,
    stderr,
    exited,
    pid: child.pid!,
    waitFor(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = snapshots.find((s) => predicate(s, snapshots));
          if (hit || exitInfo) {
            waiters.delete(check);
            clearTimeout(timer);
            if (hit) resolve(hit);
            else reject(new Error(`faultline exited (${JSON.stringify(exitInfo)}) before ${what}; stderr:\n${stderr.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${snapshots.length} snapshots; stderr:\n${stderr.join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exitInfo) return exitInfo;
      child.kill('SIGINT');
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000).unref());
      const result = await Promise.race([exited, timeout]);
      if (result) return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
}
