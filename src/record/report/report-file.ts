// A recording file to its report: one pass over its snapshots, then whether the
// recording is still open (src/record/still-open.ts), which the report says.
import { openRecording, type ReadStats } from '../reader.js';
import { fileState, isStillOpen, type StillOpenWorld } from '../still-open.js';
import { ReportBuilder, type Report, type ReportCharts } from './build-report.js';

export async function reportFile(path: string, world: StillOpenWorld = {}): Promise<{ report: Report; charts: ReportCharts; stats: ReadStats }> {
  const reader = await openRecording(path);
  const before = await fileState(path);
  const builder = new ReportBuilder(reader.meta, path);
  for await (const snapshot of reader.snapshots()) builder.add(snapshot);
  const stillOpen = await isStillOpen(path, { before, intervalMs: reader.meta.intervalMs, tailCut: reader.stats.bytesIgnoredAtEnd > 0 }, world);
  return { ...builder.finish(reader.stats, stillOpen), stats: reader.stats };
}
