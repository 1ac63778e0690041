// The report as one self-contained HTML file: inline CSS and SVG charts, no script,
// nothing fetched (its Content-Security-Policy forbids it), so it opens offline and
// can be mailed. Every name from the recording is escaped. Pure.
import type { Report, ReportCharts, VmReport } from './build-report.js';
import { seriesName } from './build-report.js';
import { rssColumns, type RssColumn } from './rss-columns.js';
import { describeExit } from '../../format/exit-words.js';
import type { DiagnosisSummary } from '../../diagnose/diagnosis-timeline.js';
import { escapeHtml, lineChart, PALETTE, type ChartLine, type ChartMarker } from './svg-chart.js';
import { count, formatBytes, formatDuration, hex, leakVerdictText, stallMs, stillOpenText, utcClock, utcTime, verdictChangesText } from './words.js';

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:20px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.n{white-space:nowrap}th[colspan]{text-align:center}
.wide{overflow-x:auto}
.warn{color:#b00}.muted{color:#666}
figure{margin:12px 0}figcaption{font-size:12px}
.key{margin-right:12px;white-space:nowrap}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
svg .title{font-size:13px;font-weight:600}svg .grid{stroke:#e5e5e5}svg .ylabel,svg .xlabel{font-size:11px;fill:#555}
svg .marker{stroke:#b00;stroke-dasharray:3 3}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
`;

const e = escapeHtml;

function series(charts: ReportCharts, name: string): number[] {
  return charts.series.get(name)?.values ?? charts.timeMs.map(() => Number.NaN);
}

function rssCells(r: VmReport['rss']['peak'], columns: RssColumn[]): string {
  return [r.totalBytes, ...columns.map(([kind]) => r[kind])].map((bytes) => `<td class="n">${formatBytes(bytes)}</td>`).join('');
}

function vmTableHead(columns: RssColumn[]): string {
  const group = `colspan="${1 + columns.length}"`;
  const sub = ['total', ...columns.map(([, name]) => name)].map((name) => `<th class="n">${name}</th>`).join('');
  return `<tr><th rowspan="2">kind</th><th rowspan="2">name</th><th class="n" rowspan="2">pid</th><th ${group}>peak RSS</th><th ${group}>final RSS</th>`
    + '<th class="n" rowspan="2">guest RAM peak</th><th class="n" rowspan="2">faults</th><th class="n" rowspan="2">stalls</th><th class="n" rowspan="2">OOM kills</th><th rowspan="2">leak</th></tr>'
    + `<tr>${sub}${sub}</tr>`;
}

function vmRow(v: VmReport, columns: RssColumn[]): string {
  const leak = v.leak.verdict ? `${e(v.leak.verdict)} (${formatBytes(v.leak.growthBytesPerSec)}/s)` : '';
  return `<tr><td>${e(v.kind)}</td><td>${e(v.name)}</td><td class="n">${v.pid}</td>${rssCells(v.rss.peak, columns)}${rssCells(v.rss.final, columns)}`
    + `<td class="n">${v.kind === 'vm' ? formatBytes(v.rss.peak.guestRamBytes) : ''}</td><td class="n">${count(v.faults.minor + v.faults.major)}</td>`
    + `<td class="n">${v.reclaim.stalls ? `${count(v.reclaim.stalls)} / p99 ≤ ${stallMs(v.reclaim.p99StallNs)}` : ''}</td><td class="n">${v.oomKills || ''}</td><td>${leak}</td></tr>`;
}

function vmDetails(v: VmReport): string {
  const items = [
    `<li>pid ${v.pid}, ${e(v.source)}${v.uuid ? `, uuid ${e(v.uuid)}` : ''}${v.memoryBytes ? `, ${formatBytes(v.memoryBytes)} configured` : ''}; seen ${utcClock(v.firstSeenMs)}–${utcClock(v.lastSeenMs)}${v.exit ? `, ended ${utcClock(v.exit.atMs)}${v.exit.cause !== 'ended' ? ` (${e(describeExit(v.exit))})` : ''}` : v.exited ? ', exited' : ''}</li>`,
    `<li>RSS peak ${formatBytes(v.rss.peak.totalBytes)} at ${utcClock(v.rss.peakTotalAtMs)}${v.kind === 'vm' ? `: guest RAM ${formatBytes(v.rss.peak.guestRamBytes)}, QEMU's own ${formatBytes(v.rss.peak.ownAnonBytes)}` : ''}</li>`,
    `<li>faults: minor ${count(v.faults.minor)}, major ${count(v.faults.major)}, user ${count(v.faults.user)}, kernel ${count(v.faults.kernel)}, file ${count(v.faults.file)}${v.kind === 'vm' ? `, guest RAM ${count(v.faults.guestRam)}, NPT/EPT ${count(v.faults.eptFaults)}` : ''}</li>`,
  ];
  if (v.hotspots.length) {
    items.push(`<li>top hotspots: ${v.hotspots.map((h) => `${e(h.region)}${h.mapping ? ` ${e(h.mapping)}` : ''} ${h.guestPhysAddress >= 0 && h.region === 'guest-ram' ? `gpa ${hex(h.guestPhysAddress)}` : hex(h.startAddress)} (${count(h.faults)})`).join(', ')}</li>`);
  }
  const r = v.reclaim;
  if (r.stalls) items.push(`<li>reclaim stalls: ${count(r.stalls)} (direct ${count(r.directStalls)}, memcg ${count(r.memcgStalls)}), total ${stallMs(r.stallNs)}, p99 ≤ ${stallMs(r.p99StallNs)}, max ${stallMs(r.maxStallNs)}</li>`);
  if (v.oomKills) items.push(`<li class="warn">OOM kills: ${v.oomKills}</li>`);
  if (v.leak.verdict) items.push(`<li>leak verdict (current): ${e(leakVerdictText(v.leak))}</li>`);
  for (const f of v.findings) items.push(`<li>finding [${e(f.detector)}] ${e(f.verdict)} since ${utcClock(f.firstSeenMs)}: ${e(f.message)}</li>`);
  if (v.verdictChanges.length) items.push(`<li>verdict changes: ${e(verdictChangesText(v.verdictChanges, v.changesDropped))}</li>`);
  return `<details><summary>${e(v.kind)} ${e(v.name)}</summary><ul>${items.join('')}</ul></details>`;
}

/** The diagnosis at the end, its causes with remedies, and when each cause started and ended. */
function diagnosisHtml(d: DiagnosisSummary): string {
  if (!d.final) return '<h2>Diagnosis</h2><p>Not in this recording (made before faultline diagnosed); <code>faultline diagnose FILE --at TIME</code> judges any moment of it.</p>';
  const causes = d.final.causes.map((c) => `<li${c.severity === 'critical' ? ' class="warn"' : ''}><b>[${e(c.severity)}] ${e(c.title)}</b><br>${c.evidence.map(e).join('<br>')}<br>do: ${e(c.remedy)}</li>`).join('');
  const spans = d.spans.map((s) => `<tr><td>${utcClock(s.fromMs)}</td><td>${s.open ? 'end' : utcClock(s.toMs)}</td><td>${e(s.severity)}</td><td>${e(s.cause)}</td><td>${e(s.title)}</td></tr>`).join('');
  return [
    '<h2>Diagnosis</h2>',
    `<p${d.final.status !== 'healthy' ? ' class="warn"' : ''}>At the end: <b>${e(d.final.headline)}</b></p>`,
    causes ? `<ol>${causes}</ol>` : '',
    spans
      ? `<table><tr><th>from</th><th>to</th><th>severity</th><th>cause</th><th>what</th></tr>${spans}</table>${d.spansDropped ? `<p>${d.spansDropped} spans in the middle not listed.</p>` : ''}`
      : '<p>Healthy throughout.</p>',
  ].join('');
}

export function renderReportHtml(report: Report, charts: ReportCharts): string {
  const { recording: rec, host } = report;
  const markers: ChartMarker[] = report.events.filter((ev) => ev.type === 'oom-kill' || ev.type === 'leak-finding').map((ev) => ({ timeMs: ev.timeMs, label: `${ev.type}: ${ev.message}` }));
  const top = report.vms.slice(0, PALETTE.length);
  const lines = (field: string, of: VmReport[]): ChartLine[] =>
    of.map((v, i) => ({ name: `${v.name} (${v.kind} ${v.pid})`, values: series(charts, seriesName.vm(v.id, field)), color: PALETTE[i % PALETTE.length]! }));
  const stalled = report.vms.filter((v) => v.reclaim.stalls > 0).sort((a, b) => b.reclaim.stallNs - a.reclaim.stallNs).slice(0, PALETTE.length);
  const damage = [
    rec.corruptFramesSkipped ? `${rec.corruptFramesSkipped} damaged frames were skipped` : '',
    rec.bytesIgnoredAtEnd ? `${rec.bytesIgnoredAtEnd} bytes at the end were ignored (the recording was cut short)` : '',
  ].filter(Boolean).join('; ');
  const rssCols = rssColumns(report.vms);
  const body = [
    `<h1>faultline report: ${e(rec.file)}</h1>`,
    rec.stillOpen ? `<p class="warn"><b>${e(stillOpenText(rec))}</b></p>` : '',
    `<p>Host <b>${e(rec.hostname)}</b>, kernel ${e(rec.kernel)}, bpftrace ${e(rec.bpftraceVersion)}, probes ${e(rec.probeGroups.join(', ') || 'none')}, every ${formatDuration(rec.intervalMs)}.<br>`
      + `${utcTime(rec.startTimeMs)} to ${utcClock(rec.endTimeMs)} (${formatDuration(rec.durationMs)}), ${rec.snapshots} snapshots, faultline ${e(rec.faultlineVersion)}.</p>`,
    damage ? `<p class="warn">Recording damaged: ${damage}.</p>` : '',
    diagnosisHtml(report.diagnosis),
    '<h2>Host</h2><table>',
    `<tr><th>memory available, lowest</th><td>${formatBytes(host.memAvailableMin.bytes)} of ${formatBytes(host.memTotalBytes)} at ${utcClock(host.memAvailableMin.atMs)}</td></tr>`,
    `<tr><th>pressure (PSI avg10), peaks</th><td>some ${host.psiSomePeak.avg10 < 0 ? 'n/a' : `${host.psiSomePeak.avg10.toFixed(2)}% at ${utcClock(host.psiSomePeak.atMs)}`}; full ${host.psiFullPeak.avg10 < 0 ? 'n/a' : `${host.psiFullPeak.avg10.toFixed(2)}% at ${utcClock(host.psiFullPeak.atMs)}`}</td></tr>`,
    `<tr><th>swap</th><td>peak ${formatBytes(host.swap.peakUsedBytes)} used of ${formatBytes(host.swap.totalBytes)}; ${count(host.swap.swapInPages)} pages in, ${count(host.swap.swapOutPages)} out</td></tr>`,
    `<tr><th>OOM kills</th><td${host.oomKills ? ' class="warn"' : ''}>${host.oomKills}</td></tr>`,
    `<tr><th>lost events</th><td>${count(host.lostEvents.total)} in ${host.lostEvents.intervals} intervals</td></tr>`,
    `<tr><th>probe errors</th><td>${host.probeErrors}</td></tr>`,
    `<tr><th>gaps</th><td>${host.gaps.length ? `${host.gaps.length}, ${host.missedIntervals} intervals missing: ${host.gaps.slice(0, 10).map((g) => `${utcClock(g.fromMs)}–${utcClock(g.toMs)}`).join(', ')}` : 'none'}</td></tr>`,
    '</table>',
    lineChart({
      title: 'Host memory available and swap used', timeMs: charts.timeMs, markers, unit: 'bytes',
      lines: [
        { name: 'available', values: series(charts, seriesName.host('memAvailableBytes')), color: PALETTE[0]! },
        { name: 'swap used', values: series(charts, seriesName.host('swapUsedBytes')), color: PALETTE[1]! },
      ],
    }),
    lineChart({
      title: 'Memory pressure (PSI some avg10, %)', timeMs: charts.timeMs, markers, unit: '%',
      lines: [{ name: 'some avg10', values: series(charts, seriesName.host('psiMemSomeAvg10')), color: PALETTE[3]! }],
    }),
    `<h2>VMs and processes (${report.vms.length})</h2>`,
    top.length ? lineChart({ title: `RSS (the ${top.length} largest)`, timeMs: charts.timeMs, markers, unit: 'bytes', lines: lines('rssBytes', top) }) : '',
    stalled.length ? lineChart({ title: 'Reclaim stall time per interval (ms)', timeMs: charts.timeMs, markers, unit: 'ms', lines: lines('stallMs', stalled) }) : '',
    `<div class="wide"><table>${vmTableHead(rssCols)}`,
    ...report.vms.map((v) => vmRow(v, rssCols)),
    '</table></div>',
    ...report.vms.map(vmDetails),
  ];
  if (report.events.length) {
    body.push('<h2>Events</h2><table><tr><th>time</th><th>type</th><th>what</th></tr>');
    for (const ev of report.events) body.push(`<tr><td>${utcClock(ev.timeMs)}</td><td>${e(ev.type)}</td><td>${e(ev.message)}</td></tr>`);
    body.push('</table>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>faultline report: ${e(rec.file)}</title>
<style>${CSS}</style></head>
<body>
${body.filter(Boolean).join('\n')}
</body></html>
`;
}
