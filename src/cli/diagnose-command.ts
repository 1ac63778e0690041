// `faultline diagnose [FILE.flt]`: is this host short of memory, because of what, and
// what to do. Live: traces for --duration and judges that window; from a recording:
// the window ending --at a time. Wiring only: src/diagnose/ judges and renders.
import { parseArgs } from 'node:util';
import { LiveSession } from '../collect/live-session.js';
import type { Snapshot } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { describeDamage, openRecording } from '../record/reader.js';
import { diagnose, type Diagnosis, type HealthStatus } from '../diagnose/diagnose.js';
import { readThresholds } from '../diagnose/thresholds.js';
import { renderDiagnosis } from '../diagnose/render-diagnosis.js';
import { parseDurationMs } from './options.js';
import { SESSION_FLAGS, SESSION_HELP, sessionOptions, stopOnSignals } from './session-flags.js';

export const DIAGNOSE_HELP = `Usage: sudo faultline diagnose [--duration 10s] [options]
       faultline diagnose FILE.flt [--at TIME] [--window 10s]

Says whether this host is short of memory, because of what (ranked: critical
first), with the numbers, and what to do, naming the VM or process: host memory
low, paging (swap and zswap), kswapd busy, page cache churning (and who reads),
memory pressure (PSI), overcommit, OOM kills (host or cgroup limit), reclaim stalls
per VM, memory cgroups near their limit, leaks, and on libvirt hosts a guest short
of memory by its own count (virsh domstats --balloon). A healthy host is one line. The playbook and its thresholds: docs/diagnosis.md.

Live (root, bpftrace): traces like 'faultline live' for --duration (default 10s),
then judges that window. From a recording: the --window (default 10s) of
snapshots that ends at --at (default: the recording's end).

Options:
  --json              the diagnosis as JSON (status, headline, causes with
                      severity, subject, evidence and remedy)
  --at TIME           (recording) the end of the window: an ISO time
                      (2026-12-06T05:10:00Z), HH:MM:SS in UTC on the
                      recording's first day, or +DUR from its start (+5m)
  --window DUR        (recording) how much before --at to judge (default 10s)
${SESSION_HELP}

Exit status: 0 healthy, 4 warning, 5 critical (for scripts and cron); 1 on
errors, 2 on a bad command line. A damaged recording is judged as far as it
reads, with the health as exit status and one line on stderr saying what was
skipped.
`;

export const DIAGNOSE_EXIT: Record<HealthStatus, number> = { healthy: 0, warning: 4, critical: 5 };

/** --at against a recording that starts at startMs: epoch ms. */
export function parseAt(text: string, startMs: number): number {
  if (text.startsWith('+')) return startMs + parseDurationMs('--at', text.slice(1));
  const clock = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (clock) {
    const day = new Date(startMs);
    const at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), Number(clock[1]), Number(clock[2]), Number(clock[3]));
    return at < startMs - 12 * 3600e3 ? at + 24 * 3600e3 : at;
  }
  const iso = Date.parse(text);
  if (Number.isNaN(iso)) throw new FaultlineError('E_BAD_VALUE', `--at "${text}" is not a time`, 'e.g. --at 2026-12-06T05:10:00Z, --at 05:10:00 (UTC) or --at +5m');
  return iso;
}

async function fromRecording(path: string, atText: string | undefined, windowMs: number): Promise<{ window: Snapshot[]; damage: string | null }> {
  const reader = await openRecording(path);
  const atMs = atText === undefined ? Infinity : parseAt(atText, reader.meta.startTimeMs);
  const window: Snapshot[] = [];
  for await (const s of reader.snapshots()) {
    if (s.timeMs > atMs) break;
    window.push(s);
    while (window.length && window[0]!.timeMs <= s.timeMs - windowMs) window.shift();
  }
  if (window.length === 0) {
    throw new FaultlineError('E_BAD_VALUE', `${path}: no snapshot ${atText === undefined ? 'in the recording' : `at or before --at ${atText}`}`, 'see `faultline report` for the recording\'s time span');
  }
  return { window, damage: describeDamage(path, reader.stats) };
}

async function live(values: Parameters<typeof sessionOptions>[0], log: (line: string) => void): Promise<Snapshot[]> {
  let fatal: FaultlineError | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const { options, durationMs } = sessionOptions({ ...values, duration: values.duration ?? '10s' }, {
    log,
    onFatal: (error) => {
      fatal ??= error;
      finish();
    },
  });
  const snapshots: Snapshot[] = [];
  const session = new LiveSession(options, (s) => snapshots.push(s));
  const detach = stopOnSignals(session, finish, log);
  try {
    await session.start();
    log(`faultline: watching the host for ${Math.round(durationMs! / 1000)} s`);
    const timer = setTimeout(finish, durationMs!);
    await finished;
    clearTimeout(timer);
  } finally {
    detach();
    await session.stop();
  }
  if (fatal) throw fatal;
  // the first snapshot holds what happened before the probes attached: leave it out
  return snapshots.length > 1 ? snapshots.slice(1) : snapshots;
}

export async function runDiagnose(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...SESSION_FLAGS,
      json: { type: 'boolean', default: false },
      at: { type: 'string' },
      window: { type: 'string', default: '10s' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(DIAGNOSE_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new FaultlineError('E_USAGE', 'diagnose takes at most one recording', 'e.g. faultline diagnose incident.flt --at 05:10:00');
  const thresholds = readThresholds(values.thresholds);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  let window: Snapshot[];
  let damage: string | null = null;
  if (positionals.length === 1) {
    ({ window, damage } = await fromRecording(positionals[0]!, values.at, parseDurationMs('--window', values.window)));
  } else {
    if (values.at !== undefined) throw new FaultlineError('E_USAGE', '--at needs a recording', 'e.g. faultline diagnose incident.flt --at 05:10:00');
    window = await live(values, log);
  }
  const result: Diagnosis = diagnose(window, thresholds);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : renderDiagnosis(result));
  if (damage) log(`faultline: ${damage}; judged what could be read`);
  return DIAGNOSE_EXIT[result.status];
}
