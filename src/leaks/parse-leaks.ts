// probes/leaks.bt's output (bpftrace -f json, one object per line) to the
// allocations still outstanding at exit. Pure. Shapes: the three maps keyed by
// address (@size, @born: numbers; @stack: ustack(perf) text), the
// "faultline_leaks_end now_ns=N" line, lost_events; 0.24+ may print big numbers as
// strings.
import { toNumber } from '../parse/bpftrace-json.js';
import { parseStack, type Frame } from './stack.js';

export interface Allocation {
  address: number;
  bytes: number;
  bornNs: number;
  frames: Frame[];
}

export interface LeaksOutput {
  ready: boolean;
  /** bpftrace's clock (nsecs) when the probes attached; 0 when unknown. */
  startNs: number;
  /** bpftrace's clock (nsecs) at END; 0 when END did not run. */
  endNs: number;
  allocations: Allocation[];
  lostEvents: number;
  badLines: number;
}

export function parseLeaksOutput(lines: readonly string[]): LeaksOutput {
  const size = new Map<string, number>();
  const born = new Map<string, number>();
  const stack = new Map<string, string>();
  const out: LeaksOutput = { ready: false, startNs: 0, endNs: 0, allocations: [], lostEvents: 0, badLines: 0 };
  for (const line of lines) {
    if (!line.trim()) continue;
    let record: { type?: string; data?: unknown; count?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      out.badLines += 1;
      continue;
    }
    const data = record.data as Record<string, unknown> | string | undefined;
    if (record.type === 'printf' && typeof data === 'string') {
      if (data.startsWith('faultline_ready leaks')) {
        out.ready = true;
        out.startNs = Number(/now_ns=(\d+)/.exec(data)?.[1] ?? 0);
      }
      const end = /faultline_leaks_end now_ns=(\d+)/.exec(data);
      if (end) out.endNs = Number(end[1]);
    } else if (record.type === 'lost_events' && typeof data === 'object' && data) {
      out.lostEvents += toNumber((data as Record<string, unknown>).events) || 0;
    } else if (record.type === 'map' && typeof data === 'object' && data) {
      for (const [name, entries] of Object.entries(data)) {
        if (typeof entries !== 'object' || entries === null) continue;
        for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
          if (name === '@size') size.set(key, toNumber(value));
          else if (name === '@born') born.set(key, toNumber(value));
          else if (name === '@stack' && typeof value === 'string') stack.set(key, value);
        }
      }
    }
  }
  for (const [key, bytes] of size) {
    const address = toNumber(key);
    if (!Number.isFinite(address) || !Number.isFinite(bytes)) continue;
    out.allocations.push({ address, bytes, bornNs: born.get(key) ?? 0, frames: parseStack(stack.get(key) ?? '') });
  }
  return out;
}
