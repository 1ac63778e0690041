// The exit line of a process found gone from /proc, waited for briefly.
//
// The faults probe prints a process's exit at sched_process_exit, before the process
// can be reaped; but bpftrace's read of its buffer, its write and our read of the pipe
// race with the parent's wait(2): 16-48 of 300 exit lines reached node after node had
// reaped the child, up to 1.3-5 ms after (this machine, idle: `npm run bench --
// exit-lines`, docs/benchmarks.md "Exit lines"). A snapshot that found a process gone
// in that window ended its row without the exit (no code, no signal, the probes'
// count of its last faults instead of the kernel's totals): 1-5 of 24 `sleep`s
// killed around a snapshot's start (test/kernel/exit-lines.test.ts, five runs). So a snapshot
// that finds one gone whose line is due waits for it, up to EXIT_LINE_WAIT_MS; the
// line comes in through noteEventLine while it waits. IO-free but for the timer.

/** The longest a snapshot waits for exit lines that are due (none are, most intervals). */
export const EXIT_LINE_WAIT_MS = 100;

export class ExitLineWait {
  private waiting: { pids: Set<number>; done: () => void } | null = null;

  /** An exit line came in for pid. */
  noted(pid: number): void {
    const w = this.waiting;
    if (!w || !w.pids.delete(pid) || w.pids.size > 0) return;
    w.done();
  }

  /** Resolves when every pid's line has been noted, or after maxMs: true if they all came. */
  until(pids: readonly number[], maxMs = EXIT_LINE_WAIT_MS): Promise<boolean> {
    if (pids.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve(false);
      }, maxMs);
      this.waiting = {
        pids: new Set(pids),
        done: () => {
          clearTimeout(timer);
          this.waiting = null;
          resolve(true);
        },
      };
    });
  }
}
