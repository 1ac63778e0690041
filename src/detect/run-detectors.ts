// Runs the leak detectors on every Snapshot: keeps a short, bounded history per VM
// and process (and one for the host), and returns each row's verdict and findings,
// plus a `leak-finding` event when a verdict turns to leak or suspect (not on every
// interval it stays there). Pure: no clock, no IO; the collector hands in the
// snapshots (and, when it read them, the slab caches).
//
// Which detectors run:
//   VM (kind 'vm')        qemu-own, guest-growth, balloon, mapping-growth
//   process               process-growth, mapping-growth
//   host                  kernel-memory (the snapshot's host.findings, and events)
// Each (row, detector) has one current state (finding-state.ts: hysteresis, so a
// verdict does not flap): the row's findings are those states, and an event goes out
// when a state changes to or from leak/suspect. A row's `leak` verdict is its main
// detector's current state (qemu-own for a VM, process-growth for a process), raised
// to mapping-growth's when that one is leak or suspect.
// guest-growth and balloon are findings only: they are about the guest's use of its
// memory, not about a leak, and must never make a VM look like a leaking QEMU.
//
// Bounds: a point is kept per window/pointsPerWindow at most (snapshots closer
// together are merged: sums added, levels taken from the latest), for 3 windows,
// and the detectors run when a point is added (the verdict stands in between: with
// the 10 min default and 1 s snapshots, every 5 s);
// at most maxIds ids (the least recently seen goes first); an id not seen for
// forgetAfterMs (default one window: it exited or left the report) is dropped.
import type { FaultlineEvent, Finding, LeakVerdict, Snapshot, VmSnapshot } from '../model/snapshot.js';
import { makeEvent } from '../aggregate/events.js';
import { contextOf, hostPoint, lostEventsSince, vmPoint, type HostHistoryPoint, type VmHistoryPoint } from './history.js';
import { HISTORY_WINDOWS } from './finding.js';
import { detectQemuOwn } from './qemu-own.js';
import { detectProcessGrowth } from './process-growth.js';
import { detectGuestGrowth } from './guest-growth.js';
import { detectBalloon } from './balloon.js';
import { detectMappingGrowth } from './mapping-growth.js';
import { detectKernelMemory } from './kernel-memory.js';
import { slabGrowth, type SlabCache } from './slabinfo.js';
import { FindingState, isFlagged, isNews, VERDICT_RANK, type VerdictChange } from './finding-state.js';

export interface LeakTrackerOptions {
  /** The detectors' window. Default 10 min; shorter for tests and demos. */
  leakWindowMs?: number;
  /** Points kept per window; closer snapshots are merged. Default 120. */
  pointsPerWindow?: number;
  /** Ids tracked at most. Default 512. */
  maxIds?: number;
  /** Drop an id not seen for this long. Default one window. */
  forgetAfterMs?: number;
  /** Slab caches named in a kernel-memory finding. Default 5. */
  topSlabCaches?: number;
}

export const DEFAULT_LEAK_WINDOW_MS = 600_000;

export interface RowVerdict {
  leak: LeakVerdict;
  findings: Finding[];
}

export interface LeakResult {
  byId: Map<string, RowVerdict>;
  hostFindings: Finding[];
  events: FaultlineEvent[];
}

interface Track<P> {
  points: P[];
  /** When the last point started collecting snapshots. */
  openedMs: number;
  lastSeenMs: number;
  /** Per detector, its current state. */
  states: Map<string, FindingState>;
  /** The last verdict, reused while snapshots only merge into the last point. */
  last: RowVerdict | null;
  lastHost: Finding | null;
}


function newTrack<P>(): Track<P> {
  return { points: [], openedMs: 0, lastSeenMs: 0, states: new Map(), last: null, lastHost: null };
}

function mergeVm(into: VmHistoryPoint, p: VmHistoryPoint): VmHistoryPoint {
  return {
    ...p,
    intervalMs: into.intervalMs + p.intervalMs,
    mmapBytes: into.mmapBytes + p.mmapBytes,
    munmapBytes: into.munmapBytes + p.munmapBytes,
    brkBytes: into.brkBytes + p.brkBytes,
    balloonBytes: into.balloonBytes + p.balloonBytes,
    lostEvents: into.lostEvents + p.lostEvents,
    growthProbe: into.growthProbe && p.growthProbe,
  };
}

