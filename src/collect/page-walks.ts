// smaps and smaps_rollup walk a process's page tables: ~13 us per MiB resident in
// 4 KiB pages here, so 14-23 ms of CPU for a VM with 512 MiB resident and ~0.4 s for
// 16 GiB (docs/benchmarks.md). Reading them for 100 VMs every second cannot keep a
// 1 s interval. So they are read for at most `budget` processes per interval, the
// ones read longest ago first (a new process at once); in between, a VM's guest-RAM
// resident bytes are carried forward and moved by the change in its anon + shmem RSS
// from /proc/PID/status (which costs nothing), so the charts stay live. Pure.

export interface WalkedValues {
  seq: number;
  guestRamResidentBytes: number;
  anonHugeBytes: number;
  /** RssAnon + RssShmem when these were read. */
  anonShmemBytes: number;
}

/** Which of `ids` get a page walk this interval. */
export function choosePageWalks(ids: string[], lastWalk: Map<string, WalkedValues>, budget: number): Set<string> {
  const never = ids.filter((id) => !lastWalk.has(id));
  const stale = ids.filter((id) => lastWalk.has(id)).sort((a, b) => lastWalk.get(a)!.seq - lastWalk.get(b)!.seq);
  return new Set([...never, ...stale].slice(0, Math.max(budget, never.length > 0 ? 1 : 0)));
}

/** Guest-RAM resident bytes between two walks: the last walk, moved by what anon +
 * shmem RSS did since, within [0, memoryBytes]. */
export function carriedGuestRam(last: WalkedValues, anonShmemNow: number, memoryBytes: number): number {
  const moved = last.guestRamResidentBytes + (anonShmemNow - last.anonShmemBytes);
  return Math.max(0, memoryBytes > 0 ? Math.min(memoryBytes, moved) : moved);
}
