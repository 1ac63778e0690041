// /proc/PID/status memory lines (proc(5)). Pure.
//   VmRSS:     1632 kB    resident set, = RssAnon + RssFile + RssShmem
//   RssAnon:    112 kB    anonymous (QEMU: guest RAM + its own heap)
//   RssFile:   1520 kB    file mappings (binaries, libraries)
//   RssShmem:     0 kB    shared memory (memfd/shm guest RAM lands here)
//   VmSwap:       0 kB    anonymous memory swapped out
// Kernel threads have no Vm*/Rss* lines: every field is then 0.
import type { ProcStatus } from '../model/host.js';

/** "Name:  value kB" lines as bytes; lines without a kB unit are skipped. */
export function parseKbLines(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+) kB$/.exec(line.trimEnd());
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]) * 1024);
  }
  return values;
}

export function parseProcStatus(text: string): ProcStatus {
  const kb = parseKbLines(text);
  return {
    rssBytes: kb.get('VmRSS') ?? 0,
    anonBytes: kb.get('RssAnon') ?? 0,
    fileBytes: kb.get('RssFile') ?? 0,
    shmemBytes: kb.get('RssShmem') ?? 0,
    swapBytes: kb.get('VmSwap') ?? 0,
  };
}
