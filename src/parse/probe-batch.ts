// Groups one probe's records into interval batches. Pure state machine.
// A probe prints its maps, clears them, then `faultline_tick GROUP`; everything
// between two ticks is one batch. `faultline_ready GROUP` marks "attached". Rare
// events (printf lines) land in the batch they arrived in. At exit bpftrace dumps
// the maps again (what accumulated since the last tick): `flush()` returns it.
// Every counter is double-buffered in the probes (`@name__0` in even intervals,
// `@name__1` in odd ones, probes/README.md "Double buffer"): a batch holds them under
// their base name, both halves merged when both are printed (at exit).
import type { BpftraceRecord, HistEntry, MapTable } from './bpftrace-json.js';
import { appendMapTable } from './map-table.js';

/** `@fault_user__1` -> `@fault_user`: the map's name without its half. */
export function baseMapName(name: string): string {
  return name.endsWith('__0') || name.endsWith('__1') ? name.slice(0, -3) : name;
}

export interface ProbeBatch {
  group: string;
  maps: Map<string, MapTable>;
  hists: Map<string, HistEntry[]>;
  /** printf lines other than ready/tick, without the trailing newline. */
  lines: string[];
  lostEvents: number;
  /** The groups these lost events may belong to, when one bpftrace runs several groups
   * (it counts them for the process: src/parse/group-batcher.ts); absent: this batch's group. */
  lostEventsOf?: string[];
  /** False for the dump at exit (no tick ended it). */
  complete: boolean;
  /** From `faultline_tick GROUP INDEX NSECS` (probes/README.md): the batch ends at
   * intervalIndex x INTERVAL_MS of CLOCK_MONOTONIC. Absent from older probes. */
  intervalIndex?: number;
  /** CLOCK_MONOTONIC ns (bpftrace's nsecs, Node's process.hrtime) when the tick was
   * printed; a double, exact to 2 ns for 200 days of uptime. */
  tickNs?: number;
  /** The last, partial interval, printed by the probe's END at stop
   * (`faultline_tick GROUP INDEX NSECS final`): it ends before its boundary. */
  final?: boolean;
}

export type BatchOutput = { kind: 'ready' } | { kind: 'batch'; batch: ProbeBatch };

export function emptyBatch(group: string): ProbeBatch {
  return { group, maps: new Map(), hists: new Map(), lines: [], lostEvents: 0, complete: false };
}

export class ProbeBatcher {
  private current: ProbeBatch;
  private touched = false;

  /** onEventLine: each event line as it arrives, before its batch is complete (it
   * stays in the batch as well). */
  constructor(readonly group: string, private readonly onEventLine?: (line: string) => void) {
    this.current = emptyBatch(group);
  }

  /** Feed one record; returns what became complete (ready or a batch), if anything. */
  push(record: BpftraceRecord): BatchOutput | null {
    switch (record.type) {
      case 'map': {
        const name = baseMapName(record.name);
        const known = this.current.maps.get(name);
        this.current.maps.set(name, known ? appendMapTable(known, record.table) : record.table);
        break;
      }
      case 'hist': {
        const name = baseMapName(record.name);
        const known = this.current.hists.get(name);
        this.current.hists.set(name, known ? known.concat(record.entries) : record.entries);
        break;
      }
      case 'lost':
        this.current.lostEvents += record.events;
        break;
      case 'printf': {
        for (const line of record.text.split('\n')) {
          if (line === '') continue;
          if (line.startsWith('faultline_ready')) return { kind: 'ready' };
          if (line.startsWith('faultline_tick')) return { kind: 'batch', batch: { ...this.take(true), ...tickClock(line) } };
          this.current.lines.push(line);
          this.onEventLine?.(line);
        }
        break;
      }
      default:
        return null;
    }
    this.touched = true;
    return null;
  }

  /** What arrived after the last tick (the exit dump), or null if nothing did. */
  flush(): ProbeBatch | null {
    return this.touched ? this.take(false) : null;
  }

  private take(complete: boolean): ProbeBatch {
    const batch = { ...this.current, complete };
    this.current = emptyBatch(this.group);
    this.touched = false;
    return batch;
  }
}

/** INDEX and NSECS of a tick line, and whether it is the final one; nothing when they
 * are missing or not numbers. */
export function tickClock(line: string): Pick<ProbeBatch, 'intervalIndex' | 'tickNs' | 'final'> {
  const [, , index, ns, final] = line.split(' ');
  if (!index || !ns || !/^\d+$/.test(index) || !/^\d+$/.test(ns)) return {};
  return final === 'final' ? { intervalIndex: Number(index), tickNs: Number(ns), final: true } : { intervalIndex: Number(index), tickNs: Number(ns) };
}
