// Looking at real processes from tests: is a pid alive, who are a process's children,
// ending one gently, reading its output line by line.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseProcStat } from '../../src/host/proc-stat.js';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of `ppid`, from /proc. */
export function childrenOf(ppid: number): Array<{ pid: number; comm: string }> {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (stat?.ppid === ppid) out.push({ pid: stat.pid, comm: stat.comm });
    } catch {
      // gone
    }
  }
  return out;
}

/** The bpftrace processes among `ppid`'s direct children. */
export function bpftraceChildren(ppid: number): number[] {
  return childrenOf(ppid).filter((c) => c.comm === 'bpftrace').map((c) => c.pid);
}

/** The bpftrace among a running faultline's children (it runs them all as one). */
export function bpftracePidOf(faultlinePid: number): number {
  const pid = bpftraceChildren(faultlinePid)[0];
  if (pid === undefined) throw new Error(`no bpftrace among faultline's children ${JSON.stringify(childrenOf(faultlinePid))}`);
  return pid;
}

/** Ends a child with SIGINT (SIGKILL after `graceMs`) and resolves once it has exited:
 * a tracer detaches its probes on its way out, which takes it a moment. */
export async function endWithSigint(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A child's stdout lines so far, and a wait for the next one that matches (rejected
 * if the child ends first). */
export function linesOf(child: ChildProcess): { lines: string[]; next: (match: RegExp) => Promise<string> } {
  const lines: string[] = [];
  const waiters: Array<{ match: RegExp; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) if (w.match.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  const next = (match: RegExp): Promise<string> => new Promise((resolve, reject) => {
    waiters.push({ match, resolve });
    child.once('exit', (code) => reject(new Error(`${child.spawnfile} ended (${code}) before printing ${match}`)));
  });
  return { lines, next };
}
