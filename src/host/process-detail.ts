// Everything we read about one process we report in detail this interval. IO.
//
// A process can exit, and its pid be reused, while we read its files one by one.
// Every read tolerates a missing file, and at the end we read /proc/PID/stat again:
// if the process is gone or its start time changed, the data may mix two processes
// and we return null. (A pid cannot be reused while its process lives, so the same
// start time at the end means every file came from the process we meant.)
//
// Files: cmdline, status, maps, ksm_stat, cgroup (+ its memory files), numa_maps only
// when asked (it walks page tables), and one page-table walk when asked: smaps for a
// VM whose guest RAM was found (guest RAM's resident bytes, and THP), else
// smaps_rollup (THP).
import type { Mapping, ProcessDetail, ProcessStat } from '../model/host.js';
import type { CgroupMemory } from '../model/snapshot.js';
import { parseProcCgroup } from './cgroup-path.js';
import { readCgroupMemory } from './cgroup-memory.js';
import { parseKsmStat, parseNumaMaps } from './ksm-numa.js';
import { findGuestRam, parseMaps } from './proc-maps.js';
import { readProcessStat } from './proc-stat.js';
import { parseProcStatus } from './proc-status.js';
import { readLockedTextOrNull, readTextOrNull } from './read-proc-file.js';
import { anonHugeBytesOfSmaps, pagesOfMapping, parseSmapsRollup } from './smaps.js';

export interface DetailOptions {
  /** The VM's guest memory size (0 for processes): the guest-RAM mapping has exactly this size. */
  memoryBytes: number;
  readNuma: boolean;
  /** Read smaps/smaps_rollup (they walk page tables: costly for big VMs). When false,
   * guestRamResidentBytes, guestRamHugeBytes and anonHugeBytes are -1 (not read).
   * Default true. */
  readPageWalks?: boolean;
  /** The argv read at an earlier interval, if the caller kept it: cmdline takes the
   * process's mmap lock and a thread-pool read (~0.3 ms of CPU), for a value that does
   * not change while the process lives (unless it execs: the caller keys it by comm). */
  knownArgv?: string[];
  /** The maps read at an earlier interval, when the caller knows the process took no
   * fault since (its maps are only used to name fault regions and find guest RAM):
   * maps takes the mmap lock and is the longest of these files for a QEMU process. */
  knownMappings?: Mapping[];
  /** Cgroup memory already read this interval, by cgroup paths: many processes share
   * a cgroup (every host process in the root, a VM's helpers in its scope). */
  cgroupReads?: Map<string, Promise<CgroupMemory>>;
  /** false: KSM shared no page at the host's last read (/sys/kernel/mm/ksm/pages_shared
   * 0), so no process has pages merged (ksm_merging_pages counts pages in KSM's stable
   * tree, whose pages pages_shared counts) and ksm_stat is not read. Default true. */
  ksmShares?: boolean;
  /** The re-check of the process's stat after its files were read (default: open and
   * read /proc/PID/stat; the collector's ProcStatReader.readOne preads a held descriptor). */
  readStat?: (pid: number) => ProcessStat | null;
}

/** argv from a NUL-separated cmdline; [] for kernel threads and zombies. */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  const argv = text.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  return argv;
}

/** The process's argv, or null when it has exited. */
export async function readArgv(procRoot: string, pid: number): Promise<string[] | null> {
  const text = await readTextOrNull(`${procRoot}/${pid}/cmdline`);
  return text === null ? null : parseCmdline(text);
}

async function ksmMergedPages(dir: string): Promise<number> {
  const ksmStat = await readTextOrNull(`${dir}/ksm_stat`);
  if (ksmStat?.includes('ksm_merging_pages')) return parseKsmStat(ksmStat);
  // 5.19-6.0 have only the one-number file
  return Number((await readTextOrNull(`${dir}/ksm_merging_pages`)) ?? 0) || 0;
}

/** The memory cgroup named by a /proc/PID/cgroup text, read once per interval per
 * cgroup when the caller passes `cgroupReads`. */
