// Chart series of any length in bounded memory: points are kept at one per `stride`
// snapshots, and when `capacity` points are full, neighbours merge and the stride
// doubles. Merging keeps the peak (max) or the trough (min) of each series, so a
// spike never disappears from a chart. Pure.

export type Keep = 'max' | 'min';

function merge(a: number, b: number, keep: Keep): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return keep === 'max' ? Math.max(a, b) : Math.min(a, b);
}

export class SeriesSampler {
  /** Start time of each point. */
  readonly timeMs: number[] = [];
  readonly series = new Map<string, { keep: Keep; values: number[] }>();
  private stride = 1;
  private inPoint = 0;

  constructor(private readonly capacity = 600) {
    if (capacity < 2 || capacity % 2 !== 0) throw new RangeError('capacity must be even and at least 2');
  }

  /** One snapshot's values; series not named are absent (NaN) at this time. */
  add(timeMs: number, values: ReadonlyMap<string, { value: number; keep: Keep }>): void {
    if (this.inPoint === 0) {
      if (this.timeMs.length === this.capacity) this.halve();
      this.timeMs.push(timeMs);
      for (const s of this.series.values()) s.values.push(Number.NaN);
    }
    const at = this.timeMs.length - 1;
    for (const [name, { value, keep }] of values) {
      let s = this.series.get(name);
      if (!s) this.series.set(name, (s = { keep, values: new Array<number>(this.timeMs.length).fill(Number.NaN) }));
      s.values[at] = merge(s.values[at]!, value, keep);
    }
    this.inPoint = (this.inPoint + 1) % this.stride;
  }

  private halve(): void {
    const pairs = this.timeMs.length / 2;
    for (let i = 0; i < pairs; i++) this.timeMs[i] = this.timeMs[2 * i]!;
    this.timeMs.length = pairs;
    for (const s of this.series.values()) {
      for (let i = 0; i < pairs; i++) s.values[i] = merge(s.values[2 * i]!, s.values[2 * i + 1]!, s.keep);
      s.values.length = pairs;
    }
    this.stride *= 2;
  }
}
