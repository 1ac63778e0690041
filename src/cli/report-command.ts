// `faultline report FILE`: the postmortem summary of a recording, as text, JSON or one
// self-contained HTML file. Wiring only: src/record/report/ builds and renders.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { FaultlineError } from '../model/errors.js';
import { describeDamage } from '../record/reader.js';
import { reportFile } from '../record/report/report-file.js';
import { renderReportText } from '../record/report/render-text.js';
import { renderReportHtml } from '../record/report/render-html.js';
import { stillOpenText } from '../record/report/words.js';
import { writeError } from '../record/record-errors.js';

export const REPORT_HELP = `Usage: faultline report FILE [--format text|json|html] [-o OUT]

The postmortem summary of a recording. Per VM and process: peak and final RSS by
kind, fault totals and top hotspots, reclaim stalls (count, total, p99, max), OOM
kills, leak verdict and findings. For the host: lowest memory available, pressure
peaks, swap, OOM kills, lost events and gaps (intervals missing).

A recording still being written (or whose writer stopped without closing it) is
reported up to its last whole snapshot; the report says so at its top, and a line
on stderr. The format has no end mark: a recording counts as open when its last
frame is cut short or it grows. One written in the last 1.5 intervals is watched
until its next write is due (at most 10 s) to tell.

Options:
  --format FORMAT     text (default), json, or html (one self-contained file with
                      charts, that opens offline)
  -o, --output OUT    write to OUT instead of stdout

Exit status: 0; 3 when the recording was damaged or cut short (the report covers
what could be read, and one line on stderr says what was skipped); 1 on errors.
`;

/** The exit status when the output was made from a damaged recording. */
export const EXIT_DAMAGED = 3;

export async function runReport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      format: { type: 'string', default: 'text' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new FaultlineError('E_USAGE', 'report needs one recording', 'e.g. faultline report incident.flt --format html -o incident.html');
  const format = values.format;
  if (format !== 'text' && format !== 'json' && format !== 'html') {
    throw new FaultlineError('E_BAD_VALUE', `--format "${format}" is not a report format`, 'choose text, json or html');
  }
  const path = positionals[0]!;
  const { report, charts, stats } = await reportFile(path);
  const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'html' ? renderReportHtml(report, charts) : renderReportText(report);
  if (values.output) {
    try {
      await writeFile(values.output, text);
    } catch (error) {
      throw writeError(values.output, error, 'the report');
    }
  } else {
    // a reader that went away (| head) ends the output quietly
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
    process.stdout.write(text);
  }
  if (report.recording.stillOpen) process.stderr.write(`faultline: warning: ${path}: ${stillOpenText(report.recording)}\n`);
  const damage = describeDamage(path, stats);
  if (!damage) return 0;
  process.stderr.write(`faultline: warning: ${damage}\n`);
  return EXIT_DAMAGED;
}
