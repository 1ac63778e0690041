// The guest's physical memory as one strip, 0 on the left, colored by fault count per
// 2 MiB region: where in the guest the memory is being populated. Counts are the
// guest-RAM hotspots of every snapshot this page received, summed per region (drawing
// state kept by the page; the server sends per-interval hotspots only), so the strip
// starts empty when the page connects. Kept for every VM, drawn for the selected one.
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText } from './dom.js';
import { formatBytes, formatCount } from '../../src/format/quantities.js';
import { formatClock, formatHex } from './format.js';

const REGION_BYTES = 2 * 1024 * 1024;
const HEIGHT_PX = 26;

interface VmHeat {
  faultsByRegion: Map<number, number>;
  maxRegion: number;
}

export class HeatStrip {
  private readonly heat = new Map<string, VmHeat>();
  private lastSeq = -1;
  private sinceMs = 0;
  private readonly canvas: HTMLCanvasElement;
  private readonly axis: HTMLElement[];
  private readonly caption: HTMLElement;
  /** CSS width of the canvas, kept by a ResizeObserver (reading clientWidth on every
   * render would force a layout of the whole page). */
  private widthPx = 0;
  private lastVm: VmSnapshot | null = null;
  /** What is drawn: per-pixel region ranges, for the hover text. */
  private drawn: { vm: VmSnapshot; regionsPerPx: number } | null = null;

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
      this.render(this.lastVm);
    }).observe(this.canvas);
  }

  /** Forget everything (a new session, or replay moved backwards). */
  reset(): void {
    this.heat.clear();
    this.lastSeq = -1;
    this.sinceMs = 0;
  }

  /** Adds the snapshot's guest-RAM hotspots; a snapshot already counted is skipped. */
  accumulate(snapshot: Snapshot): void {
    if (snapshot.seq <= this.lastSeq) return;
    this.lastSeq = snapshot.seq;
    if (!this.sinceMs) this.sinceMs = snapshot.timeMs;
    for (const vm of snapshot.vms) {
      for (const h of vm.hotspots) {
        if (h.guestPhysAddress < 0 || h.faults <= 0) continue;
        let heat = this.heat.get(vm.id);
        if (!heat) {
          heat = { faultsByRegion: new Map(), maxRegion: 0 };
          this.heat.set(vm.id, heat);
        }
        const first = Math.floor(h.guestPhysAddress / REGION_BYTES);
        const count = Math.max(1, Math.ceil(h.bytes / REGION_BYTES));
        for (let r = first; r < first + count; r++) {
          heat.faultsByRegion.set(r, (heat.faultsByRegion.get(r) ?? 0) + h.faults / count);
        }
        heat.maxRegion = Math.max(heat.maxRegion, first + count - 1);
      }
    }
  }

  /** Total faults drawn for a VM, for tests. */
  totalFaults(vmId: string): number {
    let total = 0;
    for (const f of this.heat.get(vmId)?.faultsByRegion.values() ?? []) total += f;
    return total;
  }

  render(vm: VmSnapshot | null): void {
    this.lastVm = vm;
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
    const heat = vm ? this.heat.get(vm.id) : undefined;
    const regions = vm ? Math.max(Math.ceil(vm.memoryBytes / REGION_BYTES), (heat?.maxRegion ?? 0) + 1) : 0;
    if (!vm || regions <= 0) {
      this.drawn = null;
      for (const a of this.axis) setText(a, '');
      setText(this.caption, vm ? 'No guest memory size known for this process.' : '');
      return;
    }
    const regionsPerPx = regions / width;
    this.drawn = { vm, regionsPerPx };
    // per pixel column: the hottest region it covers
    const perPx = new Float64Array(width);
    let max = 0;
    for (const [region, faults] of heat?.faultsByRegion ?? []) {
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
    const extent = regions * REGION_BYTES;
    setText(this.axis[0]!, '0');
    setText(this.axis[1]!, formatBytes(extent / 2));
    setText(this.axis[2]!, formatBytes(extent));
    const total = this.totalFaults(vm.id);
    setText(
      this.caption,
      total > 0
        ? `${formatCount(total)} guest-RAM faults in ${heat?.faultsByRegion.size ?? 0} of ${regions} 2 MiB regions since ${formatClock(this.sinceMs)}; darkest ${formatCount(max)}`
        : `No guest-RAM faults with a guest-physical address since ${this.sinceMs ? formatClock(this.sinceMs) : 'this page connected'}.`,
    );
  }

  private hover(e: MouseEvent): void {
    if (!this.drawn) return;
    const x = e.offsetX;
    const first = Math.floor(x * this.drawn.regionsPerPx);
    const last = Math.max(first, Math.ceil((x + 1) * this.drawn.regionsPerPx) - 1);
    const heat = this.heat.get(this.drawn.vm.id);
    let faults = 0;
    for (let r = first; r <= last; r++) faults += heat?.faultsByRegion.get(r) ?? 0;
    this.canvas.title = `guest-physical ${formatHex(first * REGION_BYTES)}–${formatHex((last + 1) * REGION_BYTES - 1)}: ${formatCount(Math.round(faults))} faults`;
  }
}

/** 0..1 -> light yellow to dark red. */
function heatColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const hue = 50 - 50 * clamped;
  const light = 80 - 45 * clamped;
  return `hsl(${hue.toFixed(0)} 95% ${light.toFixed(0)}%)`;
}
