// `faultline live`: trace until the duration ends or Ctrl-C, one Snapshot per
// interval, shown in the live web UI (default), as JSON lines (--json) or a short
// table (--text), and optionally written to a recording (--record). Wiring only.
import { parseArgs } from 'node:util';
import { LiveSession } from '../collect/live-session.js';
import type { Snapshot } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { parseDurationMs } from './options.js';
import { renderSnapshotText } from './render-text.js';
import { SESSION_FLAGS, SESSION_HELP, sessionOptions, snapshotJsonLine, stopOnSignals } from './session-flags.js';
import { UiServer } from '../serve/ui-server.js';
import { MetricsState, metricsHandler } from '../serve/metrics.js';
import { LiveFrameSource } from '../serve/live-source.js';
import { bpftraceDeepTrace, leaksRoute, type LeaksRoute } from '../serve/leaks-route.js';
import { checkListenAccess, parseListen, resolveToken } from '../serve/access.js';
import { uiUrlLine } from './ui-url.js';
import { RecordEncoder, RecordingFile, RecordingWriter } from '../record/writer.js';

export const LIVE_HELP = `Usage: sudo faultline live [options]

Traces page faults, KVM MMU events, reclaim and memory growth with bpftrace and
reports them per VM (QEMU process) and for the busiest host processes, in a live
web UI (default) or as JSON lines.

Options:
  --listen HOST:PORT  where the UI listens (default 127.0.0.1:7070); a non-loopback
                      address needs --token
  --token TOKEN       required by the UI, its websocket and /metrics; "auto" makes one
  --allow-leaks       offer deep leak mode (faultline leaks) in the UI; needs --token:
                      anyone with the token can make faultline attach uprobes to a
                      process for up to 60 s
  --history DUR       chart history kept for clients that connect later (default 15m)
  --record FILE       also write every snapshot to FILE, a .flt recording (as
                      'faultline record' does); a write error stops the recording,
                      not the live view
  --json              print one Snapshot per interval as a JSON line on stdout
                      (no UI unless --listen is given too)
  --text              print a short table per interval on stdout
${SESSION_HELP}

The probes print on shared interval boundaries of the monotonic clock; a snapshot
goes out when every group delivered (at most 250 ms after the boundary). The first
comes 0.5-1.5 intervals after the probes attached. Counts are per interval.
`;

export async function runLive(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...SESSION_FLAGS,
      json: { type: 'boolean', default: false },
      text: { type: 'boolean', default: false },
      listen: { type: 'string' },
      token: { type: 'string' },
      history: { type: 'string', default: '15m' },
      record: { type: 'string' },
      'allow-leaks': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(LIVE_HELP);
    return 0;
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  let fatal: FaultlineError | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const { options, intervalMs, durationMs } = sessionOptions(values, {
    log,
    onFatal: (error) => {
      fatal = error;
      finish();
    },
  });
  const serveUi = !values.json || values.listen !== undefined;
  const listen = parseListen(values.listen ?? '127.0.0.1:7070');
  const token = resolveToken(values.token);
  const historyMs = parseDurationMs('--history', values.history);
  if (serveUi) checkListenAccess(listen, token); // refused before the probes attach
  const allowLeaks = values['allow-leaks'] && serveUi;
  if (values['allow-leaks'] && !token) {
    throw new FaultlineError('E_NEEDS_TOKEN', '--allow-leaks needs --token',
      'anyone who can reach the UI could attach uprobes to a process: add --token SECRET, or --token auto to generate one');
  }
  if (values['allow-leaks'] && !serveUi) {
    throw new FaultlineError('E_USAGE', '--allow-leaks offers deep leak mode in the UI, and --json without --listen serves no UI', 'add --listen HOST:PORT, or drop --allow-leaks');
  }
  // a recording path that cannot be written fails now, not after attaching
  const recordFile = values.record ? await RecordingFile.create(values.record) : null;

  let ui: { server: UiServer; source: LiveFrameSource; leaks: LeaksRoute | null } | null = null;
  let recorder: RecordingWriter | null = null;
  const metrics = new MetricsState();
  const write = (snapshot: Snapshot): void => {
    metrics.update(snapshot);
    if (ui) {
      const heatChanged = ui.source.push(snapshot);
      ui.server.broadcast({ snapshot });
      // a client that connects later gets every VM's heat in its greeting
      if (heatChanged.length && ui.server.clientCount > 0) ui.server.broadcast({ heat: ui.source.heatFrame(heatChanged) });
    }
    void recorder?.append({ snapshot });
    if (values.json) process.stdout.write(snapshotJsonLine(snapshot));
    else if (values.text) process.stdout.write(renderSnapshotText(snapshot));
    else for (const e of snapshot.events) log(`faultline: ${e.type}: ${e.message}`);
  };
  const session = new LiveSession(options, write);
  const detachSignals = stopOnSignals(session, finish, log);
  // a reader that went away (| head) ends the session quietly
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') finish();
  });

  try {
    let meta;
    try {
      meta = await session.start();
      await recordFile?.writeHeader(meta);
    } catch (error) {
      await recordFile?.discard();
      throw error;
    }
    if (recordFile) {
      recorder = new RecordingWriter(recordFile, new RecordEncoder(), {
        onError: (e) => log(`faultline: recording stopped: ${e.code}: ${e.message}; the live view goes on`),
      });
      log(`faultline: recording to ${values.record}`);
    }
    if (serveUi) {
      const source = new LiveFrameSource({ ...meta, historyMs, deepLeaks: allowLeaks }, Math.ceil(historyMs / intervalMs));
      const leaks = allowLeaks ? leaksRoute({ latest: () => source.latestSnapshot, trace: bpftraceDeepTrace(values.bpftrace, log), log }) : null;
      const postRoutes = leaks ? { '/api/leaks': leaks.handle } : undefined;
      ui = { server: new UiServer({ listen, token, source, postRoutes, routes: { '/metrics': metricsHandler(metrics) } }), source, leaks };
      log(uiUrlLine(await ui.server.start()));
    }
    if (!values.json) log(`faultline: tracing every ${intervalMs} ms${durationMs ? ` for ${durationMs / 1000} s` : ''}; Ctrl-C to stop`);
    const timer = durationMs ? setTimeout(finish, durationMs) : null;
    await finished;
    if (timer) clearTimeout(timer);
  } finally {
    await session.stop();
    await recorder?.close();
    ui?.leaks?.abort();
    await ui?.server.close();
    detachSignals();
  }
  if (fatal) throw fatal;
  return 0;
}
