// Every process's /proc/PID/stat, every interval, at the cost of one pread each.
//
// readProcessStats opens, reads and closes each file: three syscalls and a string per
// process, ~45 us each here, 9 ms per interval for 200 processes. A process's stat
// file can stay open: a read at offset 0 makes the line again from the task's
// counters, and the descriptor names that task for good: once it has exited, the
// read fails with ESRCH, even if its pid has been given to a new process (which we
// then open afresh). Held descriptors take 1/3 of the CPU (docs/benchmarks.md,
// "Scale"). At most `maxHeld` are kept open (Node raises the soft RLIMIT_NOFILE to the
// hard one, which a service may set as low as 1024); processes beyond that are read
// the old way, and so is everything once the process runs out of descriptors
// (EMFILE): the cap then drops to what is held. IO; parsing is parseProcStat.
//
// Kernel threads (children of kthreadd) are read once every KERNEL_THREAD_EVERY rounds,
// each in its own round (by pid), and their last line stands in between: they have no
// user memory to fault or hold, the collector never gives them a row of their own
// (src/aggregate/select-processes.ts) and reads nothing else of theirs but ksmd's CPU,
// which is read every round. A host has several per CPU (~6: kworkers, ksoftirqd,
// migration...): 66 of 175 processes here, hundreds on a large hypervisor, each a
// pread a second. The price: a kernel thread that exits and whose pid a new process
// takes within those rounds shows as the kernel thread until its next read (the pid
// space wraps only after pid_max, 4M on 64-bit distributions).
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import type { ProcessStat } from '../model/host.js';
import { isNoDataError, readCounterTextOrNull } from './read-proc-file.js';
import { parseProcStat } from './proc-stat.js';

const LINE_BUFFER_BYTES = 4096;
/** Descriptors given back when the process runs out, for everything else it opens. */
const RESERVED_DESCRIPTORS = 64;
/** A kernel thread's stat is read in one round of this many (see above). */
export const KERNEL_THREAD_EVERY = 10;

/** A kernel thread whose stat line may stand for a few rounds: not ksmd, whose CPU the
 * collector reports each interval. */
function isQuietKernelThread(stat: ProcessStat): boolean {
  return (stat.pid === 2 || stat.ppid === 2) && stat.comm !== 'ksmd';
}

/** A module function, not an arrow made per call: see src/collect/collector.ts. */
const byPid = (a: ProcessStat, b: ProcessStat): number => a.pid - b.pid;

function isOutOfDescriptors(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

export class ProcStatReader {
  private readonly held = new Map<number, number>();
  private readonly buffer = Buffer.alloc(LINE_BUFFER_BYTES);
  /** The last line read per pid (and its bytes) and what it parsed to: an idle
   * process's line does not change, and is neither decoded nor parsed again. */
  private readonly lastLine = new Map<number, { text: string; bytes: Buffer; stat: ProcessStat | null }>();

  /** readAll calls so far: which kernel threads are read this round. */
  private round = 0;

  constructor(private readonly procRoot = '/proc', private maxHeld = 1024) {}

  /** Every process under procRoot, sorted by pid; processes that exit while we read are skipped. */
  async readAll(): Promise<ProcessStat[]> {
    let names: string[];
    try {
      // synchronous: listing /proc takes no process's locks, and the thread pool's
      // round trip costs more than the listing
      names = readdirSync(this.procRoot);
    } catch (err) {
      if (isNoDataError(err)) return [];
      throw err;
    }
    const listed = new Set<number>();
    const stats: ProcessStat[] = [];
    const round = this.round++;
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      listed.add(pid);
      const known = this.lastLine.get(pid)?.stat;
      if (known && isQuietKernelThread(known) && (round + pid) % KERNEL_THREAD_EVERY !== 0) {
        stats.push(known);
        continue;
      }
      const text = this.readHeld(pid) ?? this.readFresh(pid);
      if (text === null) continue;
      const last = this.lastLine.get(pid);
      const stat = last?.text === text ? last.stat : parseProcStat(text);
      if (last?.text !== text) this.lastLine.set(pid, { text, bytes: Buffer.from(text), stat });
      if (stat) stats.push(stat);
    }
    for (const [pid, fd] of this.held) if (!listed.has(pid)) this.release(pid, fd);
    for (const pid of this.lastLine.keys()) if (!listed.has(pid)) this.lastLine.delete(pid);
    return stats.sort(byPid);
  }

  /** One process's stat now (null once it has exited): through its held descriptor
   * when there is one (one pread), else read the old way. For the re-check after a
   * process's detail is read (src/host/process-detail.ts). */
  readOne(pid: number): ProcessStat | null {
    const text = this.held.has(pid) ? this.readHeld(pid) : readCounterTextOrNull(`${this.procRoot}/${pid}/stat`);
    return text === null ? null : parseProcStat(text);
  }

  /** Closes every held descriptor. */
  close(): void {
    for (const [pid, fd] of this.held) this.release(pid, fd);
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** The line through the descriptor held for pid, or null (none held, or its task is
   * gone); the last line's own string when the bytes are the same (no new string). */
  private readHeld(pid: number): string | null {
    const fd = this.held.get(pid);
    if (fd === undefined) return null;
    try {
      const bytes = readSync(fd, this.buffer, 0, LINE_BUFFER_BYTES, 0);
      if (bytes > 0 && bytes < LINE_BUFFER_BYTES) {
        const last = this.lastLine.get(pid);
        if (last !== undefined && last.bytes.length === bytes && this.buffer.compare(last.bytes, 0, bytes, 0, bytes) === 0) return last.text;
        return this.buffer.toString('utf8', 0, bytes);
      }
      // a line that fills the buffer (never seen: they are ~300 bytes) is read whole
      if (bytes === LINE_BUFFER_BYTES) {
        this.release(pid, fd);
        return readCounterTextOrNull(`${this.procRoot}/${pid}/stat`);
      }
    } catch (err) {
      if (!isNoDataError(err)) throw err;
    }
    this.release(pid, fd);
    return null;
  }

  private readFresh(pid: number): string | null {
    const path = `${this.procRoot}/${pid}/stat`;
    if (this.held.size >= this.maxHeld) return readCounterTextOrNull(path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (isNoDataError(err)) return null;
      if (!isOutOfDescriptors(err)) throw err;
      this.maxHeld = Math.max(0, this.held.size - RESERVED_DESCRIPTORS);
      for (const [heldPid, heldFd] of [...this.held].slice(this.maxHeld)) this.release(heldPid, heldFd);
      return readCounterTextOrNull(path);
    }
    this.held.set(pid, fd);
    return this.readHeld(pid);
  }

  private release(pid: number, fd: number): void {
    this.held.delete(pid);
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to give back
    }
  }
}
