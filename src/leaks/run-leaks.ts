// Runs probes/leaks.bt against one process for a while and returns what it left
// outstanding. IO: /proc/PID/maps, bpftrace. The pid, the sample rate and libc's
// text range reach bpftrace only as positional parameters ($1..$4) and as -p
// (which limits the uprobes to that process on bpftrace 0.20+); nothing is pasted
// into the program text.
import { createInterface } from 'node:readline';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { FaultlineError } from '../model/errors.js';
import type { Mapping } from '../model/host.js';
import { parseMaps } from '../host/proc-maps.js';
import { readLockedTextOrNull, readTextOrNull } from '../host/read-proc-file.js';
import { probeEnv, type BpftraceVersion } from '../probe/bpftrace-version.js';
import { StderrFilter } from '../probe/bpftrace-stderr.js';
import { libcTextOf } from './libc-text.js';
import { parseLeaksOutput, type LeaksOutput } from './parse-leaks.js';
import { cleanUpStaleDefinitions } from './probe-definitions.js';
import { describeClash, findHeldFunctions } from './uprobe-holders.js';

export const LEAKS_PROBE = fileURLToPath(new URL('../../probes/leaks.bt', import.meta.url));
/** Outstanding allocations the probe can keep (map keys). */
export const LEAKS_TABLE_LIMIT = 65536;
const PRINT_TIMEOUT_MS = 30_000;
/** The libc functions probes/leaks.bt attaches to. */
export const LEAKS_FUNCTIONS = ['malloc', 'calloc', 'realloc', 'memalign', 'aligned_alloc', 'posix_memalign', 'free', 'mmap', 'munmap'];

