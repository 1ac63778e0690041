// The replay FrameSource: a recording's snapshots behind the same UI as live. The
// charts get one History over the whole recording (decimated to at most maxPoints
// columns), and a seek gets the snapshot in force at that time. Snapshots are kept
// as their encoded protobuf bytes (a few hundred bytes per VM), decoded on a seek.
import type { FaultlineEvent, Frame, Meta, Snapshot } from '../model/snapshot.js';
import { decodeFrame, encodeFrame } from '../proto/codec.js';
import { HistoryBuffer } from './history.js';
import type { FrameSource } from './ui-server.js';

export class ReplaySource implements FrameSource {
  private readonly timesMs: number[] = [];
  private readonly encoded: Uint8Array[] = [];
  private readonly events: FaultlineEvent[] = [];
  private history: HistoryBuffer | null = null;
  private decimation = 1;

  constructor(private meta: Meta, private readonly maxPoints = 3600, private readonly maxEvents = 5000) {}

  /** Adds the next snapshot of the recording (in time order). */
  add(snapshot: Snapshot): void {
    this.timesMs.push(snapshot.timeMs);
    this.encoded.push(encodeFrame({ snapshot }));
    if (this.events.length < this.maxEvents) this.events.push(...snapshot.events.slice(0, this.maxEvents - this.events.length));
    this.history = null;
  }

  get length(): number {
    return this.timesMs.length;
  }

  /** Index of the last snapshot at or before timeMs (the first one before the start). */
  indexAt(timeMs: number): number {
    let lo = 0;
    let hi = this.timesMs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.timesMs[mid]! <= timeMs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  snapshotAt(index: number): Snapshot {
    return (decodeFrame(this.encoded[index]!) as { snapshot: Snapshot }).snapshot;
  }

  private buildHistory(): HistoryBuffer {
    this.decimation = Math.max(1, Math.ceil(this.encoded.length / this.maxPoints));
    const history = new HistoryBuffer(this.maxPoints + 1);
    for (let i = 0; i < this.encoded.length; i += this.decimation) history.push(this.snapshotAt(i));
    return history;
  }

  greeting(): Frame[] {
    this.history ??= this.buildHistory();
    const frames: Frame[] = [
      { meta: { ...this.meta, mode: 'replay', endTimeMs: this.timesMs.at(-1) ?? this.meta.startTimeMs } },
      { history: this.history.toHistory() },
    ];
    for (const event of this.events) frames.push({ event });
    if (this.encoded.length > 0) frames.push({ snapshot: this.snapshotAt(0) });
    return frames;
  }

  seek(timeMs: number): Snapshot | null {
    return this.encoded.length === 0 ? null : this.snapshotAt(this.indexAt(timeMs));
  }
}
