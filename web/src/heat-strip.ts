// The guest's physical memory as one strip, 0 on the left, colored by fault count per
// 2 MiB region: where in the guest the memory is being populated. The counts are the
// server's (src/aggregate/guest-heat.ts: guest-RAM faults per region since it started,
// or in replay since the recording's start up to the time looked at); this only draws.
import type { VmHeat, VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText } from './dom.js';
import { formatBytes, formatCount } from '../../src/format/quantities.js';
import { formatClock, formatHex } from './format.js';

const HEIGHT_PX = 26;

export class HeatStrip {
  private readonly canvas: HTMLCanvasElement;
  private readonly axis: HTMLElement[];
  private readonly caption: HTMLElement;
  /** CSS width of the canvas, kept by a ResizeObserver (reading clientWidth on every
   * render would force a layout of the whole page). */
  private widthPx = 0;
  private last: { vm: VmSnapshot | null; heat: VmHeat | null } = { vm: null, heat: null };
  /** What is drawn: per-pixel region ranges, for the hover text. */
  private drawn: { heat: VmHeat | null; regionBytes: number; regionsPerPx: number } | null = null;

  constructor(container: HTMLElement) {
    this.canvas = el('canvas', 'heat-canvas');
    const axis = el('div', 'heat-axis');
    this.axis = [el('span'), el('span'), el('span')];
    axis.append(...this.axis);
    this.caption = el('div', 'caption');
    container.append(this.canvas, axis, this.caption);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    new ResizeObserver((entries) => {
      const width = Math.round(entries[0]?.contentRect.width ?? 0);
      if (width === this.widthPx) return;
      this.widthPx = width;
      this.render(this.last.vm, this.last.heat);
    }).observe(this.canvas);
  }

  /** vm: the selected VM (null: none, or not a VM); heat: the server's totals for it. */
  render(vm: VmSnapshot | null, heat: VmHeat | null): void {
    this.last = { vm, heat };
    if (this.widthPx === 0) return; // not laid out yet: the ResizeObserver calls back
    const width = Math.max(100, this.widthPx);
    const scale = devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * scale)) this.canvas.width = Math.round(width * scale);
    if (this.canvas.height !== Math.round(HEIGHT_PX * scale)) this.canvas.height = Math.round(HEIGHT_PX * scale);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(0, 0, width, HEIGHT_PX);
    const regionBytes = heat?.regionBytes || 2 * 1024 * 1024;
    const maxRegion = heat?.regions.at(-1) ?? 0;
    const regions = vm ? Math.max(Math.ceil(vm.memoryBytes / regionBytes), maxRegion + 1) : 0;
    if (!vm || regions <= 0) {
      this.drawn = null;
      for (const a of this.axis) setText(a, '');
      setText(this.caption, vm ? 'No guest memory size known for this process.' : '');
      return;
    }
    const regionsPerPx = regions / width;
    this.drawn = { heat, regionBytes, regionsPerPx };
    // per pixel column: the hottest region it covers
    const perPx = new Float64Array(width);
    let max = 0;
    const regionList = heat?.regions ?? [];
    for (let i = 0; i < regionList.length; i++) {
      const region = regionList[i]!;
      const faults = heat!.faults[i] ?? 0;
      const x = Math.min(width - 1, Math.floor(region / regionsPerPx));
      const x2 = Math.min(width, Math.max(x + 1, Math.floor((region + 1) / regionsPerPx)));
      for (let px = x; px < x2; px++) perPx[px] = Math.max(perPx[px]!, faults);
      max = Math.max(max, faults);
    }
    const logMax = Math.log1p(max);
    for (let px = 0; px < width; px++) {
      const f = perPx[px]!;
      if (f <= 0) continue;
      ctx.fillStyle = heatColor(logMax > 0 ? Math.log1p(f) / logMax : 0);
      ctx.fillRect(px, 0, 1, HEIGHT_PX);
    }
    const extent = regions * regionBytes;
    setText(this.axis[0]!, '0');
    setText(this.axis[1]!, formatBytes(extent / 2));
    setText(this.axis[2]!, formatBytes(extent));
    const total = heat?.totalFaults ?? 0;
    setText(
      this.caption,
      total > 0
        ? `${formatCount(total)} guest-RAM faults in ${regionList.length} of ${regions} ${formatBytes(regionBytes)} regions since ${formatClock(heat!.sinceMs)}; darkest ${formatCount(max)}`
        : 'No guest-RAM faults with a guest-physical address yet.',
    );
  }

  private hover(e: MouseEvent): void {
    if (!this.drawn) return;
    const x = e.offsetX;
    const { heat, regionBytes, regionsPerPx } = this.drawn;
    const first = Math.floor(x * regionsPerPx);
    const last = Math.max(first, Math.ceil((x + 1) * regionsPerPx) - 1);
    let faults = 0;
    heat?.regions.forEach((r, i) => {
      if (r >= first && r <= last) faults += heat.faults[i] ?? 0;
    });
    this.canvas.title = `guest-physical ${formatHex(first * regionBytes)}–${formatHex((last + 1) * regionBytes - 1)}: ${formatCount(Math.round(faults))} faults`;
  }
}

/** 0..1 -> light yellow to dark red. */
function heatColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const hue = 50 - 50 * clamped;
  const light = 80 - 45 * clamped;
  return `hsl(${hue.toFixed(0)} 95% ${light.toFixed(0)}%)`;
}