function mergeHost(into: HostHistoryPoint, p: HostHistoryPoint): HostHistoryPoint {
  return { ...p, intervalMs: into.intervalMs + p.intervalMs };
}

export class LeakTracker {
  readonly windowMs: number;
  private readonly spacingMs: number;
  private readonly maxPoints: number;
  private readonly maxIds: number;
  private readonly forgetAfterMs: number;
  private readonly topSlabCaches: number;
  private readonly tracks = new Map<string, Track<VmHistoryPoint>>();
  private readonly host = newTrack<HostHistoryPoint>();
  private slab: { timeMs: number; caches: SlabCache[] }[] = [];

  constructor(options: LeakTrackerOptions = {}) {
    this.windowMs = options.leakWindowMs ?? DEFAULT_LEAK_WINDOW_MS;
    const perWindow = options.pointsPerWindow ?? 120;
    this.spacingMs = this.windowMs / perWindow;
    this.maxPoints = perWindow * HISTORY_WINDOWS + 1;
    this.maxIds = options.maxIds ?? 512;
    this.forgetAfterMs = options.forgetAfterMs ?? this.windowMs;
    this.topSlabCaches = options.topSlabCaches ?? 5;
  }

  /** Ids with a history (for tests and /metrics). */
  trackedIds(): string[] {
    return [...this.tracks.keys()];
  }

  /** Adds the point, or merges it into the last one; true when a point was added. */
  private append<P extends { timeMs: number }>(track: Track<P>, point: P, merge: (a: P, b: P) => P): boolean {
    const last = track.points.at(-1);
    let added = false;
    if (last && point.timeMs - track.openedMs < this.spacingMs) {
      track.points[track.points.length - 1] = merge(last, point);
    } else {
      added = true;
      track.points.push(point);
      track.openedMs = point.timeMs;
    }
    const oldest = point.timeMs - HISTORY_WINDOWS * this.windowMs;
    while (track.points.length > this.maxPoints || (track.points[0] && track.points[0].timeMs < oldest)) track.points.shift();
    track.lastSeenMs = point.timeMs;
    return added;
  }

  private trackOf(id: string): Track<VmHistoryPoint> {
    let track = this.tracks.get(id);
    if (!track) {
      if (this.tracks.size >= this.maxIds) {
        const stalest = [...this.tracks].sort((a, b) => a[1].lastSeenMs - b[1].lastSeenMs)[0];
        if (stalest) this.tracks.delete(stalest[0]);
      }
      track = newTrack();
      this.tracks.set(id, track);
    }
    return track;
  }

  /** The detector's current state after this raw judgment, and its change if any. */
  private settle<P>(track: Track<P>, raw: Finding, atMs: number): { finding: Finding; change: VerdictChange | null } {
    let state = track.states.get(raw.detector);
    if (!state) track.states.set(raw.detector, (state = new FindingState(this.windowMs / 4)));
    return state.step(raw, atMs);
  }

