// The replay FrameSource: a recording behind the same UI as live. Opening reads the
// file twice, streaming: once to index every snapshot (its time and the offset of the
// chunk it can be decoded from) and collect events, once to build the charts' History
// (decimated to at most maxPoints columns) and checkpoints of the guest heat. A seek
// decodes the one chunk that holds the snapshot in force at that time, and keeps it
// for the next seek (playback moves forward through the same chunk); the heat at that
// time is summed from the nearest checkpoint or the last seek, whichever is closer
// before it. Memory: the index, the History, one chunk, HEAT_CHECKPOINTS heat totals.
import { GuestHeatTotals } from '../aggregate/guest-heat.js';
import type { FaultlineEvent, Frame, Meta, Snapshot } from '../model/snapshot.js';
import { openRecording, type ReadStats } from '../record/reader.js';
import { HistoryBuffer } from './history.js';
import type { FrameSource } from './ui-server.js';

interface IndexEntry {
  timeMs: number;
  chunkOffset: number;
}

/** Heat totals kept while loading, evenly spaced: a seek sums at most 1/this of the file. */
const HEAT_CHECKPOINTS = 20;

/** The heat after adding snapshots 0..index. */
interface HeatAt {
  index: number;
  totals: GuestHeatTotals;
}

export class ReplaySource implements FrameSource {
  private index: IndexEntry[] = [];
  private events: FaultlineEvent[] = [];
  private history: HistoryBuffer | null = null;
  private meta: Meta | null = null;
  private first: Snapshot | null = null;
  private cached: { chunkOffset: number; snapshots: Snapshot[] } | null = null;
  private heatCheckpoints: HeatAt[] = [];
  private heatCursor: HeatAt | null = null;
  private seeking: Promise<unknown> = Promise.resolve();
  stats: ReadStats | null = null;

  constructor(private readonly path: string, private readonly maxPoints = 3600, private readonly maxEvents = 5000) {}

  /** Reads the recording; `progress` gets the snapshot count now and then. */
  async load(progress: (snapshots: number, pass: 1 | 2) => void = () => {}): Promise<Meta> {
    const reader = await openRecording(this.path);
    this.meta = reader.meta;
    for await (const snapshot of reader.snapshots()) {
      this.index.push({ timeMs: snapshot.timeMs, chunkOffset: reader.chunkOffset });
      this.first ??= snapshot;
      for (const e of snapshot.events) if (this.events.length < this.maxEvents) this.events.push(e);
      if (this.index.length % 1000 === 0) progress(this.index.length, 1);
    }
    this.stats = reader.stats;
    const decimation = Math.max(1, Math.ceil(this.index.length / this.maxPoints));
    this.history = new HistoryBuffer(this.maxPoints + 1);
    const heatStep = Math.max(1, Math.ceil(this.index.length / HEAT_CHECKPOINTS));
    const heat = new GuestHeatTotals();
    let i = 0;
    for await (const snapshot of (await openRecording(this.path)).snapshots()) {
      if (i % decimation === 0) this.history.push(snapshot);
      heat.add(snapshot);
      if (i % heatStep === 0) this.heatCheckpoints.push({ index: i, totals: heat.clone() });
      i += 1;
      if (i % 1000 === 0) progress(i, 2);
    }
    return this.meta;
  }

  get length(): number {
    return this.index.length;
  }

  /** Index of the last snapshot at or before timeMs (the first one before the start). */
  indexAt(timeMs: number): number {
    let lo = 0;
    let hi = this.index.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.index[mid]!.timeMs <= timeMs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private async chunkAt(chunkOffset: number): Promise<Snapshot[]> {
    if (this.cached?.chunkOffset === chunkOffset) return this.cached.snapshots;
    const reader = await openRecording(this.path, { startAt: chunkOffset });
    const snapshots: Snapshot[] = [];
    for await (const snapshot of reader.snapshots()) {
      if (reader.chunkOffset !== chunkOffset) break;
      snapshots.push(snapshot);
    }
    await reader.close();
    this.cached = { chunkOffset, snapshots };
    return snapshots;
  }

  greeting(): Frame[] {
    if (!this.meta || !this.history) throw new Error('ReplaySource.load() first');
    const frames: Frame[] = [
      { meta: { ...this.meta, mode: 'replay', deepLeaks: false, endTimeMs: this.index.at(-1)?.timeMs ?? this.meta.startTimeMs } },
      { history: this.history.toHistory() },
    ];
    for (const event of this.events) frames.push({ event });
    if (this.first) frames.push({ snapshot: this.first }, { heat: (this.heatCheckpoints[0]?.totals ?? new GuestHeatTotals()).frame(true) });
    return frames;
  }

  /** The snapshot in force at timeMs, then the guest heat summed up to it. Seeks run one
   * at a time, in the order asked (they share the chunk cache and the heat cursor). */
  seek(timeMs: number): Promise<Frame[]> {
    const answer = this.seeking.then(() => this.seekNow(timeMs));
    this.seeking = answer.catch(() => {});
    return answer;
  }

  private async seekNow(timeMs: number): Promise<Frame[]> {
    if (this.index.length === 0) return [];
    const at = this.indexAt(timeMs);
    const entry = this.index[at]!;
    const chunk = await this.chunkAt(entry.chunkOffset);
    const snapshot = chunk.find((s) => s.timeMs === entry.timeMs) ?? chunk.findLast((s) => s.timeMs <= entry.timeMs) ?? chunk[0] ?? null;
    if (!snapshot) return [];
    const heat = await this.heatAt(at);
    return [{ snapshot }, { heat: heat.frame(true) }];
  }

  /** Heat after snapshots 0..index: from the closest checkpoint or cursor before it,
   * adding the snapshots in between (read from the file). */
  private async heatAt(index: number): Promise<GuestHeatTotals> {
    let base: HeatAt | null = null;
    for (const c of this.heatCheckpoints) if (c.index <= index) base = c;
    if (this.heatCursor && this.heatCursor.index <= index && (!base || this.heatCursor.index >= base.index)) base = this.heatCursor;
    if (!base) base = { index: -1, totals: new GuestHeatTotals() };
    if (base.index === index) return base.totals;
    // a checkpoint is shared: sum into a copy of it; the cursor is ours to move
    const totals = base === this.heatCursor ? base.totals : base.totals.clone();
    this.heatCursor = null; // until the sum is complete
    const from = base.index + 1;
    const chunkOffset = this.index[from]!.chunkOffset;
    let position = from;
    while (position > 0 && this.index[position - 1]!.chunkOffset === chunkOffset) position -= 1;
    const reader = await openRecording(this.path, { startAt: chunkOffset });
    try {
      for await (const snapshot of reader.snapshots()) {
        if (position >= from) totals.add(snapshot);
        if (position === index) break;
        position += 1;
      }
    } finally {
      await reader.close();
    }
    this.heatCursor = { index, totals };
    return totals;
  }
}
