// The report for a terminal. Pure.
import { formatBytes, formatBytesPerSec, formatDuration } from '../../format/quantities.js';
import type { HotspotTotal, Report, VmReport } from './build-report.js';
import { clean, count, hex, leakVerdictText, stallMs, stillOpenText, utcClock, utcTime, verdictChangesText } from './words.js';
import { rssColumns } from './rss-columns.js';
import type { DiagnosisSummary } from '../../diagnose/diagnosis-timeline.js';
import { describeExit } from '../../format/exit-words.js';

function hotspotText(h: HotspotTotal): string {
  const where = h.region === 'guest-ram' && h.guestPhysAddress >= 0 ? `gpa ${hex(h.guestPhysAddress)}` : hex(h.startAddress);
  const name = h.mapping ? ` ${clean(h.mapping.split('/').pop() ?? '')}` : '';
  return `${h.region}${name} ${where} (${count(h.faults)})`;
}

function vmLines(v: VmReport): string[] {
  const size = v.kind === 'vm' && v.memoryBytes ? `, ${formatBytes(v.memoryBytes)}` : '';
  const exited = v.exit ? `, ended ${utcClock(v.exit.atMs)}${v.exit.cause !== 'ended' ? ` (${describeExit(v.exit)})` : ''}` : v.exited ? ', exited' : '';
  const peak = v.rss.peak;
  const guest = v.kind === 'vm' ? `: guest RAM ${formatBytes(peak.guestRamBytes)}, QEMU's own ${formatBytes(peak.ownAnonBytes)}` : '';
  const lines = [
    `  ${v.kind} ${clean(v.name)} (pid ${v.pid}${size}, ${v.source}) seen ${utcClock(v.firstSeenMs)}-${utcClock(v.lastSeenMs)}${exited}`,
    `    RSS peak ${formatBytes(peak.totalBytes)} at ${utcClock(v.rss.peakTotalAtMs)}${guest}`,
    `    faults: minor ${count(v.faults.minor)}, major ${count(v.faults.major)}${v.kind === 'vm' ? `, guest RAM ${count(v.faults.guestRam)}, NPT/EPT ${count(v.faults.eptFaults)}` : ''}`,
  ];
  if (v.hotspots.length) lines.push(`    hotspots: ${v.hotspots.map(hotspotText).join(', ')}`);
  const r = v.reclaim;
  if (r.stalls) lines.push(`    reclaim stalls: ${count(r.stalls)} (direct ${count(r.directStalls)}, memcg ${count(r.memcgStalls)}), total ${stallMs(r.stallNs)}, p99 <= ${stallMs(r.p99StallNs)}, max ${stallMs(r.maxStallNs)}`);
  if (v.oomKills) lines.push(`    OOM kills: ${v.oomKills}`);
  if (v.leak.verdict) lines.push(`    leak verdict (current): ${leakVerdictText(v.leak)}`);
  for (const f of v.findings) lines.push(`    finding [${f.detector}] ${f.verdict} since ${utcClock(f.firstSeenMs)}: ${clean(f.message)}`);
  if (v.verdictChanges.length) lines.push(`    verdict changes: ${verdictChangesText(v.verdictChanges, v.changesDropped)}`);
  return lines;
}