  observe(snapshot: Snapshot, slabCaches: SlabCache[] | null = null): LeakResult {
    const now = snapshot.timeMs;
    const window = { windowMs: this.windowMs };
    const byId = new Map<string, RowVerdict>();
    const events: FaultlineEvent[] = [];

    for (const row of snapshot.vms) {
      const track = this.trackOf(row.id);
      // the detectors judge points: between two, the last verdict stands
      if (!this.append(track, vmPoint(row, snapshot), mergeVm) && track.last) {
        byId.set(row.id, track.last);
        continue;
      }
      const context = contextOf(row, snapshot, lostEventsSince(track.points, now - this.windowMs));
      const main = row.kind === 'vm' ? detectQemuOwn(track.points, context, window) : detectProcessGrowth(track.points, context, window);
      const mapping = detectMappingGrowth(track.points, context, window);
      const raw = row.kind === 'vm'
        ? [main, detectGuestGrowth(track.points, context, window), detectBalloon(track.points, context, window), mapping]
        : [main, mapping];
      const findings = raw.map((f) => {
        const { finding, change } = this.settle(track, f, now);
        if (isNews(change)) events.push(findingEvent(snapshot, row, finding, change!));
        return finding;
      });
      const [held, heldMapping] = [findings[0]!, findings.at(-1)!];
      const decisive = isFlagged(heldMapping.verdict) && VERDICT_RANK[heldMapping.verdict] > VERDICT_RANK[held.verdict] ? heldMapping : held;
      track.last = {
        leak: { verdict: decisive.verdict, growthBytesPerSec: decisive.growthBytesPerSec, windowMs: decisive.windowMs, fit: decisive.fit },
        findings,
      };
      byId.set(row.id, track.last);
    }

    const hostAdded = this.append(this.host, hostPoint(snapshot), mergeHost);
    if (slabCaches) this.slab.push({ timeMs: now, caches: slabCaches });
    // the readings of the window and the latest one at or before its start: slabinfo is
    // read every few intervals, and with a short window the readings inside it alone
    // may be one (then no cache would be named)
    const startMs = now - this.windowMs;
    const baseline = this.slab.reduce((at, s, i) => (s.timeMs <= startMs ? i : at), 0);
    this.slab = this.slab.slice(baseline);
    let kernel = this.host.lastHost;
    if (hostAdded || !kernel) {
      const firstSlab = this.slab[0];
      const lastSlab = this.slab.at(-1);
      const compared = firstSlab && lastSlab && firstSlab !== lastSlab;
      const topCaches = compared ? slabGrowth(firstSlab.caches, lastSlab.caches, this.topSlabCaches) : [];
      const topCachesOverMs = compared ? lastSlab.timeMs - firstSlab.timeMs : 0;
      const { finding, change } = this.settle(this.host, detectKernelMemory(this.host.points, { topCaches, topCachesOverMs }, window), now);
      kernel = finding;
      this.host.lastHost = kernel;
      if (isNews(change)) events.push(makeEvent('leak-finding', now, { message: changeWords(change!, kernel), group: kernel.detector }));
    }

    for (const [id, track] of this.tracks) if (now - track.lastSeenMs > this.forgetAfterMs) this.tracks.delete(id);
    return { byId, hostFindings: [kernel], events };
  }

  /** The snapshot with each row's leak verdict and findings and the host's findings
   * filled in, and the new leak-finding events appended: what the collector hands on. */
  annotate(snapshot: Snapshot, slabCaches: SlabCache[] | null = null): Snapshot {
    const result = this.observe(snapshot, slabCaches);
    return {
      ...snapshot,
      host: { ...snapshot.host, findings: result.hostFindings },
      vms: withVerdicts(snapshot.vms, result.byId),
      events: [...snapshot.events, ...result.events],
    };
  }
}

/** Each row with its verdict and findings: a loop, not an arrow made per call (see
 * src/collect/collector.ts). */
function withVerdicts(rows: VmSnapshot[], byId: Map<string, RowVerdict>): VmSnapshot[] {
  const out: VmSnapshot[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = { ...rows[i]!, ...(byId.get(rows[i]!.id) ?? {}) };
  return out;
}

/** "leak: ...", "suspect: ...", or "ok again (was leak): ..." */
function changeWords(change: VerdictChange, finding: Finding): string {
  const turned = isFlagged(change.to) ? change.to : `${change.to} again (was ${change.from})`;
  return `${turned}: ${finding.message}`;
}

function findingEvent(snapshot: Snapshot, row: VmSnapshot, finding: Finding, change: VerdictChange): FaultlineEvent {
  const who = row.kind === 'vm' ? `VM ${row.name}` : `${row.comm}`;
  return makeEvent('leak-finding', snapshot.timeMs, {
    pid: row.pid,
    vmId: row.id,
    comm: row.comm,
    group: finding.detector,
    message: `${who} (pid ${row.pid}) ${changeWords(change, finding)}`,
  });
}
