// `faultline record -o FILE`: trace like `faultline live` and write every snapshot to
// a .flt recording (src/record/), or, with --ring, keep the last minutes in memory
// and write them when an incident happens. Wiring only.
import { parseArgs } from 'node:util';
import { LiveSession } from '../collect/live-session.js';
import type { Frame, Snapshot } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { parseDurationMs } from './options.js';
import { SESSION_FLAGS, SESSION_HELP, sessionOptions, snapshotJsonLine, stopOnSignals } from './session-flags.js';
import { RecordEncoder, RecordingFile, RecordingWriter } from '../record/writer.js';
import { FlightRecorder } from '../record/flight-recorder.js';
import { formatProgress } from '../record/progress.js';
import { formatBytes, formatDuration } from '../format/quantities.js';

export const RECORD_HELP = `Usage: sudo faultline record -o FILE [options]

Traces like 'faultline live' and writes every snapshot to FILE, a .flt recording
that 'faultline replay', 'report' and 'export' read. Each snapshot is written as
soon as it is made, so a recording cut short by a crash reads up to its last one.

Options:
  -o, --output FILE   the recording to write (refuses to replace a file: see --force)
  --force             replace FILE if it exists
  --ring DUR          flight recorder: keep only the last DUR (e.g. 10m) in memory
                      and write it when an OOM kill, a reclaim stall of at least
                      --ring-stall or a leak finding happens, or on SIGUSR1
                      (kill -USR1 PID); then keep writing for DUR more. Ctrl-C
                      does not write the ring.
  --ring-stall DUR    the reclaim stall that counts as an incident (default 100ms)
  --json              also print each snapshot as a JSON line on stdout, as
                      'faultline live --json' does
${SESSION_HELP}

Progress (elapsed, frames, bytes, VMs seen, lost events) is shown on stderr when it
is a terminal. A recording costs 20 (idle) to 100 (busy) bytes per VM-second:
a day of 50 VMs at 1 s is 85-430 MB (docs/recording-format.md).
`;

/** One line redrawn in place on a terminal; log lines go above it. */
class StatusLine {
  private text = '';
  constructor(private readonly stream: NodeJS.WriteStream, private readonly enabled: boolean) {}

  show(text: string): void {
    if (!this.enabled) return;
    this.text = text;
    this.stream.write(`\r\x1b[K${text}`);
  }

  log(line: string): void {
    this.stream.write(this.enabled && this.text ? `\r\x1b[K${line}\n${this.text}` : `${line}\n`);
  }

  clear(): void {
    if (this.enabled && this.text) this.stream.write('\r\x1b[K');
    this.text = '';
  }
}

interface Sink {
  append(frame: Frame): Promise<void>;
  close(): Promise<FaultlineError | null>;
  readonly bytesWritten: number;
  readonly framesWritten: number;
}

export async function runRecord(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...SESSION_FLAGS,
      output: { type: 'string', short: 'o' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      ring: { type: 'string' },
      'ring-stall': { type: 'string', default: '100ms' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(RECORD_HELP);
    return 0;
  }
  if (!values.output) throw new FaultlineError('E_USAGE', 'record needs -o FILE', 'e.g. sudo faultline record -o incident.flt --duration 10m');
  const output = values.output;
  let fatal: FaultlineError | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const status = new StatusLine(process.stderr, process.stderr.isTTY === true);
  const log = (line: string): void => status.log(line);
  const { options, intervalMs, durationMs } = sessionOptions(values, {
    log,
    onFatal: (error) => {
      fatal ??= error;
      finish();
    },
  });
  const ringMs = values.ring ? parseDurationMs('--ring', values.ring) : null;
  if (ringMs !== null && ringMs < 2 * intervalMs) throw new FaultlineError('E_BAD_VALUE', `--ring ${values.ring} holds less than two intervals`, 'e.g. --ring 10m');
  const ringStallNs = parseDurationMs('--ring-stall', values['ring-stall']) * 1e6;

  // before tracing starts: a path that cannot be written fails now, not after attaching
  const file = await RecordingFile.create(output, { overwrite: values.force });
  const onWriteError = (error: FaultlineError): void => {
    fatal ??= error;
    finish();
  };
  let sink: Sink | null = null;
  let ring: FlightRecorder | null = null;
  const early: Snapshot[] = [];
  const vmsSeen = new Set<string>();
  let lostEvents = 0;
  let echo = values.json;

  const onSnapshot = (snapshot: Snapshot): void => {
    for (const v of snapshot.vms) if (v.kind === 'vm') vmsSeen.add(v.id);
    lostEvents += snapshot.probes.lostEvents;
    if (echo) process.stdout.write(snapshotJsonLine(snapshot));
    if (sink) void sink.append({ snapshot });
    else early.push(snapshot);
  };
  const session = new LiveSession(options, onSnapshot);

  const detachSignals = stopOnSignals(session, finish, log);
  const onDumpSignal = (): void => {
    if (ring) void ring.dump('SIGUSR1');
    else log('faultline: SIGUSR1 ignored: not in --ring mode, every snapshot is already written');
  };
  process.on('SIGUSR1', onDumpSignal);
  // a reader that went away stops the echo, not the recording
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') echo = false;
  });

  let progress: NodeJS.Timeout | null = null;
  let startTimeMs = Date.now();
  try {
    try {
      const meta = await session.start();
      startTimeMs = meta.startTimeMs;
      await file.writeHeader(meta);
    } catch (error) {
      await file.discard();
      throw error;
    }
    const writer = new RecordingWriter(file, new RecordEncoder(), { onError: onWriteError });
    if (ringMs !== null) ring = new FlightRecorder(writer, { windowMs: ringMs, stallThresholdNs: ringStallNs, log });
    sink = ring ?? writer;
    for (const snapshot of early.splice(0)) void sink.append({ snapshot });
    const what = ringMs !== null ? `keeping the last ${formatDuration(ringMs)} in memory for ${output}` : `recording to ${output}`;
    log(`faultline: ${what} every ${formatDuration(intervalMs)}${durationMs ? ` for ${formatDuration(durationMs)}` : ''}; Ctrl-C to stop`);
    progress = setInterval(() => status.show(formatProgress({
      elapsedMs: Date.now() - startTimeMs,
      frames: sink!.framesWritten,
      bytes: sink!.bytesWritten,
      vmsSeen: vmsSeen.size,
      lostEvents,
      ringFrames: ring?.framesInRing,
    })), 1000);
    const timer = durationMs ? setTimeout(finish, durationMs) : null;
    await finished;
    if (timer) clearTimeout(timer);
  } finally {
    if (progress) clearInterval(progress);
    status.clear();
    await session.stop();
    const writeError = sink ? await sink.close() : null;
    fatal ??= writeError;
    detachSignals();
    process.off('SIGUSR1', onDumpSignal);
  }
  const s = sink!;
  const kept = ring ? `, ${ring.dumps} incident${ring.dumps === 1 ? '' : 's'}` : '';
  log(`faultline: wrote ${s.framesWritten} snapshots (${formatBytes(s.bytesWritten)}) to ${output} in ${formatDuration(Date.now() - startTimeMs)}: ${vmsSeen.size} VMs seen, ${lostEvents} lost events${kept}`);
  if (fatal) throw fatal;
  return 0;
}
