// The selected VM over time, three uPlot charts sharing one cursor: resident memory by
// kind, fault rates, reclaim stall time. Charts exist only for the selected VM; a new
// snapshot calls setData with the same columns (uPlot draws, it does not aggregate).
// In replay a vertical marker shows the time being looked at.
import uPlot from 'uplot';
import type { Columns, VmSeriesName } from './columns.js';
import { el } from './dom.js';
import { formatBytes, formatCount, formatDuration } from '../../src/format/quantities.js';
import { formatClock } from './format.js';

interface ChartDef {
  title: string;
  series: { name: VmSeriesName; label: string; color: string }[];
  format(value: number): string;
  /** Tick steps for the y axis; uPlot's decimal ones when absent. */
  incrs?: number[];
}

/** 1 KiB, 2 KiB, 4 KiB ... 512 TiB: byte axes tick at round binary sizes. */
const BINARY_INCRS = Array.from({ length: 40 }, (_, i) => 2 ** (i + 10));

const CHARTS: ChartDef[] = [
  {
    title: 'Resident memory by kind',
    series: [
      { name: 'rssBytes', label: 'RSS total', color: '#1f2937' },
      { name: 'guestRamBytes', label: 'guest RAM', color: '#2563eb' },
      { name: 'ownAnonBytes', label: 'QEMU own anon', color: '#d97706' },
      { name: 'fileBytes', label: 'file', color: '#059669' },
      { name: 'swapBytes', label: 'swap', color: '#dc2626' },
    ],
    format: formatBytes,
    incrs: BINARY_INCRS,
  },
  {
    title: 'Fault rates (per second)',
    series: [
      { name: 'faultsPerSec', label: 'host faults', color: '#1f2937' },
      { name: 'guestRamFaultsPerSec', label: 'guest-RAM faults', color: '#2563eb' },
      { name: 'eptFaultsPerSec', label: 'EPT faults', color: '#7c3aed' },
    ],
    format: formatCount,
  },
  {
    title: 'Reclaim stall time (ms per interval)',
    series: [{ name: 'stallMs', label: 'stalled', color: '#dc2626' }],
    format: formatDuration,
  },
];

const HEIGHT_PX = 130;

export class VmCharts {
  private readonly plots: { def: ChartDef; plot: uPlot; box: HTMLElement }[] = [];
  private markerMs: number | null = null;

  constructor(container: HTMLElement) {
    for (const def of CHARTS) {
      const box = el('div', 'chart');
      box.append(el('h3', '', def.title));
      const target = el('div', 'chart-plot');
      box.append(target);
      container.append(box);
      const plot = new uPlot(this.options(def, Math.max(200, target.clientWidth)), emptyData(def), target);
      this.plots.push({ def, plot, box: target });
    }
    new ResizeObserver(() => this.resize()).observe(container);
  }

  /** Shows the VM's columns (empty charts when the VM has none yet). */
  show(columns: Columns, vmId: string): void {
    const vm = columns.vms.get(vmId);
    for (const { def, plot } of this.plots) {
      const data: uPlot.AlignedData = vm ? [columns.timeMs, ...def.series.map((s) => vm[s.name])] : emptyData(def);
      plot.setData(data);
    }
  }

  /** Replay: the time being looked at, drawn as a vertical line; null for none. */
  setMarker(timeMs: number | null): void {
    if (this.markerMs === timeMs) return;
    this.markerMs = timeMs;
    for (const { plot } of this.plots) {
      plot.redraw(false, false);
      plot.setLegend({ idx: plot.cursor.idx ?? undefined });
    }
  }

  /** Points in the first chart, for tests and the status line. */
  pointCount(): number {
    const values = this.plots[0]?.plot.data[1] ?? [];
    let points = 0;
    for (const v of values) if (v !== null && v !== undefined) points += 1;
    return points;
  }

  private resize(): void {
    for (const { plot, box } of this.plots) {
      const width = Math.max(200, box.clientWidth);
      if (width !== plot.width) plot.setSize({ width, height: HEIGHT_PX });
    }
  }

  private options(def: ChartDef, width: number): uPlot.Options {
    // the legend shows the value under the cursor; when not hovering, the value at the
    // replay marker, or live the latest one
    const value = (u: uPlot, v: number | null, seriesIdx: number, idx: number | null): string => {
      const shown = idx !== null ? v : this.markerMs !== null ? valueAt(u, seriesIdx, this.markerMs) : lastValue(u.data[seriesIdx]);
      return shown === null || shown === undefined ? '–' : def.format(shown);
    };
    return {
      width,
      height: HEIGHT_PX,
      ms: 1,
      cursor: { drag: { x: false, y: false, setScale: false }, sync: { key: 'faultline-vm' } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#4b5563', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#e5e7eb' }, values: (_u, splits) => splits.map((t) => formatClock(t)) },
        { stroke: '#4b5563', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#e5e7eb' }, size: 64, space: 24, ...(def.incrs ? { incrs: def.incrs } : {}), values: (_u, splits) => splits.map((v) => def.format(v)) },
      ],
      series: [{}, ...def.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, value }))],
      hooks: { draw: [(u: uPlot) => this.drawMarker(u)] },
    };
  }

  private drawMarker(u: uPlot): void {
    if (this.markerMs === null) return;
    const x = u.valToPos(this.markerMs, 'x', true);
    if (!Number.isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = '#db2777';
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }
}

/** The series' value in force at timeMs: the last point at or before it. */
function valueAt(u: uPlot, seriesIdx: number, timeMs: number): number | null {
  const times = u.data[0];
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || (times[0] as number) > timeMs) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((times[mid] as number) <= timeMs) lo = mid;
    else hi = mid - 1;
  }
  return (u.data[seriesIdx]?.[lo] as number | null | undefined) ?? null;
}

function lastValue(values: uPlot.AlignedData[number] | undefined): number | null {
  if (!values) return null;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

function emptyData(def: ChartDef): uPlot.AlignedData {
  return [[], ...def.series.map(() => [])];
}
