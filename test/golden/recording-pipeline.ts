// A saved recording (.flt) through the reader and the report builder, as `faultline
// report FILE --format json` runs them (src/cli/report-command.ts), and through the
// detectors again: a fresh LeakTracker over the recorded snapshots, with the leak
// window the recording was made with, gives each row's verdict and findings as the
// detectors of this faultline judge that real run.
import type { LeakVerdict, Finding, FaultlineEvent } from '../../src/model/snapshot.js';
import { openRecording } from '../../src/record/reader.js';
import { ReportBuilder, type Report, type ReportCharts } from '../../src/record/report/build-report.js';
import { LeakTracker } from '../../src/detect/run-detectors.js';

/** The report without `recording.stillOpen`: the CLI decides it from the file's mtime
 * against the clock of the reading (src/record/still-open.ts). */
export function pinnableReport(report: Report): Record<string, unknown> {
  const { stillOpen: _readTime, ...recording } = report.recording as Report['recording'] & { stillOpen?: boolean };
  return { ...report, recording };
}

export function pinnableCharts(charts: ReportCharts): Record<string, unknown> {
  return { timeMs: charts.timeMs, series: Object.fromEntries(charts.series) };
}

export async function runRecording(root: string, file: string, leakWindowMs: number): Promise<Record<string, unknown>> {
  const reader = await openRecording(`${root}/${file}`);
  const builder = new ReportBuilder(reader.meta, file);
  const tracker = new LeakTracker({ leakWindowMs });
  const events: FaultlineEvent[] = [];
  const rows = new Map<string, { leak: LeakVerdict; findings: Finding[] }>();
  let host: Finding[] = [];
  for await (const snapshot of reader.snapshots()) {
    builder.add(snapshot);
    const judged = tracker.observe(snapshot);
    events.push(...judged.events);
    for (const [id, verdict] of judged.byId) rows.set(id, verdict);
    host = judged.hostFindings;
  }
  const { report, charts } = builder.finish(reader.stats);
  return {
    read: { version: reader.version, meta: reader.meta, stats: reader.stats },
    report: pinnableReport(report),
    charts: pinnableCharts(charts),
    detectAgain: { leakWindowMs, events, rows: [...rows].map(([id, verdict]) => ({ id, ...verdict })), host },
  };
}
