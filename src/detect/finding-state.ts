// One current state per (subject, detector): the verdict the live UI, the report,
// /metrics and the events all read. A detector judges afresh at every history point;
// its raw verdict only moves the state after it held for a few judgments in a row
// (hysteresis), so a verdict does not flap on one noisy point:
//
//   raw    o o s o o s s L L L o o o o
//   state  o o o o o o s s L L L L L o      raise after 2 judgments, lower after 3
//                                           spanning a quarter window
//
//   insufficient-data -> ok                 at once (the first judgment)
//   to a higher verdict (ok -> suspect -> leak, or straight to leak)
//                                           after RAISE_AFTER judgments at or above it
//   to a lower verdict                      after LOWER_AFTER judgments below it, the
//                                           first and the last a quarter window apart
//                                           (judgments come every window/120: a series
//                                           on the edge would flap every few seconds)
//   raw insufficient-data once judged       an ok turns insufficient-data at once (a gap,
//                                           lost events: not judged now); a leak or
//                                           suspect after 3 judgments, like any lowering
//                                           (an early warning whose climb stopped)
// While the state holds against the raw verdict, the finding shown is the last one
// that agreed with the state. Pure.
import type { Finding, Verdict } from '../model/snapshot.js';

export const RAISE_AFTER_JUDGMENTS = 2;
export const LOWER_AFTER_JUDGMENTS = 3;

export interface VerdictChange {
  atMs: number;
  detector: string;
  from: Verdict;
  to: Verdict;
}

/** Verdicts in order; '' (no detector ran) below all. */
export const VERDICT_RANK: Record<Verdict | '', number> = { '': -1, 'insufficient-data': 0, ok: 1, suspect: 2, leak: 3 };
export const isFlagged = (v: Verdict | undefined): boolean => v === 'leak' || v === 'suspect';

export class FindingState {
  /** @param lowerAfterMs how long a lower raw verdict must hold (a quarter window) */
  constructor(private readonly lowerAfterMs = 0) {}

  private current: Finding | null = null;
  private pendingSinceMs = 0;
  private pending: Finding[] = [];
  /** When the state last turned to leak or suspect; the finding's `sinceMs` goes back to it. */
  private onsetMs = Infinity;

  get verdict(): Verdict | null {
    return this.current?.verdict ?? null;
  }

  /** Takes one raw judgment; returns the finding to show and the change it made, if any. */
  step(raw: Finding, atMs: number): { finding: Finding; change: VerdictChange | null } {
    const before = this.current;
    if (!before || (before.verdict === 'insufficient-data' && VERDICT_RANK[raw.verdict] <= VERDICT_RANK.ok)) return this.adopt(raw, atMs, before);
    if (raw.verdict === 'insufficient-data' && !isFlagged(before.verdict)) return this.adopt(raw, atMs, before);
    if (raw.verdict === before.verdict) {
      this.pending = [];
      return { finding: this.hold(raw), change: null };
    }
    const raising = VERDICT_RANK[raw.verdict] > VERDICT_RANK[before.verdict];
    if (this.pending.length > 0 && (VERDICT_RANK[this.pending[0]!.verdict] > VERDICT_RANK[before.verdict]) !== raising) this.pending = [];
    if (this.pending.length === 0) this.pendingSinceMs = atMs;
    this.pending.push(raw);
    const held = raising
      ? this.pending.length < RAISE_AFTER_JUDGMENTS
      : this.pending.length < LOWER_AFTER_JUDGMENTS || atMs - this.pendingSinceMs < this.lowerAfterMs;
    if (held) return { finding: this.hold(before), change: null };
    return this.adopt(raw, atMs, before);
  }

  private adopt(raw: Finding, atMs: number, before: Finding | null): { finding: Finding; change: VerdictChange | null } {
    this.pending = [];
    if (!isFlagged(raw.verdict)) this.onsetMs = Infinity;
    else if (!isFlagged(before?.verdict)) this.onsetMs = raw.sinceMs;
    const finding = this.hold(raw);
    const change = before && before.verdict !== raw.verdict ? { atMs, detector: raw.detector, from: before.verdict, to: raw.verdict } : null;
    return { finding, change };
  }

  /** Keeps `f` as the current finding, its onset extended back to the state's. */
  private hold(f: Finding): Finding {
    const finding = isFlagged(f.verdict) ? { ...f, sinceMs: Math.min(f.sinceMs, this.onsetMs) } : f;
    if (isFlagged(f.verdict)) this.onsetMs = finding.sinceMs;
    this.current = finding;
    return finding;
  }
}

/** Is this change news for an event: turned to leak or suspect, between them, or
 * back from them (insufficient-data -> ok is not). */
export function isNews(change: VerdictChange | null): boolean {
  return !!change && (isFlagged(change.to) || isFlagged(change.from));
}
