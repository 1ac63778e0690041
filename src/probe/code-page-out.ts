// Gives back the code pages a bpftrace touched only to compile its program.
//
// A bpftrace that attached keeps ~65 MiB of LLVM's and clang's library pages resident
// (docs/benchmarks.md, "Code pages given back"), though from then on it only reads
// perf buffers and prints maps. They are clean file pages that nothing else maps: the
// kernel would reclaim them under pressure, but until then they count in faultline's
// RSS and PSS, and reclaim would first have to find them. After attach, faultline
// asks the kernel to page them out now: process_madvise(MADV_PAGEOUT) on bpftrace's
// read-only mappings of the compiler's libraries (libLLVM*, libclang*; Linux 5.10+,
// CAP_SYS_NICE). Only those: a page of a library other programs use too (libz,
// libstdc++...) that bpftrace alone maps at that moment would leave the page cache,
// and the next program to start with it would read it from disk again, a cost put on
// others for ~1-3 MiB. A page another process maps is left alone by the kernel, and a
// page bpftrace uses again comes back on its next touch.
//
// Node cannot make a system call it has no binding for, so a fixed perl program
// makes these two (pidfd_open 434 and process_madvise 440: one number on every
// architecture since Linux 5.1's common table). It takes the pid and the ranges as
// arguments, numbers written by us; nothing of the user's reaches it. Without perl,
// or on an older kernel, the pages stay resident and faultline says why once.
import { execa } from 'execa';
import type { Mapping } from '../model/host.js';
import { parseMaps } from '../host/proc-maps.js';
import { kbLineBytes } from '../host/proc-status.js';
import { readTextOrNull } from '../host/read-proc-file.js';

/** One process_madvise call takes at most UIO_MAXIOV (1024) ranges; fewer per call
 * keeps each argument string small. */
const RANGES_PER_CALL = 256;
const MADV_PAGEOUT = 21;

const PAGE_OUT_PROGRAM = `
my ($pid, @ranges) = @ARGV;
my $fd = syscall(434, $pid + 0, 0);
if ($fd < 0) { print STDERR "pidfd_open: $!\\n"; exit 2; }
my $advised = 0;
while (@ranges) {
  my @chunk = splice(@ranges, 0, ${RANGES_PER_CALL});
  my $iov = join '', map { my ($s, $e) = split /-/; pack('QQ', hex($s), hex($e) - hex($s)) } @chunk;
  my $done = syscall(440, $fd + 0, $iov, scalar(@chunk), ${MADV_PAGEOUT}, 0);
  if ($done < 0) { print STDERR "process_madvise: $!\\n"; exit 3; }
  $advised += $done;
}
print "$advised\\n";
`;

/** The compiler's libraries, by file name: libLLVM-14.so.1, libLLVM.so.19.1,
 * libclang-14.so.13, libclang-cpp.so.19. */
const COMPILER_LIBRARY = /\/lib(LLVM|clang)[-.][^/]*$/;

/** The mappings worth paging out: the read-only mappings (code and constants) of the
 * compiler's libraries. Their writable data holds anonymous copies that paging out
 * would push to swap; it is left alone. Pure. */
export function codeMappings(mappings: readonly Mapping[]): Mapping[] {
  return mappings.filter((m) => COMPILER_LIBRARY.test(m.path) && !m.perms.includes('w') && m.end > m.start);
}

/** `start-end` in hex, as the perl program takes them. Pure. */
export function rangeArgs(mappings: readonly Mapping[]): string[] {
  return mappings.map((m) => `${m.start.toString(16)}-${m.end.toString(16)}`);
}

export type PageOutResult =
  | { ok: true; rssBeforeBytes: number; rssAfterBytes: number }
  | { ok: false; reason: string };

/** Pages out `pid`'s compiler code; says how its RSS moved, or why it did not. Never
 * throws. */
export async function pageOutCode(pid: number, perlPath = 'perl'): Promise<PageOutResult> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return { ok: false, reason: `bad pid ${pid}` };
  const [maps, rollupBefore] = await Promise.all([
    readTextOrNull(`/proc/${pid}/maps`), readTextOrNull(`/proc/${pid}/smaps_rollup`),
  ]);
  if (maps === null || rollupBefore === null) return { ok: false, reason: `process ${pid} is gone` };
  const ranges = rangeArgs(codeMappings(parseMaps(maps)));
  if (ranges.length === 0) return { ok: false, reason: 'no LLVM or clang library mapped (a static bpftrace?)' };
  let result;
  try {
    result = await execa(perlPath, ['-e', PAGE_OUT_PROGRAM, String(pid), ...ranges], { reject: false, stdin: 'ignore', timeout: 10_000 });
  } catch (error) {
    return { ok: false, reason: `perl could not run: ${(error as Error).message}` };
  }
  if (result.failed) {
    const why = (result as { code?: string }).code === 'ENOENT' ? `${perlPath} not found` : String(result.stderr).trim() || String(result.shortMessage);
    return { ok: false, reason: why };
  }
  const rollupAfter = await readTextOrNull(`/proc/${pid}/smaps_rollup`);
  if (rollupAfter === null) return { ok: false, reason: `process ${pid} is gone` };
  return { ok: true, rssBeforeBytes: kbLineBytes(rollupBefore, 'Rss'), rssAfterBytes: kbLineBytes(rollupAfter, 'Rss') };
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);

/** `faultline:   WHAT given back: RSS a -> b MiB`, or why they stay. Pure. */
function pageOutLine(what: string, result: PageOutResult): string {
  return result.ok
    ? `faultline:   ${what} given back: RSS ${mib(result.rssBeforeBytes)} -> ${mib(result.rssAfterBytes)} MiB`
    : `faultline:   ${what} stay resident: ${result.reason}`;
}

/** The start's log lines: one per bpftrace (the groups sharing one share its result
 * object). Pure. */
export function pageOutLines(byGroup: ReadonlyArray<readonly [string, PageOutResult | undefined]>): string[] {
  const groupsOf = new Map<PageOutResult, string[]>();
  for (const [group, result] of byGroup) {
    if (result) groupsOf.set(result, [...(groupsOf.get(result) ?? []), group]);
  }
  return [...groupsOf].map(([result, groups]) =>
    pageOutLine(`bpftrace's compiler pages${groupsOf.size > 1 ? ` (${groups.join(', ')})` : ''}`, result));
}
