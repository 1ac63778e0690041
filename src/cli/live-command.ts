// `faultline live`: trace until the duration ends or Ctrl-C, one Snapshot per
// interval (--json: one JSON line each on stdout; otherwise a short table).
import { parseArgs } from 'node:util';
import { LiveSession } from '../collect/live-session.js';
import { frameToJson } from '../proto/codec.js';
import type { Snapshot } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { checkIntervalMs, parseDurationMs, parsePid } from './options.js';
import { renderSnapshotText } from './render-text.js';
import { PROBE_GROUPS, type ProbeGroup } from '../probe/probe-groups.js';
import { randomBytes } from 'node:crypto';
import { UiServer } from '../serve/ui-server.js';
import { LiveFrameSource } from '../serve/live-source.js';
import { checkListenAccess, parseListen } from '../serve/access.js';

export const LIVE_HELP = `Usage: sudo faultline live [options]

Traces page faults, KVM MMU events, reclaim and memory growth with bpftrace and
reports them per VM (QEMU process) and for the busiest host processes, in a live
web UI (default) or as JSON lines.

Options:
  --listen HOST:PORT  where the UI listens (default 127.0.0.1:7070); a non-loopback
                      address needs --token
  --token TOKEN       required by the UI, its websocket and /metrics; "auto" makes one
  --history DUR       chart history kept for clients that connect later (default 15m)
  --text              also print a short table per interval on stdout
  --json              print one Snapshot per interval as a JSON line on stdout
                      (no UI unless --listen is given too)
  --interval DUR      snapshot interval (default 1s; e.g. 500ms, 2s)
  --duration DUR      stop after this long (default: until Ctrl-C)
  --pid PID           always report this process (repeatable)
  --groups LIST       probe groups to attach (default faults,kvm,reclaim,growth)
  --long-stall DUR    reclaim stalls at least this long become events (default 10ms)
  --top N             host processes to report besides VMs, busiest first (default 5)
  --bpftrace PATH     the bpftrace binary (default: bpftrace on PATH)
  --probes-dir DIR    where the probe programs live (default: probes/ of this
                      package; for testing variants of them)
  --restart-delay DUR first wait before restarting a probe group whose bpftrace
                      died (default 1s; doubles each try, 5 tries, then exit 1)
  --debug             print stack traces on errors

The first snapshot is printed once the probes are attached. Counts are per interval.
`;

function parseGroups(text: string): ProbeGroup[] {
  const groups = text.split(',').map((g) => g.trim()).filter(Boolean);
  for (const g of groups) {
    if (!(PROBE_GROUPS as readonly string[]).includes(g)) {
      throw new FaultlineError('E_BAD_VALUE', `--groups: unknown probe group "${g}"`, `choose from ${PROBE_GROUPS.join(',')}`);
    }
  }
  return groups as ProbeGroup[];
}

export async function runLive(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      text: { type: 'boolean', default: false },
      listen: { type: 'string' },
      token: { type: 'string' },
      history: { type: 'string', default: '15m' },
      interval: { type: 'string', default: '1s' },
      duration: { type: 'string' },
      pid: { type: 'string', multiple: true, default: [] },
      groups: { type: 'string' },
      'long-stall': { type: 'string', default: '10ms' },
      top: { type: 'string', default: '5' },
      bpftrace: { type: 'string' },
      'restart-delay': { type: 'string', default: '1s' },
      'probes-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(LIVE_HELP);
    return 0;
  }
  const intervalMs = checkIntervalMs(parseDurationMs('--interval', values.interval));
  const durationMs = values.duration ? parseDurationMs('--duration', values.duration) : null;
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 0 || top > 1000) throw new FaultlineError('E_BAD_VALUE', `--top "${values.top}" is not a count`, 'e.g. --top 5');
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const serveUi = !values.json || values.listen !== undefined;
  const listen = parseListen(values.listen ?? '127.0.0.1:7070');
  const token = values.token === 'auto' ? randomBytes(18).toString('base64url') : (values.token ?? null);
  const historyMs = parseDurationMs('--history', values.history);
  let ui: { server: UiServer; source: LiveFrameSource } | null = null;

  const write = (snapshot: Snapshot): void => {
    if (ui) {
      ui.source.push(snapshot);
      ui.server.broadcast({ snapshot });
    }
    if (values.json) process.stdout.write(`${JSON.stringify((frameToJson({ snapshot }) as { snapshot: Snapshot }).snapshot)}\n`);
    else if (values.text) process.stdout.write(renderSnapshotText(snapshot));
    else for (const e of snapshot.events) log(`faultline: ${e.type}: ${e.message}`);
  };
  const session = new LiveSession(
    {
      intervalMs,
      pinnedPids: values.pid.map(parsePid),
      bpftrace: values.bpftrace,
      groups: values.groups ? parseGroups(values.groups) : undefined,
      longStallMs: parseDurationMs('--long-stall', values['long-stall']),
      busiestLimit: top,
      restartBaseDelayMs: parseDurationMs('--restart-delay', values['restart-delay']),
      probesDir: values['probes-dir'],
      log,
      onFatal: (error) => {
        fatal = error;
        finish();
      },
    },
    write,
  );

  let fatal: FaultlineError | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
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
  // a reader that went away (| head) ends the session quietly
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') finish();
  });

  try {
    if (serveUi) {
      checkListenAccess(listen, token); // before the probes attach
      const meta = await session.start();
      const source = new LiveFrameSource({ ...meta, historyMs }, Math.ceil(historyMs / intervalMs));
      ui = { server: new UiServer({ listen, token, source }), source };
      log(`faultline: UI at ${await ui.server.start()}`);
    } else await session.start();
    if (!values.json) log(`faultline: tracing every ${intervalMs} ms${durationMs ? ` for ${durationMs / 1000} s` : ''}; Ctrl-C to stop`);
    const timer = durationMs ? setTimeout(finish, durationMs) : null;
    await finished;
    if (timer) clearTimeout(timer);
  } finally {
    await session.stop();
    await ui?.server.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (fatal) throw fatal;
  return 0;
}
