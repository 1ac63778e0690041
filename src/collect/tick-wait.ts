// When the live session builds the snapshot for an interval boundary. Pure.
// The probes print on INTERVAL_MS boundaries of CLOCK_MONOTONIC (probes/README.md,
// CLOCK in each probe's header), so every group's batch for boundary B arrives a few
// ms after B. The snapshot for B goes out as soon as every attached group delivered
// it, or at the deadline with what has arrived: a slow or stuck group must not hold
// back the others' data (its late batch lands in the next snapshot).
//
//   B-1            B   all delivered: emit             deadline
//    |-------------|---x-----------------------------------|
//                   groups' ticks (0-10 ms after B)         emit anyway

/** Waiting longer than this for a late group costs every other group's latency. */
export const MAX_WAIT_FOR_GROUPS_MS = 250;

export interface TickWaitInput {
  /** The boundary whose batches the snapshot waits for (intervalIndex in the tick line). */
  boundaryIndex: number;
  intervalMs: number;
  /** Groups whose bpftrace is running now: a group that is down is not waited for. */
  attachedGroups: readonly string[];
  /** The latest boundary each group delivered a complete batch for. */
  deliveredIndex: ReadonlyMap<string, number>;
  nowNs: number;
}

export type TickWait = { emit: true; lateGroups: string[] } | { emit: false; untilNs: number };

export function boundaryNs(boundaryIndex: number, intervalMs: number): number {
  return boundaryIndex * intervalMs * 1e6;
}

/** How long after the boundary the snapshot goes out at the latest. */
export function deadlineNs(boundaryIndex: number, intervalMs: number): number {
  return boundaryNs(boundaryIndex, intervalMs) + Math.min(intervalMs / 2, MAX_WAIT_FOR_GROUPS_MS) * 1e6;
}

/** The last boundary at or before nowNs. */
export function boundaryIndexAt(nowNs: number, intervalMs: number): number {
  return Math.floor(nowNs / (intervalMs * 1e6));
}

/** The first snapshot's boundary: at least half an interval after the start, so the
 * first snapshot covers 0.5-1.5 intervals, about one as before, never a sliver. */
export function firstBoundaryIndex(startNs: number, intervalMs: number): number {
  return boundaryIndexAt(startNs + (intervalMs / 2) * 1e6, intervalMs) + 1;
}

export function decideTick(input: TickWaitInput): TickWait {
  const { boundaryIndex, intervalMs, nowNs } = input;
  const lateGroups = input.attachedGroups.filter((g) => (input.deliveredIndex.get(g) ?? -Infinity) < boundaryIndex);
  if (nowNs >= deadlineNs(boundaryIndex, intervalMs)) return { emit: true, lateGroups };
  const startNs = boundaryNs(boundaryIndex, intervalMs);
  if (nowNs < startNs) return { emit: false, untilNs: startNs };
  if (lateGroups.length === 0) return { emit: true, lateGroups };
  return { emit: false, untilNs: deadlineNs(boundaryIndex, intervalMs) };
}
