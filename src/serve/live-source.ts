// The live FrameSource: remembers the session's Meta, the last minutes of history,
// the guest heat since the start and the latest snapshot, so a client that connects
// mid-session is current at once.
import { GuestHeatTotals } from '../aggregate/guest-heat.js';
import type { Frame, FaultlineEvent, HeatFrame, Meta, Snapshot } from '../model/snapshot.js';
import { HistoryBuffer } from './history.js';
import type { FrameSource } from './ui-server.js';

export class LiveFrameSource implements FrameSource {
  private readonly history: HistoryBuffer;
  private latest: Snapshot | null = null;
  private readonly recentEvents: FaultlineEvent[] = [];
  private readonly heat = new GuestHeatTotals();

  constructor(private meta: Meta, historyPoints: number, private readonly maxEvents = 500) {
    this.history = new HistoryBuffer(historyPoints);
  }

  /** Takes the new snapshot; returns the ids of the VMs whose heat it changed (for
   * heatFrame, built only when a client is there to get it). */
  push(snapshot: Snapshot): string[] {
    this.history.push(snapshot);
    const changed = this.heat.add(snapshot);
    this.latest = snapshot;
    this.recentEvents.push(...snapshot.events);
    if (this.recentEvents.length > this.maxEvents) this.recentEvents.splice(0, this.recentEvents.length - this.maxEvents);
    return changed;
  }

  /** The heat of these VMs, to send after the snapshot that changed it. */
  heatFrame(vmIds: string[]): HeatFrame {
    return this.heat.frame(false, vmIds);
  }

  get latestSnapshot(): Snapshot | null {
    return this.latest;
  }

  greeting(): Frame[] {
    const frames: Frame[] = [{ meta: this.meta }, { history: this.history.toHistory() }];
    // events older than the latest snapshot, so the timeline is not empty either
    const latestEvents = new Set(this.latest?.events ?? []);
    for (const event of this.recentEvents) if (!latestEvents.has(event)) frames.push({ event });
    if (this.latest) frames.push({ snapshot: this.latest });
    frames.push({ heat: this.heat.frame(true) });
    return frames;
  }
}
