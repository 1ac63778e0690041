// A line chart as an inline SVG string, for the self-contained HTML report: no
// script, no external file. Every name is escaped. Axis ticks are round numbers and
// round times (axis-ticks.ts). Pure.
import { utcClock } from './words.js';
import { timeTicks, valueTicks, type AxisUnit } from './axis-ticks.js';

export interface ChartLine {
  name: string;
  values: number[];
  color: string;
}

export interface ChartMarker {
  timeMs: number;
  label: string;
}

export interface ChartOptions {
  title: string;
  timeMs: number[];
  lines: ChartLine[];
  /** what the values are: bytes, percent or milliseconds (the tick labels say it) */
  unit: AxisUnit;
  markers?: ChartMarker[];
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 900;
  const height = o.height ?? 220;
  const left = 80;
  const right = 30;
  const top = 24;
  const bottom = 22;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const t0 = o.timeMs[0] ?? 0;
  const t1 = o.timeMs.at(-1) ?? t0;
  const span = Math.max(1, t1 - t0);
  let max = 0;
  for (const line of o.lines) for (const v of line.values) if (Number.isFinite(v) && v > max) max = v;
  const ticks = valueTicks(max, o.unit);
  const axisTop = ticks.at(-1)!.value;
  const x = (t: number): number => left + ((t - t0) / span) * plotW;
  const y = (v: number): number => top + plotH - (v / axisTop) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(o.title)}">`,
    `<text x="${left}" y="14" class="title">${escapeHtml(o.title)}</text>`,
  ];
  for (const tick of ticks) {
    const py = y(tick.value).toFixed(1);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${py}" y2="${py}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${py}" class="ylabel" text-anchor="end" dominant-baseline="middle">${escapeHtml(tick.label)}</text>`);
  }
  for (const tick of timeTicks(t0, t1)) {
    const px = x(tick.value);
    // a label near the right edge ends at its tick rather than run off the chart
    parts.push(`<text x="${px.toFixed(1)}" y="${height - 6}" class="xlabel" text-anchor="${px > width - right - 30 ? 'end' : 'middle'}">${tick.label}</text>`);
  }
  // a gap in the recording (no snapshots) breaks the lines instead of bridging it
  const steps = o.timeMs.slice(1).map((t, i) => t - o.timeMs[i]!).sort((a, b) => a - b);
  const maxStepMs = 2 * (steps[Math.floor(steps.length / 2)] ?? Infinity);
  for (const m of o.markers ?? []) {
    const px = x(m.timeMs).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${top + plotH}" class="marker"><title>${escapeHtml(`${utcClock(m.timeMs)} ${m.label}`)}</title></line>`);
  }
  for (const line of o.lines) {
    let d = '';
    let pen = false;
    line.values.forEach((v, i) => {
      if (i > 0 && o.timeMs[i]! - o.timeMs[i - 1]! > maxStepMs) pen = false;
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(o.timeMs[i]!).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.5"><title>${escapeHtml(line.name)}</title></path>`);
  }
  parts.push('</svg>');
  const legend = o.lines.map((l) => `<span class="key"><span class="swatch" style="background:${l.color}"></span>${escapeHtml(l.name)}</span>`).join(' ');
  return `<figure>${parts.join('')}<figcaption>${legend}</figcaption></figure>`;
}
