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
