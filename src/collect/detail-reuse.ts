// When a process's detail (status, maps, cgroup, ksm_stat...) can be carried from the
// last read instead of read again. Reading it costs 0.3-1 ms of CPU per process
// (docs/benchmarks.md, "Scale"); at 100 VMs every interval that alone is most of the
// collector's cost, while a paused or idle VM's memory does not move.
//
// A process's resident memory grows only through faults (minflt/majflt; pages faulted
// in for it by another task, vhost or GUP, still move its RSS) and shrinks only with
// its RSS, all of which /proc/PID/stat shows, read every interval anyway: while they
// stand still, status (RSS by kind, swap) and maps-derived values stand still too. Its
// memory cgroup is another matter: a process that ran (utime/stime moved) may have
// charged page cache to it by read()/write() with no fault, so the collector re-reads
// the cgroup alone for those (`ranSince`). What can move with none of these (KSM
// merging its pages, page cache charged to its cgroup by another process) is caught by
// a refresh: every process is read again at least once every `refreshEveryIntervals`,
// in full, or only its cgroup while its refreshes are quiet (`detailRead`: KSM off and
// still, and the growth probe saw it change no mapping and free nothing with madvise),
// in a slot of its own, given in turn as processes are first read (not the pid modulo
// the period: VMs started together have pids a stride apart, and a stride of 10 would
// put them all in one slot), so that the refreshes of 100 VMs spread evenly over the
// period instead of landing on one interval. Pure.
import type { ProcessStat } from '../model/host.js';

/** What a process's stat line said when its detail was last read. */
export interface DetailStamp {
  seq: number;
  /** Its refresh interval within each period (0 .. period - 1). */
  slot: number;
  minflt: number;
  majflt: number;
  rssPages: number;
  cpuTicks: number;
}

export function stampOf(stat: ProcessStat, seq: number, slot: number): DetailStamp {
  return { seq, slot, minflt: stat.minflt, majflt: stat.majflt, rssPages: stat.rssPages, cpuTicks: stat.cpuTicks };
}

/** Whether the process's memory counters (faults, RSS) are what they were when its
 * detail was read. */
export function statUnchanged(stamp: DetailStamp, stat: ProcessStat): boolean {
  return stamp.minflt === stat.minflt && stamp.majflt === stat.majflt && stamp.rssPages === stat.rssPages;
}

/** Whether the process used CPU since its detail was read (its cgroup may have moved). */
export function ranSince(stamp: DetailStamp, stat: ProcessStat): boolean {
  return stamp.cpuTicks !== stat.cpuTicks;
}

/** A process whose refreshes are quiet (below) is still read in full this many refresh
 * periods after its last full read: the backstop for what nothing here watches. The
 * page walks of an unchanged process (smaps: guest RAM, THP) have this period while
 * the kernel moves pages on its own, and a longer one while it does not
 * (src/collect/page-walks.ts, WALK_UNCHANGED_PERIODS, WALK_STILL_PERIODS). */
export const QUIET_REFRESH_PERIODS = 30;

/** What to read of a process at interval `seq`: nothing (its detail holds), its memory
 * cgroup alone, or all of it. Nothing only while its faults and RSS did not move since
 * `stamp`; all when they did, with no stamp, or with `refreshEveryIntervals` <= 1.
 * `quiet`: what could move its status or ksm_stat with no fault and no RSS change did
 * not happen since its last full read, as far as the caller watches: KSM did not run
 * and its page counts (/sys/kernel/mm/ksm) stood still, and the growth probe watched
 * every mapping change and madvise that frees memory, with none seen for the process
 * (a munmap or MADV_DONTNEED of swapped-out pages lowers VmSwap and not RSS); the
 * collector also wants its page walk not due (walks come with full reads). The refresh
 * slot then reads only its cgroup, which another process's page cache can fill (a full
 * read costs a status read, a re-read of stat and, where KSM runs, ksm_stat; the cgroup
 * is one shared read per cgroup per interval), until QUIET_REFRESH_PERIODS. Not quiet:
 * all on its slot and once the reading is a period old (intervals skipped). */
export function detailRead(stamp: DetailStamp | undefined, stat: ProcessStat, seq: number, refreshEveryIntervals: number, quiet: boolean): 'none' | 'cgroup' | 'all' {
  if (!stamp || refreshEveryIntervals <= 1) return 'all';
  if (!statUnchanged(stamp, stat)) return 'all';
  const age = seq - stamp.seq;
  const slot = seq % refreshEveryIntervals === stamp.slot % refreshEveryIntervals;
  if (!quiet) return slot || age >= refreshEveryIntervals ? 'all' : 'none';
  if (age >= QUIET_REFRESH_PERIODS * refreshEveryIntervals) return 'all';
  return slot ? 'cgroup' : 'none';
}

/** The tracepoints that see a process's mappings change (probes/growth.bt): with all
 * three attached and no event lost, a process the probe did not see map, unmap or move
 * its break has the maps it had. */
export const MAPPING_CHANGE_POINTS = ['syscalls:sys_enter_mmap', 'syscalls:sys_enter_munmap', 'syscalls:sys_exit_brk'];

/** The tracepoint that sees memory freed with madvise (probes/growth.bt: DONTNEED, FREE,
 * REMOVE, COLD, PAGEOUT): with the mapping points, what makes a refresh quiet. */
export const MADVISE_POINT = 'syscalls:sys_enter_madvise';

/** A refresh of a process whose faults and RSS did not move keeps its maps this many
 * refresh periods, or, while the growth probe watches mappings change, this many. */
export const MAPS_REFRESH_PERIODS = 6;
export const MAPS_WATCHED_REFRESH_PERIODS = 60;

export interface MapsReading {
  /** The interval the maps were read at. */
  mapsSeq: number;
  /** The last interval the growth probe saw the process map, unmap or move its break
   * (undefined: never). An event counts in the batch of the interval it ended, and the
   * maps of that interval were read after it: one at mapsSeq is in the reading. */
  changeSeq: number | undefined;
  /** Since when the probe has watched every mapping change with none lost (null: it
   * does not now). */
  watchedSince: number | null;
}

/** Whether a refresh at interval `seq` may keep the maps of a process whose faults and
 * RSS did not move since they were read. Its maps only name the regions it faults in
 * (a process that faulted has them read again) and find guest RAM; what changes them
 * is mmap, munmap, brk (watched: seen, the maps are read again) and mremap, mprotect,
 * shmat (not: hence a backstop, the longer one while the probe watches). */
export function mayKeepMaps(reading: MapsReading, seq: number, refreshEveryIntervals: number): boolean {
  const age = seq - reading.mapsSeq;
  const watched = reading.watchedSince !== null && reading.watchedSince <= reading.mapsSeq;
  if (!watched) return age < MAPS_REFRESH_PERIODS * refreshEveryIntervals;
  // seen to change since: read again
  if ((reading.changeSeq ?? -Infinity) > reading.mapsSeq) return false;
  return age < MAPS_WATCHED_REFRESH_PERIODS * refreshEveryIntervals;
}
