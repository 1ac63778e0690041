// /proc/PID/stat: the per-process line we poll every interval for fault counters
// (minflt, majflt: exact and free, see DESIGN.md "Probes") and for identity
// (pid + start time, since pids are reused).
//
// Format (proc(5)): `pid (comm) state ppid pgrp ... minflt cminflt majflt ...`.
// comm is the task name, up to 15 bytes, and may itself contain spaces and ')'
// (a process can name itself "a) b"), so split at the LAST ')'.
import { readdir } from 'node:fs/promises';
import type { ProcessStat } from '../model/host.js';
import { isNoDataError, readCounterTextOrNull } from './read-proc-file.js';

// Indexes into the fields after ")": proc(5) field number minus 3.
const STATE = 0; // field 3
const PPID = 1; // field 4
const MINFLT = 7; // field 10
const MAJFLT = 9; // field 12
const UTIME = 11; // field 14, clock ticks
const STIME = 12; // field 15
const STARTTIME = 19; // field 22, clock ticks since boot
const RSS = 21; // field 24, pages
const PROCESSOR = 36; // field 39, the CPU the task last ran on

export function parseProcStat(text: string): ProcessStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // the kernel separates the fields by single spaces (fs/proc/array.c); a split on
  // ' ' up to the last field we use is a third of the cost of a trim and a regex
  const fields = text.slice(close + 2).split(' ', RSS + 1);
  if (!Number.isInteger(pid) || fields.length <= RSS) return null;
  const num = (i: number): number => Number(fields[i]);
  const stat: ProcessStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: fields[STATE] ?? '',
    ppid: num(PPID),
    minflt: num(MINFLT),
    majflt: num(MAJFLT),
    startTimeTicks: num(STARTTIME),
    rssPages: num(RSS),
    cpuTicks: num(UTIME) + num(STIME),
  };
  const numbers = [stat.ppid, stat.minflt, stat.majflt, stat.startTimeTicks, stat.rssPages, stat.cpuTicks];
  return numbers.every(Number.isFinite) ? stat : null;
}

/** The CPU a task last ran on (field 39 of /proc/PID/task/TID/stat); -1 when the line
 * does not parse. */
export function lastCpuOfStat(text: string): number {
  const close = text.lastIndexOf(')');
  if (close < 0) return -1;
  const cpu = Number(text.slice(close + 2).split(' ', PROCESSOR + 1)[PROCESSOR]);
  return Number.isInteger(cpu) && cpu >= 0 ? cpu : -1;
}

/** One process's stat, or null when it has exited (or the line does not parse).
 * Synchronous: it runs every interval for every process on the host, and stat is made
 * from counters (src/host/read-proc-file.ts says why that is read synchronously). */
export function readProcessStat(procRoot: string, pid: number | string): ProcessStat | null {
  const text = readCounterTextOrNull(`${procRoot}/${pid}/stat`);
  return text === null ? null : parseProcStat(text);
}

/** Every process under procRoot, by pid; processes that exit while we read are skipped.
 * One-shot (open, read, close each file): the collector polls with ProcStatReader
 * (src/host/proc-stat-reader.ts); this stays as the plain reader that tests and
 * fixture trees use, and that its tests compare it against. */
export async function readProcessStats(procRoot = '/proc'): Promise<ProcessStat[]> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch (err) {
    if (isNoDataError(err)) return [];
    throw err;
  }
  const stats: ProcessStat[] = [];
  for (const name of names) {
    const stat = /^\d+$/.test(name) ? readProcessStat(procRoot, name) : null;
    if (stat) stats.push(stat);
  }
  return stats.sort((a, b) => a.pid - b.pid);
}
