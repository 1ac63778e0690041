// smaps and smaps_rollup walk a process's page tables: ~13 us per MiB resident in
// 4 KiB pages here, so 14-23 ms of CPU for a VM with 512 MiB resident and ~0.4 s for
// 16 GiB (docs/benchmarks.md). Reading them for 100 VMs every second cannot keep a
// 1 s interval. So they are read for a few processes per interval, the ones read
// longest ago first (a new process at once), within a count and an estimated CPU
// cost (by RSS: a 16 GiB VM costs as much as 32 VMs of 512 MiB); in between, a VM's guest-RAM
// resident bytes are carried forward and moved by the change in its anon + shmem RSS
// from /proc/PID/status (which costs nothing), so the charts stay live. Pure.

export interface WalkedValues {
  seq: number;
  guestRamResidentBytes: number;
  guestRamHugeBytes: number;
  anonHugeBytes: number;
  /** RssAnon + RssShmem when these were read. */
  anonShmemBytes: number;
}

/** CPU a page walk costs per MiB resident in 4 KiB pages, measured here (smaps of a
 * process with 512 MiB resident: 6.7-7.4 ms; 2 GiB: 22-26 ms). Huge pages walk
 * faster, so this over-estimates a THP-backed VM: it only gets walked less often. */
export const WALK_MS_PER_RESIDENT_MIB = 0.013;

export interface WalkCandidate {
  id: string;
  /** RSS from /proc/PID/stat: what a walk has to go through. */
  residentBytes: number;
  /** Its faults and RSS did not move since its detail was last read (read now only
   * for a refresh: src/collect/detail-reuse.ts): what a walk finds moved only if the
   * kernel changed its pages on its own (khugepaged), so it is walked rarely. */
  statUnchanged?: boolean;
}

export interface WalkBudget {
  maxWalks: number;
  /** Estimated CPU of all walks in one interval, ms. One walk always fits, so every
   * process is walked in turn however big it is. */
  maxCostMs: number;
  /** A process whose faults and RSS did not move is walked again only this many
   * intervals after its last walk. */
  unchangedEveryIntervals: number;
}

/** Page walks per interval at most, by default: a fleet's first walks take its size / 8 intervals. */
export const PAGE_WALKS_PER_INTERVAL = 8;

export function walkCostMs(residentBytes: number): number {
  return (residentBytes / 2 ** 20) * WALK_MS_PER_RESIDENT_MIB;
}

/** Which candidates get a page walk this interval: never-walked first, then the ones
 * walked longest ago, while the count and the estimated cost stay within budget. */
export function choosePageWalks(all: WalkCandidate[], lastWalk: Map<string, WalkedValues>, budget: WalkBudget, seq: number): Set<string> {
  const candidates: WalkCandidate[] = [];
  for (const c of all) if (!c.statUnchanged || seq - (lastWalk.get(c.id)?.seq ?? -Infinity) >= budget.unchangedEveryIntervals) candidates.push(c);
  const never = candidates.filter((c) => !lastWalk.has(c.id));
  const stale = candidates.filter((c) => lastWalk.has(c.id)).sort((a, b) => lastWalk.get(a.id)!.seq - lastWalk.get(b.id)!.seq);
  const chosen = new Set<string>();
  let costMs = 0;
  for (const c of [...never, ...stale]) {
    const cost = walkCostMs(c.residentBytes);
    if (chosen.size >= budget.maxWalks || (chosen.size > 0 && costMs + cost > budget.maxCostMs)) break;
    chosen.add(c.id);
    costMs += cost;
  }
  return chosen;
}

/** Guest-RAM resident bytes between two walks: the last walk, moved by what anon +
 * shmem RSS did since, within [0, memoryBytes]. */
export function carriedGuestRam(last: WalkedValues, anonShmemNow: number, memoryBytes: number): number {
  const moved = last.guestRamResidentBytes + (anonShmemNow - last.anonShmemBytes);
  return Math.max(0, memoryBytes > 0 ? Math.min(memoryBytes, moved) : moved);
}
