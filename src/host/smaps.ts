// /proc/PID/smaps_rollup and /proc/PID/smaps. Pure.
//
// smaps_rollup (4.14+) is one block summing every mapping; cheap. smaps is one
// block per mapping and makes the kernel walk every page table: we read it only
// for VMs whose guest RAM we found, to learn how much of guest RAM is resident.
//   7f3c40000000-7f3c60000000 rw-p 00000000 00:00 0     <- header, start as %08lx
//   Size:             524288 kB
//   Rss:              131072 kB
//   ...
//   VmFlags: rd wr mr mw me ac sd
import { parseKbLines } from './proc-status.js';

export interface SmapsRollup {
  rssBytes: number;
  anonHugeBytes: number;
  anonBytes: number;
  swapBytes: number;
}

export function parseSmapsRollup(text: string): SmapsRollup {
  const kb = parseKbLines(text);
  return {
    rssBytes: kb.get('Rss') ?? 0,
    anonHugeBytes: kb.get('AnonHugePages') ?? 0,
    anonBytes: kb.get('Anonymous') ?? 0,
    swapBytes: kb.get('Swap') ?? 0,
  };
}

/** Whether an smaps line starts a mapping block (headers begin with a lowercase hex address). */
const isHeader = (line: string): boolean => /^[0-9a-f]+-[0-9a-f]+ /.test(line);

/**
 * Rss of the mapping that starts at `start`, from a whole smaps file; 0 when no
 * mapping starts there. Scans line by line and stops at the end of that block.
 */
export function residentBytesOfMapping(smapsText: string, start: number): number {
  const header = `${start.toString(16).padStart(8, '0')}-`;
  let inBlock = false;
  let lineStart = 0;
  while (lineStart < smapsText.length) {
    let lineEnd = smapsText.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = smapsText.length;
    const line = smapsText.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    if (isHeader(line)) {
      if (inBlock) return 0; // the block ended without an Rss line
      inBlock = line.startsWith(header);
    } else if (inBlock && line.startsWith('Rss:')) {
      const kb = /^Rss:\s+(\d+) kB/.exec(line);
      return kb?.[1] ? Number(kb[1]) * 1024 : 0;
    }
  }
  return 0;
}
