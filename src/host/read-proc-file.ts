// Reading /proc and /sys files where a missing file is normal: a process can exit
// between listing /proc and reading its files (ENOENT, or ESRCH mid-read), older
// kernels lack some files (smaps_rollup < 4.14, ksm_stat < 6.1), and without root
// another user's maps are unreadable (EACCES). All of these mean "no data", not an
// error worth stopping a poll for. Anything else (EMFILE, EIO) still throws.
//
// Two ways to read. Most files the collector polls (stat, status, cgroup, ksm_stat,
// meminfo, vmstat, cgroup memory files, task comm) the kernel makes from counters in
// memory without taking the process's locks: they are read synchronously, because
// Node 20's async readFile costs ~200 us of CPU per file (open, fstat, read and close
// each a thread-pool round trip) against 10-30 us for readFileSync, measured here on
// /proc/PID files; for 1,000 processes' stat files that is 200 ms of CPU per interval
// against 15. Files whose making takes the process's mmap lock or walks its page
// tables (maps, smaps, smaps_rollup, numa_maps, cmdline) go through the thread pool:
// under memory pressure a process can hold its mmap lock for long, and that must
// stall one pool thread, not the event loop that reads bpftrace's output.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const NO_DATA_CODES = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'EACCES', 'EPERM']);

export function isNoDataError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && NO_DATA_CODES.has(code);
}

/** The file's text, or null when it is gone, not provided by this kernel, or
 * unreadable. Synchronous: only for files made from counters (see above). */
export function readCounterTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isNoDataError(err)) return null;
    throw err;
  }
}

/** The same as a promise, for the callers that read several files at once. */
export async function readTextOrNull(path: string): Promise<string | null> {
  return readCounterTextOrNull(path);
}

/** For files whose making takes the process's mmap lock or walks its page tables:
 * read in the thread pool (see above). */
export async function readLockedTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isNoDataError(err)) return null;
    throw err;
  }
}
