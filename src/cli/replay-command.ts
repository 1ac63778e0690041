// `faultline replay [FILE]`: serve a recording in the same UI as live, with a time
// scrubber. Without FILE it opens the sample recording shipped in samples/, so the
// tool can be seen working without root or bpftrace. Wiring only.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ReplaySource } from '../serve/replay-source.js';
import { UiServer } from '../serve/ui-server.js';
import { checkListenAccess, parseListen, resolveToken } from '../serve/access.js';
import { describeDamage } from '../record/reader.js';
import { parseDurationMs } from './options.js';
import { uiUrlLine } from './ui-url.js';

export const SAMPLE_RECORDING = fileURLToPath(new URL('../../samples/sample.flt', import.meta.url));

const REPLAY_HELP = `Usage: faultline replay [FILE] [--listen HOST:PORT] [--token TOKEN|auto]

Serves FILE (a .flt recording from 'faultline record' or 'live --record') in the
same web UI as 'faultline live', with a time scrubber, play/pause and speed: every
chart and table shows the state at the chosen time. Without FILE it opens the
sample recording that ships with faultline (a QEMU guest growing, a leaking process
and a memcg OOM kill). Needs neither root nor bpftrace.

Options:
  --listen HOST:PORT  where the UI listens (default 127.0.0.1:7070); a non-loopback
                      address needs --token
  --token TOKEN       required by the UI and its websocket; "auto" makes one
  --duration DUR      stop serving after this long (default: until Ctrl-C)
`;

export async function runReplay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      listen: { type: 'string', default: '127.0.0.1:7070' },
      token: { type: 'string' },
      duration: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(REPLAY_HELP);
    return 0;
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const path = positionals[0] ?? SAMPLE_RECORDING;
  const listen = parseListen(values.listen);
  const token = resolveToken(values.token);
  checkListenAccess(listen, token);
  if (!positionals[0]) log(`faultline: no recording given: replaying the sample ${path}`);
  const source = new ReplaySource(path);
  await source.load((n, pass) => log(`faultline: reading ${path}: ${n} snapshots (pass ${pass} of 2)`));
  const damage = source.stats && describeDamage(path, source.stats);
  if (damage) log(`faultline: warning: ${damage}`);
  const server = new UiServer({ listen, token, source });
  log(uiUrlLine(await server.start()));
  log(`faultline: replaying ${source.length} snapshots of ${path}; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (values.duration) {
      setTimeout(stop, parseDurationMs('--duration', values.duration)).unref();
    }
  });
  await server.close();
  return 0;
}