/** Rows of cells in columns two spaces apart; `right[i]`: column i holds numbers. */
function aligned(rows: string[][], right: boolean[]): string[] {
  const widths = right.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

/** RSS of every VM and process, peak and final, a column per kind (a kind that is
 * zero in every row is left out). */
function rssTable(vms: VmReport[]): string[] {
  const columns = rssColumns(vms);
  const heads = columns.map(([, heading]) => heading);
  const bytes = (r: VmReport['rss']['peak']): string[] => [r.totalBytes, ...columns.map(([kind]) => r[kind])].map(formatBytes);
  const head = ['kind', 'pid', 'peak RSS', ...heads, 'final RSS', ...heads, 'name'];
  const rows = vms.map((v) => [v.kind, String(v.pid), ...bytes(v.rss.peak), ...bytes(v.rss.final), clean(v.name)]);
  return aligned([head, ...rows], head.map((_, i) => i > 0 && i < head.length - 1));
}

/** The diagnosis at the end, then when each cause started and ended. */
function diagnosisLines(d: DiagnosisSummary): string[] {
  if (!d.final) return ['Diagnosis: not in this recording (made before faultline diagnosed); `faultline diagnose FILE --at TIME` judges any moment of it', ''];
  return [
    `Diagnosis at the end: ${clean(d.final.headline)}`,
    ...d.final.causes.flatMap((c, i) => [`  ${i + 1}. [${c.severity}] ${clean(c.title)}`, ...c.evidence.map((e) => `     ${clean(e)}`), `     do: ${clean(c.remedy)}`]),
    ...(d.spans.length
      ? [`  timeline (${d.unhealthySnapshots} snapshots not healthy${d.spansDropped ? `; ${d.spansDropped} spans in the middle not listed` : ''}):`,
        ...d.spans.map((s) => `    ${utcClock(s.fromMs)}-${s.open ? 'end     ' : utcClock(s.toMs)} ${s.severity.padEnd(8)} ${s.cause}: ${clean(s.title)}`)]
      : ['  timeline: healthy throughout']),
    '',
  ];
}

export function renderReportText(report: Report): string {
  const { recording: rec, host } = report;
  const damage = [
    rec.corruptFramesSkipped ? `${rec.corruptFramesSkipped} damaged frames skipped` : '',
    rec.bytesIgnoredAtEnd ? `${rec.bytesIgnoredAtEnd} bytes ignored at the end (cut short)` : '',
  ].filter(Boolean).join('; ');
  const gaps = host.gaps.length
    ? `${host.gaps.length} (${host.missedIntervals} intervals missing): ${host.gaps.slice(0, 5).map((g) => `${utcClock(g.fromMs)}-${utcClock(g.toMs)}`).join(', ')}${host.gaps.length > 5 ? ', ...' : ''}`
    : 'none';
  const lines = [
    `faultline report: ${clean(rec.file)}`,
    ...(rec.stillOpen ? [`  ${stillOpenText(rec)}`] : []),
    `  host ${clean(rec.hostname)} (kernel ${clean(rec.kernel)}), bpftrace ${clean(rec.bpftraceVersion)}, probes ${rec.probeGroups.join(',') || 'none'}, every ${formatDuration(rec.intervalMs)}`,
    `  ${utcTime(rec.startTimeMs)} to ${utcClock(rec.endTimeMs)} (${formatDuration(rec.durationMs)}), ${rec.snapshots} snapshots`,
    ...(damage ? [`  recording damaged: ${damage}`] : []),
    '',
    ...diagnosisLines(report.diagnosis),
    'Host',
    `  memory available: lowest ${formatBytes(host.memAvailableMin.bytes)} of ${formatBytes(host.memTotalBytes)} at ${utcClock(host.memAvailableMin.atMs)}`,
    `  pressure (PSI avg10): some peak ${host.psiSomePeak.avg10 < 0 ? 'n/a' : `${host.psiSomePeak.avg10.toFixed(2)}% at ${utcClock(host.psiSomePeak.atMs)}`}, full peak ${host.psiFullPeak.avg10 < 0 ? 'n/a' : `${host.psiFullPeak.avg10.toFixed(2)}% at ${utcClock(host.psiFullPeak.atMs)}`}`,
    `  swap: peak ${formatBytes(host.swap.peakUsedBytes)} used of ${formatBytes(host.swap.totalBytes)}; ${count(host.swap.swapInPages)} pages swapped in, ${count(host.swap.swapOutPages)} out`,
    `  OOM kills: ${host.oomKills}; lost events: ${count(host.lostEvents.total)} (in ${host.lostEvents.intervals} intervals); probe errors: ${host.probeErrors}`,
    `  gaps: ${gaps}`,
    '',
    `VMs and processes (${report.vms.length}; VMs first, by peak RSS)`,
    ...(report.vms.length ? [...rssTable(report.vms), ''] : []),
    ...report.vms.flatMap(vmLines),
  ];
  if (report.events.length) {
    lines.push('', 'Events');
    for (const e of report.events) lines.push(`  ${utcClock(e.timeMs)} ${e.type}: ${clean(e.message)}`);
  }
  return `${lines.join('\n')}\n`;
}
