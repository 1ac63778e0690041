// A touch-pages process (test/fixtures/programs/touch-pages.c) that touches PAGES fresh
// pages once told to, with its minor faults over the touch from /proc/PID/stat: the
// independent count a test compares faultline's with.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { compiledProgram } from './c-program.js';
import { parseProcStat } from '../../src/host/proc-stat.js';

/** Starts it, lets it touch, resolves once it did; the process stays (push to
 * `started` so the test's after() kills it by pid). */
export async function touchPages(pages: number, started: ChildProcess[]): Promise<{ pid: number; faults: number }> {
  const w = spawn(compiledProgram('touch-pages'), [String(pages)], { stdio: ['pipe', 'pipe', 'inherit'] });
  started.push(w);
  const lines = createInterface({ input: w.stdout! });
  const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  await next(); // ready
  const before = parseProcStat(readFileSync(`/proc/${w.pid}/stat`, 'utf8'))!.minflt;
  w.stdin!.write('go\n');
  await next(); // done
  const after = parseProcStat(readFileSync(`/proc/${w.pid}/stat`, 'utf8'))!.minflt;
  return { pid: w.pid!, faults: after - before };
}