function cgroupMemoryOf(cgroupRoot: string, cgroupText: string, cgroupReads?: Map<string, Promise<CgroupMemory>>): Promise<CgroupMemory> {
  const { memoryPath, unifiedPath } = parseProcCgroup(cgroupText);
  const key = `${memoryPath}\0${unifiedPath}`;
  const read = cgroupReads?.get(key) ?? readCgroupMemory(cgroupRoot, memoryPath, unifiedPath);
  cgroupReads?.set(key, read);
  return read;
}

/** A process's memory cgroup alone (for a process whose other detail is carried), or
 * null when it has exited. */
export async function readProcessCgroupMemory(procRoot: string, cgroupRoot: string, pid: number, cgroupReads?: Map<string, Promise<CgroupMemory>>): Promise<CgroupMemory | null> {
  const cgroupText = await readTextOrNull(`${procRoot}/${pid}/cgroup`);
  return cgroupText === null ? null : cgroupMemoryOf(cgroupRoot, cgroupText, cgroupReads);
}

export async function readProcessDetail(
  procRoot: string,
  cgroupRoot: string,
  stat: ProcessStat,
  opts: DetailOptions,
): Promise<ProcessDetail | null> {
  const dir = `${procRoot}/${stat.pid}`;
  const [cmdline, status, maps, rollup, ksmPages, numaMaps, cgroupText] = await Promise.all([
    opts.knownArgv ? Promise.resolve('') : readLockedTextOrNull(`${dir}/cmdline`),
    readTextOrNull(`${dir}/status`),
    opts.knownMappings ? Promise.resolve('') : readLockedTextOrNull(`${dir}/maps`),
    // a VM's AnonHugePages come from its smaps below (one page-table walk, not two)
    opts.readPageWalks === false || opts.memoryBytes > 0 ? Promise.resolve(null) : readLockedTextOrNull(`${dir}/smaps_rollup`),
    opts.ksmShares === false ? 0 : ksmMergedPages(dir),
    opts.readNuma ? readLockedTextOrNull(`${dir}/numa_maps`) : Promise.resolve(null),
    readTextOrNull(`${dir}/cgroup`),
  ]);
  if (cmdline === null || status === null) return null;

  const mappings = opts.knownMappings ?? parseMaps(maps ?? '');
  const guestRam = findGuestRam(mappings, opts.memoryBytes);
  const walk = opts.readPageWalks !== false;
  const smaps = guestRam && walk ? await readLockedTextOrNull(`${dir}/smaps`) : null;
  // a VM whose guest RAM was not found has no smaps read: its rollup then
  const rollupText = walk && smaps === null && rollup === null ? await readLockedTextOrNull(`${dir}/smaps_rollup`) : rollup;
  const cgroup = await cgroupMemoryOf(cgroupRoot, cgroupText ?? '', opts.cgroupReads);

  const after = opts.readStat ? opts.readStat(stat.pid) : readProcessStat(procRoot, stat.pid);
  if (after === null || after.startTimeTicks !== stat.startTimeTicks) return null;
  const guestRamPages = guestRam && smaps ? pagesOfMapping(smaps, guestRam.start) : null;

  return {
    pid: stat.pid,
    startTimeTicks: stat.startTimeTicks,
    argv: opts.knownArgv ?? parseCmdline(cmdline),
    status: parseProcStatus(status),
    mappings,
    guestRam,
    // a smaps read that failed (the process exiting under us) is unknown, not 0: the
    // collector carries the last reading forward
    guestRamResidentBytes: !walk || (guestRam && smaps === null) ? -1 : guestRamPages?.residentBytes ?? 0,
    guestRamHugeBytes: !walk || (guestRam && smaps === null) ? -1 : guestRamPages?.hugeBytes ?? 0,
    anonHugeBytes: !walk ? -1 : smaps !== null ? anonHugeBytesOfSmaps(smaps) : parseSmapsRollup(rollupText ?? '').anonHugeBytes,
    ksmMergedPages: ksmPages,
    numa: numaMaps === null ? [] : parseNumaMaps(numaMaps),
    cgroup,
  };
}
