// What `live` and `record` share: the tracing flags, their help text, turning them
// into LiveSession options, Ctrl-C handling, and the JSON line of a snapshot.
import type { LiveOptions, LiveSession } from '../collect/live-session.js';
import type { Snapshot } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { frameToJson } from '../proto/codec.js';
import { PROBE_GROUPS, type ProbeGroup } from '../probe/probe-groups.js';
import { checkIntervalMs, parseDurationMs, parsePid } from './options.js';
import { readThresholds } from '../diagnose/thresholds.js';

export const SESSION_FLAGS = {
  interval: { type: 'string' as const, default: '1s' },
  duration: { type: 'string' as const },
  pid: { type: 'string' as const, multiple: true as const, default: [] as string[] },
  groups: { type: 'string' as const },
  'long-stall': { type: 'string' as const, default: '10ms' },
  top: { type: 'string' as const, default: '5' },
  bpftrace: { type: 'string' as const },
  'restart-delay': { type: 'string' as const, default: '1s' },
  'attach-timeout': { type: 'string' as const, default: '60s' },
  'map-keys': { type: 'string' as const },
  'probes-dir': { type: 'string' as const },
  'leak-window': { type: 'string' as const },
  'probe-cost': { type: 'boolean' as const, default: false },
  'keep-code-pages': { type: 'boolean' as const, default: false },
  thresholds: { type: 'string' as const },
  help: { type: 'boolean' as const, short: 'h', default: false },
};

export const SESSION_HELP = `  --interval DUR      snapshot interval (default 1s; e.g. 500ms, 2s)
  --duration DUR      stop after this long (default: until Ctrl-C or SIGTERM)
  --pid PID           always report this process (repeatable)
  --groups LIST       probe groups to attach (default faults,kvm,reclaim,growth)
  --long-stall DUR    reclaim stalls at least this long become events (default 10ms)
  --top N             host processes to report besides VMs, busiest first (default 5)
  --bpftrace PATH     the bpftrace binary (default: bpftrace on PATH)
  --restart-delay DUR first wait before restarting a probe group whose bpftrace
                      died (default 1s; doubles each try, 5 tries, then exit 1)
  --attach-timeout DUR how long a probe group may take to attach before it is
                      left out (default 60s; longer on emulated or overloaded
                      machines, where compiling and attaching is slow)
  --map-keys N        keys each probe map holds at start (default 4096); when one
                      fills in an interval (a guest touching more than 8 GiB of
                      new memory in it), bpftrace restarts with 4x, up to 65536
                      or N; each key costs kernel memory (docs/benchmarks.md)
  --leak-window DUR   window of the leak detectors (default 10m); shorter only for
                      tests and demos, at least 8 intervals (e.g. 20s)
  --probe-cost        measure what each probe program costs per event (sets
                      kernel.bpf_stats_enabled=1 for the session, which adds
                      ~20-40 ns to every BPF program run; needs bpftool)
  --keep-code-pages   keep bpftrace's LLVM and clang code pages resident (by
                      default, ~65 MiB used only to compile its program are paged
                      out once it attached: process_madvise through perl, Linux
                      5.10+)
  --thresholds FILE   a JSON object that changes some of the diagnosis's
                      thresholds, e.g. {"hostAvailableWarningPct": 15}
                      (keys and defaults: docs/diagnosis.md)
  --probes-dir DIR    where the probe programs live (default: probes/ of this
                      package; for testing variants of them)
  --debug             print stack traces on errors`;

export interface SessionFlagValues {
  interval: string;
  duration?: string;
  pid: string[];
  groups?: string;
  'long-stall': string;
  top: string;
  bpftrace?: string;
  'restart-delay': string;
  'attach-timeout'?: string;
  'map-keys'?: string;
  'probes-dir'?: string;
  'leak-window'?: string;
  'probe-cost'?: boolean;
  'keep-code-pages'?: boolean;
  thresholds?: string;
}

export function parseGroups(text: string): ProbeGroup[] {
  const groups = text.split(',').map((g) => g.trim()).filter(Boolean);
  for (const g of groups) {
    if (!(PROBE_GROUPS as readonly string[]).includes(g)) {
      throw new FaultlineError('E_BAD_VALUE', `--groups: unknown probe group "${g}"`, `choose from ${PROBE_GROUPS.join(',')}`);
    }
  }
  return groups as ProbeGroup[];
}

/** --map-keys: a whole number of keys, 64 to 1,048,576 (bpftrace preallocates them all). */
export function parseMapKeys(text: string): number {
  const keys = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(keys) || keys < 64 || keys > 1_048_576) {
    throw new FaultlineError('E_BAD_VALUE', `--map-keys "${text}" is not a key count from 64 to 1048576`, 'e.g. --map-keys 16384');
  }
  return keys;
}

export function sessionOptions(
  values: SessionFlagValues,
  hooks: Pick<LiveOptions, 'log' | 'onFatal'>,
): { options: LiveOptions; intervalMs: number; durationMs: number | null } {
  const intervalMs = checkIntervalMs(parseDurationMs('--interval', values.interval));
  const leakWindowMs = values['leak-window'] ? parseDurationMs('--leak-window', values['leak-window']) : undefined;
  if (leakWindowMs !== undefined && leakWindowMs < 8 * intervalMs) {
    throw new FaultlineError('E_BAD_VALUE', `--leak-window must be at least 8 intervals (${(8 * intervalMs) / 1000} s), got ${leakWindowMs / 1000} s`,
      'the detectors need 8 points in a window; e.g. --interval 500ms --leak-window 10s');
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 0 || top > 1000) throw new FaultlineError('E_BAD_VALUE', `--top "${values.top}" is not a count`, 'e.g. --top 5');
  return {
    intervalMs,
    durationMs: values.duration ? parseDurationMs('--duration', values.duration) : null,
    options: {
      intervalMs,
      pinnedPids: values.pid.map(parsePid),
      bpftrace: values.bpftrace,
      groups: values.groups ? parseGroups(values.groups) : undefined,
      longStallMs: parseDurationMs('--long-stall', values['long-stall']),
      busiestLimit: top,
      restartBaseDelayMs: parseDurationMs('--restart-delay', values['restart-delay']),
      attachTimeoutMs: parseDurationMs('--attach-timeout', values['attach-timeout'] ?? '60s'),
      mapKeys: values['map-keys'] === undefined ? undefined : parseMapKeys(values['map-keys']),
      probesDir: values['probes-dir'],
      leakWindowMs,
      probeCost: values['probe-cost'] ?? false,
      pageOutCode: !(values['keep-code-pages'] ?? false),
      thresholds: readThresholds(values.thresholds),
      ...hooks,
    },
  };
}

/** The first SIGINT/SIGTERM calls `finish` (a clean stop); a second one kills the
 * probes and exits at once. Returns a function that removes the handlers. */
export function stopOnSignals(session: LiveSession, finish: () => void, log: (line: string) => void): () => void {
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts > 1) {
      log(`faultline: ${signal} again, exiting now`);
      for (const pid of session.probePids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      process.exit(130);
    }
    finish();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** `faultline live --json`'s line: the schema's JSON form of the snapshot. */
export function snapshotJsonLine(snapshot: Snapshot): string {
  return `${JSON.stringify((frameToJson({ snapshot }) as { snapshot: Snapshot }).snapshot)}\n`;
}
