// The rare-event lines the probes print (probes/reclaim.bt and faults.bt, EVENTS), parsed.
// Format: `NAME key=value ... comm=REST` — comm is last because it may hold spaces.

export interface OomVictimLine {
  type: 'oom_victim';
  pid: number;
  /** -1 (and comm '') on kernels whose oom:mark_victim has the pid only (before 6.10,
   * 6.1.130): the victim's RSS is then not known from the event. */
  anonKb: number;
  fileKb: number;
  shmemKb: number;
  uid: number;
  oomScoreAdj: number;
  comm: string;
}

export interface ReclaimStallLine {
  type: 'reclaim_stall';
  pid: number;
  tid: number;
  kind: 'direct' | 'memcg';
  ns: number;
  comm: string;
}

/** The last thread of a process exited (probes/faults.bt, PROCESS EXIT). */
export interface ProcessExitLine {
  type: 'process_exit';
  pid: number;
  /** As wait(2) sees it: status << 8 for exit(status), the signal (| 0x80 core) for a kill. */
  code: number;
  /** The process's fault totals at exit, as /proc/PID/stat minflt/majflt count them. */
  minorFaults: number;
  majorFaults: number;
}

export type ProbeEventLine = OomVictimLine | ReclaimStallLine | ProcessExitLine;

function fields(line: string): { name: string; values: Map<string, string> } {
  const space = line.indexOf(' ');
  const name = space < 0 ? line : line.slice(0, space);
  const values = new Map<string, string>();
  let rest = space < 0 ? '' : line.slice(space + 1);
  while (rest.length > 0) {
    const eq = rest.indexOf('=');
    if (eq < 0) break;
    const key = rest.slice(0, eq);
    if (key === 'comm') {
      values.set(key, rest.slice(eq + 1));
      break;
    }
    const end = rest.indexOf(' ', eq);
    values.set(key, end < 0 ? rest.slice(eq + 1) : rest.slice(eq + 1, end));
    rest = end < 0 ? '' : rest.slice(end + 1);
  }
  return { name, values };
}

function int(values: Map<string, string>, key: string): number {
  const raw = values.get(key);
  return raw !== undefined && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
}

/** null for lines that are not one of our events or are malformed. */
export function parseProbeEventLine(line: string): ProbeEventLine | null {
  const { name, values } = fields(line.trimEnd());
  const comm = values.get('comm') ?? '';
  if (name === 'oom_victim') {
    // the pid-only shape (older kernels) has no other field: unknown, not 0
    const known = values.has('anon_kb');
    const value = (key: string): number => (known ? int(values, key) : -1);
    const event: OomVictimLine = {
      type: 'oom_victim',
      pid: int(values, 'pid'),
      anonKb: value('anon_kb'),
      fileKb: value('file_kb'),
      shmemKb: value('shmem_kb'),
      uid: value('uid'),
      oomScoreAdj: value('oom_score_adj'),
      comm,
    };
    return Number.isNaN(event.pid) || Number.isNaN(event.anonKb) || Number.isNaN(event.fileKb) || Number.isNaN(event.shmemKb) ? null : event;
  }
  if (name === 'process_exit') {
    const event: ProcessExitLine = {
      type: 'process_exit', pid: int(values, 'pid'), code: int(values, 'code'),
      minorFaults: int(values, 'min_flt'), majorFaults: int(values, 'maj_flt'),
    };
    return [event.pid, event.code, event.minorFaults, event.majorFaults].some((v) => Number.isNaN(v) || v < 0) ? null : event;
  }
  if (name === 'reclaim_stall') {
    const kind = values.get('kind');
    const event = { type: 'reclaim_stall' as const, pid: int(values, 'pid'), tid: int(values, 'tid'), ns: int(values, 'ns'), comm };
    if (Number.isNaN(event.pid) || Number.isNaN(event.ns) || (kind !== 'direct' && kind !== 'memcg')) return null;
    return { ...event, kind };
  }
  return null;
}
