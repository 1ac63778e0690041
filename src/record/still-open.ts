// Is a recording still open, its writer still appending to it (or gone without
// finishing)? The .flt format has no end record: the writer appends one record per
// snapshot and on close only fsyncs (writer.ts), so a recording that was closed and
// one whose writer is waiting for its next snapshot hold the same bytes. Two things
// tell them apart:
//
// - its last record is cut short (bytesIgnoredAtEnd > 0): the writer is writing it
//   now, or stopped before it finished it (killed, disk full). A writer that closes
//   the file finishes every record first;
// - it grows: while it is read, or within 1.5 intervals of its last write (mtime),
//   since a running writer appends a record every interval and a tick comes at most
//   half an interval late (src/collect/tick-wait.ts). When the last write is more
//   recent than that, the reader waits for the next one, up to MAX_WAIT_MS.
//
// Where it errs:
// - `record --ring` writes only around incidents: between them it looks closed;
// - a writer that stopped between two writes (SIGKILL, SIGSTOP) looks closed once
//   1.5 intervals have passed: nothing in the file says otherwise;
// - with an interval over 2 * MAX_WAIT_MS / 3 (6.7 s), a recording written less than
//   1.5 intervals ago and quiet for MAX_WAIT_MS counts as open: there was no time to
//   see its next write.
import { stat } from 'node:fs/promises';

export const MAX_WAIT_MS = 10_000;

export interface FileState {
  sizeBytes: number;
  mtimeMs: number;
}

export interface OpenEvidence {
  /** When reading began (after the header). */
  before: FileState;
  /** Now. */
  now: FileState;
  nowMs: number;
  intervalMs: number;
  /** The reader ignored a last record cut short. */
  tailCut: boolean;
}

/** Open, closed, or not known until the next write is due (in waitMs). Pure. */
export function judgeOpen(e: OpenEvidence): 'open' | 'closed' | { waitMs: number } {
  if (e.tailCut) return 'open';
  if (e.now.sizeBytes !== e.before.sizeBytes || e.now.mtimeMs !== e.before.mtimeMs) return 'open';
  const nextWriteDueMs = e.now.mtimeMs + 1.5 * e.intervalMs;
  return e.nowMs < nextWriteDueMs ? { waitMs: nextWriteDueMs - e.nowMs } : 'closed';
}

export async function fileState(path: string): Promise<FileState> {
  const s = await stat(path);
  return { sizeBytes: s.size, mtimeMs: s.mtimeMs };
}

export interface StillOpenWorld {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  maxWaitMs?: number;
}

/** Whether the recording at `path`, read from `before` on, is still open (see above);
 * waits up to MAX_WAIT_MS when it was written moments ago. */
export async function isStillOpen(
  path: string,
  read: { before: FileState; intervalMs: number; tailCut: boolean },
  world: StillOpenWorld = {},
): Promise<boolean> {
  const now = world.now ?? Date.now;
  const sleep = world.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxWaitMs = world.maxWaitMs ?? MAX_WAIT_MS;
  for (let waitedMs = 0; ; ) {
    let state: FileState;
    try {
      state = await fileState(path);
    } catch {
      return false; // gone: nobody writes it any more
    }
    const verdict = judgeOpen({ ...read, now: state, nowMs: now() });
    if (verdict === 'open') return true;
    if (verdict === 'closed') return false;
    if (waitedMs >= maxWaitMs) return true;
    const ms = Math.ceil(Math.min(verdict.waitMs, maxWaitMs - waitedMs));
    await sleep(ms);
    waitedMs += ms;
  }
}
