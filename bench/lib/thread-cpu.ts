// CPU time of this process per thread, from /proc/self/task/*/stat (Linux): the main
// thread runs our JavaScript; the others are V8's helpers (parallel and concurrent
// garbage collection, background compilation) and libuv's pool (file IO, brotli).
// process.cpuUsage() adds them all up; this says where it went.
import { readdirSync } from 'node:fs';
import { cpuMsOfStatFile } from './tools.js';

export interface ThreadCpu {
  /** ms of user + system time of the main thread */
  mainMs: number;
  /** ms of user + system time of every other thread */
  otherMs: number;
}

export function threadCpu(): ThreadCpu {
  let mainMs = 0;
  let otherMs = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const ms = cpuMsOfStatFile(`/proc/self/task/${tid}/stat`);
    if (Number.isNaN(ms)) continue; // the thread ended between readdir and read
    if (Number(tid) === process.pid) mainMs += ms;
    else otherMs += ms;
  }
  return { mainMs, otherMs };
}

export function threadCpuSince(start: ThreadCpu): ThreadCpu {
  const now = threadCpu();
  return { mainMs: now.mainMs - start.mainMs, otherMs: now.otherMs - start.otherMs };
}