export interface LeaksRunOptions {
  pid: number;
  durationMs: number;
  sample: number;
  bpftracePath: string;
  bpftraceVersion: BpftraceVersion | null;
  procRoot?: string;
  tracefs?: string;
  programPath?: string;
  attachTimeoutMs?: number;
  /** How long bpftrace may take to print what it kept, after the trace (default 30 s). */
  printTimeoutMs?: number;
  /** Ends the trace early (Ctrl-C); the report is still made. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface LeaksRun {
  output: LeaksOutput;
  comm: string;
  mappings: Mapping[];
  startedMs: number;
  tracedMs: number;
  /** bpftrace was stopped before it printed every stack. */
  stacksCut: boolean;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export async function traceLeaks(o: LeaksRunOptions): Promise<LeaksRun> {
  const procRoot = o.procRoot ?? '/proc';
  const maps = await readLockedTextOrNull(`${procRoot}/${o.pid}/maps`);
  if (maps === null) throw new FaultlineError('E_NO_PROCESS', `--pid ${o.pid}: no such process`, 'pass the pid of a running process');
  const comm = ((await readTextOrNull(`${procRoot}/${o.pid}/comm`)) ?? '').trim();
  const libc = libcTextOf(maps);
  if (!libc) {
    throw new FaultlineError('E_NO_GLIBC', `pid ${o.pid} (${comm}) has no glibc mapped`,
      'the deep leak mode probes glibc\'s malloc and free: static binaries, musl, jemalloc or tcmalloc processes are not supported');
  }
  const tracefs = o.tracefs ?? '/sys/kernel/tracing';
  cleanUpStaleDefinitions(tracefs, procRoot, o.log);
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  // the program as text (-e): a bpftrace in a chroot or container cannot see our files
  const program = readFileSync(o.programPath ?? LEAKS_PROBE, 'utf8');
  const bpftraceArgs = ['-f', 'json', '-p', String(o.pid), '-e', program,
    String(o.pid), String(o.sample), String(libc.start), String(libc.end)];
  const [command, args] = setpriv ? [setpriv, ['--pdeathsig', 'SIGTERM', o.bpftracePath, ...bpftraceArgs]] : [o.bpftracePath, bpftraceArgs];
  const child = execa(command, args, {
    buffer: false, stdin: 'ignore', reject: false, cleanup: true, forceKillAfterDelay: false,
    env: { ...probeEnv(o.bpftraceVersion, LEAKS_TABLE_LIMIT), ...symbolCacheEnv(o.bpftraceVersion) },
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    if (line.includes('faultline_ready leaks')) markReady();
  });
  const stderrFilter = new StderrFilter();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (stderrFilter.keep(line)) stderr.push(line);
    if (stderr.length > 20) stderr.shift();
  });
  const exited = child.then(() => undefined);
  const timeoutMs = o.attachTimeoutMs ?? 60_000;
  const attachWait = new AbortController();
  const attached = await Promise.race([ready.then(() => 'ready'), exited.then(() => 'exited'), sleep(timeoutMs, attachWait.signal).then(() => 'timeout')]);
  attachWait.abort();
  if (attached !== 'ready') {
    child.kill('SIGKILL');
    await exited;
    // bcc's tracefs fallback leaves a definition per failed uprobe, named after bpftrace's pid
    cleanUpStaleDefinitions(tracefs, procRoot, o.log);
    if (stderr.some((line) => /Error attaching probe: uprobe/.test(line))) {
      const held = await findHeldFunctions(`${procRoot}/${o.pid}/root${libc.path}`, LEAKS_FUNCTIONS, procRoot);
      if (held.length) {
        const clash = describeClash(held);
        throw new FaultlineError('E_PROBE_ATTACH', clash.message, clash.hint, stderr.slice(-4));
      }
    }
    throw new FaultlineError('E_PROBE_ATTACH', `the leak probes did not attach to pid ${o.pid} (bpftrace ${attached === 'exited' ? 'exited' : `took over ${timeoutMs / 1000} s`})`,
      'run `sudo faultline doctor`; the evidence is bpftrace\'s last lines', stderr.slice(-8));
  }
  const startedMs = Date.now();
  o.log?.(`faultline: tracing malloc/free of pid ${o.pid} (${comm}) for ${Math.round(o.durationMs / 1000)} s; Ctrl-C to stop early`);
  // the duration, Ctrl-C, or the process ending, whichever comes first
  const over = new AbortController();
  o.signal?.addEventListener('abort', () => over.abort(), { once: true });
  let processGone = false;
  const watch = (async () => {
    while (!over.signal.aborted) {
      if ((await readTextOrNull(`${procRoot}/${o.pid}/stat`)) === null) {
        processGone = true;
        return;
      }
      await sleep(250, over.signal);
    }
  })();
  await Promise.race([sleep(o.durationMs, over.signal), watch, exited]);
  over.abort();
  if (processGone) o.log?.(`faultline: pid ${o.pid} exited; reporting what was outstanding`);
  const mappings = parseMaps((await readLockedTextOrNull(`${procRoot}/${o.pid}/maps`)) ?? maps);
  child.kill('SIGINT');
  // printing the maps symbolizes every kept stack (a few seconds with the symbol
  // cache on, see symbolCacheEnv); past the bound the report goes out without them
  const printWait = new AbortController();
  const done = await Promise.race([exited.then(() => true), sleep(o.printTimeoutMs ?? PRINT_TIMEOUT_MS, printWait.signal).then(() => false)]);
  printWait.abort();
  if (!done) {
    o.log?.(`faultline: bpftrace took over ${(o.printTimeoutMs ?? PRINT_TIMEOUT_MS) / 1000} s to print the stacks; stopped, reporting without the missing ones`);
    child.kill('SIGKILL');
    await exited;
  }
  const output = parseLeaksOutput(lines);
  if (output.endNs === 0) {
    throw new FaultlineError('E_PROBE_EXIT', `bpftrace ended before printing the outstanding allocations of pid ${o.pid}`,
      'run again; if it keeps failing, `sudo faultline doctor`', stderr.slice(-8));
  }
  // the probes' own clock: from attach to END, which comes after the SIGINT
  const tracedMs = output.startNs > 0 ? (output.endNs - output.startNs) / 1e6 : Date.now() - startedMs;
  return { output, comm, mappings, startedMs, tracedMs, stacksCut: !done };
}


/** One pid is traced, so bpftrace may keep its symbols between frames. Without this,
 * with ASLR on, bpftrace re-reads every module's symbols for EVERY frame it prints
 * (bcc_symcache_new per resolve_usym, bpftrace 0.17 src/bpftrace.cpp): for node that
 * took minutes for 1,000 stacks, and faultline killed it before the stacks came.
 * 0.17 reads a boolean; 0.19+ a cache type, PER_PID. */
export function symbolCacheEnv(version: BpftraceVersion | null): Record<string, string> {
  const typed = version !== null && (version.major > 0 || version.minor >= 19);
  return { BPFTRACE_CACHE_USER_SYMBOLS: typed ? 'PER_PID' : '1' };
}
