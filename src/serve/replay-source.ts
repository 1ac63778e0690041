// The replay FrameSource: a recording behind the same UI as live. Opening reads the
// file twice, streaming: once to index every snapshot (its time and the offset of the
// chunk it can be decoded from) and collect events, once to build the charts' History
// (decimated to at most maxPoints columns). A seek decodes the one chunk that holds
// the snapshot in force at that time, and keeps it for the next seek (playback moves
// forward through the same chunk). Memory: the index, the History, one chunk.
import type { FaultlineEvent, Frame, Meta, Snapshot } from '../model/snapshot.js';
import { openRecording, type ReadStats } from '../record/reader.js';
import { HistoryBuffer } from './history.js';
import type { FrameSource } from './ui-server.js';

interface IndexEntry {
  timeMs: number;
  chunkOffset: number;
}

export class ReplaySource implements FrameSource {
  private index: IndexEntry[] = [];
  private events: FaultlineEvent[] = [];
  private history: HistoryBuffer | null = null;
  private meta: Meta | null = null;
  private first: Snapshot | null = null;
  private cached: { chunkOffset: number; snapshots: Snapshot[] } | null = null;
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
    let i = 0;
    for await (const snapshot of (await openRecording(this.path)).snapshots()) {
      if (i % decimation === 0) this.history.push(snapshot);
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
    if (this.first) frames.push({ snapshot: this.first });
    return frames;
  }

  async seek(timeMs: number): Promise<Snapshot | null> {
    if (this.index.length === 0) return null;
    const entry = this.index[this.indexAt(timeMs)]!;
    const chunk = await this.chunkAt(entry.chunkOffset);
    return chunk.find((s) => s.timeMs === entry.timeMs) ?? chunk.findLast((s) => s.timeMs <= entry.timeMs) ?? chunk[0] ?? null;
  }
}
