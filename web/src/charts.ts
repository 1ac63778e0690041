// The selected VM over time, three uPlot charts sharing one cursor: resident memory by
// kind, fault rates, reclaim stall time. Charts exist only for the selected row, with
// the series that apply to its kind (a host process has no guest RAM or NPT/EPT faults;
// a TCG guest no NPT/EPT faults); a new snapshot calls setData with the same columns
// (uPlot draws, it does not aggregate). In replay a vertical marker shows the time
// being looked at.
import uPlot from 'uplot';
import type { Columns, VmSeriesName } from './columns.js';
import { el, setText } from './dom.js';
import type { RowKind } from './row-kind.js';
import { formatBytes, formatCount, formatDuration } from '../../src/format/quantities.js';
import { formatClock } from './format.js';

interface SeriesDef {
  name: VmSeriesName;
  label: string;
  color: string;
  /** Row kinds it applies to; all when absent. */
  kinds?: RowKind[];
  /** Another label for some kinds. */
  labelFor?: Partial<Record<RowKind, string>>;
}

interface ChartDef {
  id: string;
  title: string;
  series: SeriesDef[];
  /** One line under the title saying what the series are, per row kind. */
  note: Record<RowKind, string>;
  format(value: number): string;
  /** Top of the y axis when every value is 0, so an idle chart still has a scale. */
  emptyMax: number;
  /** Tick steps for the y axis; uPlot's decimal ones when absent. */
  incrs?: number[];
}

/** 1 KiB, 2 KiB, 4 KiB ... 512 TiB: byte axes tick at round binary sizes. */
const BINARY_INCRS = Array.from({ length: 40 }, (_, i) => 2 ** (i + 10));

const VMS: RowKind[] = ['vm-kvm', 'vm-tcg'];

function sameForEveryKind(note: string): Record<RowKind, string> {
  return { 'vm-kvm': note, 'vm-tcg': note, process: note };
}

const CHARTS: ChartDef[] = [
  {
    id: 'memory',
    title: 'Resident memory (bytes)',
    series: [
      { name: 'rssBytes', label: 'RSS total', color: '#1f2937' },
      { name: 'guestRamBytes', label: 'guest RAM', color: '#2563eb', kinds: VMS },
      { name: 'ownAnonBytes', label: "QEMU's own memory", color: '#d97706', labelFor: { process: 'anon + shmem' } },
      { name: 'fileBytes', label: 'file', color: '#059669' },
      { name: 'swapBytes', label: 'swap', color: '#dc2626' },
    ],
    note: {
      ...sameForEveryKind("guest RAM: the guest's memory resident in QEMU; QEMU's own memory: its anon + shmem outside guest RAM"),
      process: 'RSS by kind, from /proc/PID/status',
    },
    format: formatBytes,
    emptyMax: 1024 * 1024,
    incrs: BINARY_INCRS,
  },
  {
    id: 'faults',
    title: 'Page faults (per second)',
    series: [
      { name: 'faultsPerSec', label: 'host faults', color: '#1f2937' },
      { name: 'guestRamFaultsPerSec', label: 'guest-RAM faults', color: '#2563eb', kinds: ['vm-tcg'] },
      { name: 'eptFaultsPerSec', label: 'NPT/EPT faults', color: '#7c3aed', kinds: ['vm-kvm'] },
    ],
    note: {
      'vm-kvm': "host faults: QEMU's own (/proc); NPT/EPT faults: the guest touching memory KVM had not mapped",
      'vm-tcg': 'guest-RAM faults: host user faults inside guest RAM (TCG has no NPT/EPT)',
      process: 'minor + major page faults (/proc/PID/stat)',
    },
    format: formatCount,
    emptyMax: 10,
  },
  {
    id: 'stalls',
    title: 'Reclaim stall time (per interval)',
    series: [{ name: 'stallMs', label: 'stalled', color: '#dc2626' }],
    note: sameForEveryKind('time its threads waited in direct or memcg reclaim'),
    format: formatDuration,
    emptyMax: 1,
  },
];

