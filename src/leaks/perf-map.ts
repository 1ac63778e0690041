// Names for frames in JIT code: /tmp/perf-PID.map, the text file a runtime writes
// when asked (node --perf-basic-prof, java -XX:+DumpPerfMapAtExit with perf-map-agent,
// python -X perf): one "START SIZE NAME" line per compiled function, hex numbers.
// bpftrace cannot name these frames (they are in anonymous memory); faultline does,
// after the trace. Pure.
import type { Frame } from './stack.js';

export interface PerfMapEntry {
  start: number;
  size: number;
  name: string;
}

const LINE = /^([0-9a-fA-F]+) ([0-9a-fA-F]+) (.+)$/;

/** Sorted by start. A later line for the same start (code moved and re-used) wins. */
export function parsePerfMap(text: string): PerfMapEntry[] {
  const byStart = new Map<number, PerfMapEntry>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (m) byStart.set(parseInt(m[1]!, 16), { start: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16), name: m[3]! });
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

export function lookUp(entries: readonly PerfMapEntry[], address: number): PerfMapEntry | null {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = entries[mid]!;
    if (address < e.start) hi = mid - 1;
    else if (address >= e.start + e.size) lo = mid + 1;
    else return e;
  }
  return null;
}

/** A frame bpftrace could not name: no module, and a symbol that is only its address. */
export function isUnnamed(frame: Frame): boolean {
  return frame.module === '' && (frame.symbol === '' || /^0x[0-9a-f]+$/i.test(frame.symbol));
}

/** Frames with the names the perf map has for them; `module` becomes "[jit]". */
export function nameJitFrames(frames: readonly Frame[], entries: readonly PerfMapEntry[]): Frame[] {
  return frames.map((f) => {
    if (!isUnnamed(f)) return f;
    const address = f.address || parseInt(f.symbol, 16);
    const e = entries.length ? lookUp(entries, address) : null;
    return e ? { address, symbol: e.name, offset: address - e.start, module: '[jit]' } : { ...f, address, symbol: '' };
  });
}
