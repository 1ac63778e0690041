// How a host process ended, from what the probes saw at its exit (probes/faults.bt,
// PROCESS EXIT) and the OOM killer's choice (reclaim.bt). Pure.
import type { ProcessExit } from '../model/snapshot.js';
import type { ProcessExitLine } from './probe-events.js';

// the words for it are in src/format/exit-words.ts

/** The exit of a process that is gone: from its exit line when the probe saw it, else
 * 'oom-kill' or 'ended' with nothing more known. */
export function processExitOf(atMs: number, line: ProcessExitLine | undefined, oomVictim: boolean): ProcessExit {
  // wait(2) status: the low 7 bits are the signal (0: a normal exit, status in bits 8-15)
  const signal = line ? line.code & 0x7f : 0;
  const code = line && signal === 0 ? (line.code >> 8) & 0xff : 0;
  const cause = oomVictim ? 'oom-kill' : !line ? 'ended' : signal !== 0 ? 'signal' : 'exit';
  return { atMs, cause, code, signal, faultsAtExit: line !== undefined };
}

/** /proc/uptime and the start in /proc/PID/stat count in 1/100 s: two steps to spare. */
const CLOCK_STEP_MS = 20;

/** Whether the faults probe prints an exit line for a process found gone: it does for
 * one that lived an interval or more (probes/faults.bt, PROCESS EXIT). Known for sure
 * when it was that old already at the last read that listed it: its start
 * (/proc/PID/stat, ms since boot) against the boot clock then (/proc/uptime), with
 * the clocks' 10 ms steps to spare. A younger one may or may not have one. */
export function printsExitLine(startedAtBootMs: number, lastListedAtBootMs: number, intervalMs: number): boolean {
  return lastListedAtBootMs - startedAtBootMs >= intervalMs + CLOCK_STEP_MS;
}