/** The series of a chart that apply to a row kind, with their labels for it. */
export function seriesFor(def: ChartDef, kind: RowKind): { name: VmSeriesName; label: string; color: string }[] {
  return def.series
    .filter((s) => !s.kinds || s.kinds.includes(kind))
    .map((s) => ({ name: s.name, label: s.labelFor?.[kind] ?? s.label, color: s.color }));
}

const HEIGHT_PX = 130;

interface Plot {
  def: ChartDef;
  series: { name: VmSeriesName; label: string; color: string }[];
  plot: uPlot;
  box: HTMLElement;
}

export class VmCharts {
  private plots: Plot[] = [];
  private kind: RowKind | null = null;
  private markerMs: number | null = null;

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.resize()).observe(container);
  }

  /** Shows the row's columns (empty charts when it has none yet), with the series of its kind. */
  show(columns: Columns, vmId: string, kind: RowKind): void {
    if (kind !== this.kind) this.build(kind);
    const vm = columns.vms.get(vmId);
    for (const { series, plot } of this.plots) {
      const data: uPlot.AlignedData = vm ? [columns.timeMs, ...series.map((s) => vm[s.name])] : [[], ...series.map(() => [])];
      plot.setData(data);
    }
  }

  /** The charts of one row kind, made anew when the selected row's kind changes. */
  private build(kind: RowKind): void {
    for (const { plot } of this.plots) plot.destroy();
    this.plots = [];
    this.container.replaceChildren();
    this.kind = kind;
    this.container.dataset.rowKind = kind;
    for (const def of CHARTS) {
      const box = el('div', 'chart');
      box.dataset.chart = def.id;
      box.append(el('h3', '', def.title));
      const note = el('div', 'caption chart-note');
      setText(note, def.note[kind]);
      const target = el('div', 'chart-plot');
      box.append(target, note);
      this.container.append(box);
      const series = seriesFor(def, kind);
      const plot = new uPlot(this.options(def, series, Math.max(200, target.clientWidth)), [[], ...series.map(() => [])], target);
      this.plots.push({ def, series, plot, box: target });
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

  /** For the browser tests: each chart's legend and y axis as uPlot laid them out
   * (uPlot's own _size and _values: the axis width and the labels it drew). */
  layout(): { id: string; legend: string[]; yLabels: string[]; yFont: string; yAxisPx: number; tickPx: number; gapPx: number }[] {
    return this.plots.map(({ def, plot }) => {
      const axis = plot.axes[1] as uPlot.Axis & { _size?: number; _values?: string[] };
      const legend = [...plot.root.querySelectorAll('.u-legend .u-series .u-label')].slice(1).map((e) => e.textContent ?? ''); // [0] is the time axis
      return {
        id: def.id,
        legend,
        yLabels: (axis._values ?? []).map(String),
        yFont: (axis.font as unknown as [string])?.[0] ?? '',
        yAxisPx: axis._size ?? 0,
        tickPx: axis.ticks?.size ?? 0,
        gapPx: axis.gap ?? 0,
      };
    });
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

  private options(def: ChartDef, series: { label: string; color: string }[], width: number): uPlot.Options {
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
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : def.emptyMax] } },
      axes: [
        // x: clock labels are ~60 px wide; space keeps them from running into each other
        { stroke: '#4b5563', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#e5e7eb' }, space: 80, values: (_u, splits) => splits.map((t) => formatClock(t)) },
        { stroke: '#4b5563', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#e5e7eb' }, size: axisSize, space: 24, ...(def.incrs ? { incrs: def.incrs } : {}), values: (_u, splits) => splits.map((v) => def.format(v)) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, value }))],
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

/** Width of the y axis: its longest label, measured in the axis font, plus the tick
 * and gap, so "512 MiB" is never cut at the chart's left edge. */
function axisSize(u: uPlot, values: string[] | null, axisIdx: number): number {
  const axis = u.axes[axisIdx]!;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), '');
  u.ctx.font = (axis.font as unknown as [string])?.[0] ?? '12px system-ui';
  const textPx = longest ? u.ctx.measureText(longest).width / (devicePixelRatio || 1) : 0;
  return Math.ceil(textPx + (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + 6);
}
