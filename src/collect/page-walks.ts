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
   * intervals after its last walk... */
  unchangedEveryIntervals: number;
  /** ...and, when the kernel moved no page on its own since (`pagesMovedSeq`), only
   * this many (default: unchangedEveryIntervals). */
  stillEveryIntervals?: number;
  /** The last interval the kernel was seen to move pages on its own (pagesMovedBetween,
   * KSM); Infinity (the default): unknown, as if always. */
  pagesMovedSeq?: number;
}

/** Refresh periods between the walks of a process whose faults and RSS did not move
 * (src/collect/collector.ts: 30 x 10 intervals of 1 s, 5 min)... */
export const WALK_UNCHANGED_PERIODS = 30;
/** ...and while the kernel moved no page on its own anywhere (30 min). */
export const WALK_STILL_PERIODS = 180;

/** /proc/vmstat's counters of the pages the kernel moves, splits or merges with no
 * fault and no RSS change in the process that maps them: migration (NUMA balancing,
 * compaction, numad's move_pages, demotion to a slower tier: numa_maps), khugepaged's
 * and MADV_COLLAPSE's collapses and the splits of huge pages (AnonHugePages). What a
 * page walk (smaps, numa_maps) of such a process finds changes only when one of them
 * moves, or KSM runs (src/collect/collector.ts), or it remaps (mremap: not watched;
 * hence the backstop, WALK_STILL_PERIODS). */
export const PAGE_MOVER_COUNTERS = [
  'pgmigrate_success',
  'thp_migration_success',
  'numa_pages_migrated',
  'pgdemote_kswapd',
  'pgdemote_direct',
  'pgdemote_khugepaged',
  'thp_collapse_alloc',
  'thp_split_pmd',
  'thp_split_page',
];

/** Whether any page-mover counter moved between two /proc/vmstat reads; true when
 * either read is empty (unreadable: unknown). A counter the kernel does not have (no
 * THP, no migration) cannot move. */
export function pagesMovedBetween(before: Record<string, number>, now: Record<string, number>): boolean {
  if (Object.keys(before).length === 0 || Object.keys(now).length === 0) return true;
  for (const counter of PAGE_MOVER_COUNTERS) if (before[counter] !== now[counter]) return true;
  return false;
}

/** Whether a process whose faults and RSS did not move since its last walk (at
 * `walkSeq`; undefined: never walked) is due for another at `seq`: after
 * `unchangedEveryIntervals` if the kernel moved pages since that walk, else after
 * `stillEveryIntervals`. A move seen in the walk's own interval counts (the host is
 * read after the processes). */
export function unchangedWalkDue(walkSeq: number | undefined, seq: number, budget: WalkBudget): boolean {
  if (walkSeq === undefined) return true;
  const age = seq - walkSeq;
  if (age < budget.unchangedEveryIntervals) return false;
  if ((budget.pagesMovedSeq ?? Infinity) >= walkSeq) return true;
  return age >= (budget.stillEveryIntervals ?? budget.unchangedEveryIntervals);
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
  for (const c of all) if (!c.statUnchanged || unchangedWalkDue(lastWalk.get(c.id)?.seq, seq, budget)) candidates.push(c);
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
