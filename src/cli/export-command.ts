// `faultline export FILE --format chrome-json -o trace.json`: a recording as Chrome's
// Trace Event Format for ui.perfetto.dev or chrome://tracing. Streams: one snapshot
// in memory at a time. Wiring only: src/record/export/ makes the events.
import { parseArgs } from 'node:util';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { FaultlineError } from '../model/errors.js';
import { describeDamage, openRecording } from '../record/reader.js';
import { ChromeTraceBuilder } from '../record/export/chrome-trace.js';
import { writeError } from '../record/record-errors.js';
import { EXIT_DAMAGED } from './report-command.js';

export const EXPORT_HELP = `Usage: faultline export FILE --format chrome-json [-o trace.json]

Writes a recording in Chrome's Trace Event Format (JSON), which ui.perfetto.dev and
chrome://tracing open: per VM a process with counter tracks (RSS by kind, swap,
fault rates, reclaim stall time), instant events for OOM kills, reclaim stalls and
leak findings, and a host process with memory available, swap, PSI and lost events.

Options:
  --format FORMAT     chrome-json (the only one so far)
  -o, --output OUT    write to OUT instead of stdout

Exit status: 0; 3 when the recording was damaged or cut short (the export covers
what could be read, and one line on stderr says what was skipped); 1 on errors.
`;

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export async function runExport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      format: { type: 'string', default: 'chrome-json' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new FaultlineError('E_USAGE', 'export needs one recording', 'e.g. faultline export incident.flt --format chrome-json -o trace.json');
  if (values.format !== 'chrome-json') throw new FaultlineError('E_BAD_VALUE', `--format "${values.format}" is not an export format`, 'use --format chrome-json');
  const path = positionals[0]!;
  const reader = await openRecording(path);
  let file: WriteStream | null = null;
  let failure: unknown = null;
  if (values.output) {
    file = createWriteStream(values.output);
    file.on('error', (error) => (failure ??= error));
    await Promise.race([once(file, 'open'), once(file, 'error')]).catch(() => {});
    if (failure) {
      await reader.close();
      throw writeError(values.output, failure, 'the export');
    }
  }
  const out = file ?? process.stdout;
  let readerGone = false;
  if (!file) {
    // a reader that went away (| head) ends the export quietly
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') readerGone = true;
      else failure ??= error;
    });
  }
  const trace = new ChromeTraceBuilder(reader.meta);
  try {
    await write(out, trace.start());
    for await (const snapshot of reader.snapshots()) {
      const events = trace.eventsOf(snapshot);
      if (events.length) await write(out, `,\n${events.map((e) => JSON.stringify(e)).join(',\n')}`);
      if (failure || readerGone) break;
    }
    const { snapshots, corruptFramesSkipped, bytesIgnoredAtEnd } = reader.stats;
    await write(out, trace.end({ file: path, snapshots, corruptFramesSkipped, bytesIgnoredAtEnd }));
    if (file) {
      file.end();
      await once(file, 'close');
    }
  } catch (error) {
    failure ??= error;
  }
  if (readerGone) {
    await reader.close();
    return 0;
  }
  if (failure) {
    await reader.close();
    if (failure instanceof FaultlineError) throw failure;
    throw writeError(values.output ?? 'stdout', failure, 'the export');
  }
  const damage = describeDamage(path, reader.stats);
  if (!damage) return 0;
  process.stderr.write(`faultline: warning: ${damage}\n`);
  return EXIT_DAMAGED;
}
