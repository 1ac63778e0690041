// Why a report's stacks are short or nameless, in words the user can act on. Pure.
//   - no frames at all: bpftrace was stopped before it printed the stacks (faultline
//     waits a bounded time at the end), or the walk found nothing
//   - one frame only: user stacks are walked by frame pointers; the caller's module
//     was built without them (-fomit-frame-pointer, the default at -O2 before 2023)
//   - unnamed frames in anonymous memory: JIT code; named only from /tmp/perf-PID.map
import type { LeakSite } from './leak-report.js';
import { isUnnamed } from './perf-map.js';

export interface StackNoteInput {
  pid: number;
  sites: readonly LeakSite[];
  /** bpftrace did not print its stacks in time and was stopped. */
  stacksCut: boolean;
  /** A /tmp/perf-PID.map was found and used. */
  perfMap: boolean;
}

export function stackNotes(i: StackNoteInput): string[] {
  const notes: string[] = [];
  const empty = i.sites.filter((s) => s.frames.length === 0).length;
  if (empty) {
    notes.push(i.stacksCut
      ? `${empty} call site(s) have no stack: bpftrace did not finish printing the stacks in time and was stopped`
      : `${empty} call site(s) have no stack: the stack walk found no frame`);
  }
  const single = i.sites.filter((s) => s.frames.length === 1);
  if (single.length) {
    const module = single[0]!.frames[0]!.module.split('/').pop() || 'the caller';
    notes.push(`${single.length} call site(s) stop after one frame: stacks are walked by frame pointers, and ${module} seems built without them (-fno-omit-frame-pointer keeps them)`);
  }
  const unnamed = i.sites.reduce((n, s) => n + s.frames.filter(isUnnamed).length, 0);
  if (unnamed) {
    notes.push(i.perfMap
      ? `${unnamed} frame(s) have no name even in /tmp/perf-${i.pid}.map (code the runtime did not list, or stripped binaries)`
      : `${unnamed} frame(s) have no name: JIT code or a stripped binary; for JIT code let the runtime write /tmp/perf-${i.pid}.map (node --perf-basic-prof, python -X perf, java with perf-map-agent)`);
  }
  return notes;
}
