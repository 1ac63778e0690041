// /proc/PID/status memory lines (proc(5)). Pure.
//   VmRSS:     1632 kB    resident set, = RssAnon + RssFile + RssShmem
//   RssAnon:    112 kB    anonymous (QEMU: guest RAM + its own heap)
//   RssFile:   1520 kB    file mappings (binaries, libraries)
//   RssShmem:     0 kB    shared memory (memfd/shm guest RAM lands here)
//   VmSwap:       0 kB    anonymous memory swapped out
// Kernel threads have no Vm*/Rss* lines: every field is then 0.
import type { ProcStatus } from '../model/host.js';

/** One "Name:  value kB" line's bytes, found by name (0 when there is none or it does
 * not read as such a line; blanks around the value as a line's trailing ones are
 * taken). No Map and no string per line: status is ~55 lines, read for ten processes
 * an interval at 100 VMs, and five of its lines are used. smaps_rollup is read the
 * same way (src/host/smaps.ts). */
export function kbLineBytes(text: string, name: string): number {
  let at = text.startsWith(`${name}:`) ? 0 : text.indexOf(`\n${name}:`);
  if (at < 0) return 0;
  at += (at === 0 ? 0 : 1) + name.length + 1;
  const valueFrom = at;
  while (isBlank(text.charCodeAt(at))) at += 1;
  if (at === valueFrom) return 0;
  let value = 0;
  const digitsFrom = at;
  for (let c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) value = value * 10 + (c - 48);
  if (at === digitsFrom || !text.startsWith(' kB', at)) return 0;
  at += 3;
  while (isBlank(text.charCodeAt(at))) at += 1;
  return at >= text.length || text.charCodeAt(at) === 10 ? value * 1024 : 0;
}

/** Space, tab, carriage return, vertical tab, form feed: the blanks a regular
 * expression's \s and trimEnd take within a line. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

export function parseProcStatus(text: string): ProcStatus {
  return {
    rssBytes: kbLineBytes(text, 'VmRSS'),
    anonBytes: kbLineBytes(text, 'RssAnon'),
    fileBytes: kbLineBytes(text, 'RssFile'),
    shmemBytes: kbLineBytes(text, 'RssShmem'),
    swapBytes: kbLineBytes(text, 'VmSwap'),
  };
}
