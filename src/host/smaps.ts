// /proc/PID/smaps_rollup and /proc/PID/smaps. Pure.
//
// smaps_rollup (4.14+) is one block summing every mapping; smaps is one block per
// mapping. Both make the kernel walk every page table (~13 us per MiB of 4 KiB pages
// here). smaps is read only for VMs whose guest RAM we found, to learn how much of
// guest RAM is resident and how much of it is in huge pages; the process's
// AnonHugePages then come from it too, so a VM costs one walk, not two.
//   7f3c40000000-7f3c60000000 rw-p 00000000 00:00 0     <- header, start as %08lx
//   Size:             524288 kB
//   Rss:              131072 kB
//   ...
//   VmFlags: rd wr mr mw me ac sd
import { kbLineBytes } from './proc-status.js';

export interface SmapsRollup {
  rssBytes: number;
  anonHugeBytes: number;
  anonBytes: number;
  swapBytes: number;
}

export function parseSmapsRollup(text: string): SmapsRollup {
  return {
    rssBytes: kbLineBytes(text, 'Rss'),
    anonHugeBytes: kbLineBytes(text, 'AnonHugePages'),
    anonBytes: kbLineBytes(text, 'Anonymous'),
    swapBytes: kbLineBytes(text, 'Swap'),
  };
}

/** Whether an smaps line starts a mapping block (headers begin with a lowercase hex address). */
const isHeader = (line: string): boolean => /^[0-9a-f]+-[0-9a-f]+ /.test(line);

/** The kB lines of one smaps block we add up: Rss, which leaves out hugetlbfs pages
 * (guest RAM on huge pages), so the Hugetlb lines too; and the huge-page lines, THP
 * (AnonHugePages, and ShmemPmdMapped/FilePmdMapped for guest RAM in a memfd or file). */
const MAPPING_LINE = /^(Rss|AnonHugePages|ShmemPmdMapped|FilePmdMapped|Private_Hugetlb|Shared_Hugetlb):\s+(\d+) kB/;

export interface MappingPages {
  /** Rss + Private_Hugetlb + Shared_Hugetlb */
  residentBytes: number;
  /** The part of it in huge pages: THP (AnonHugePages + ShmemPmdMapped +
   * FilePmdMapped) or hugetlbfs (Private_Hugetlb + Shared_Hugetlb). */
  hugeBytes: number;
}

/**
 * Resident bytes of the mapping that starts at `start`, and how many of them are in
 * huge pages, from a whole smaps file; 0 and 0 when no mapping starts there. Scans
 * line by line and stops at the end of that block.
 */
export function pagesOfMapping(smapsText: string, start: number): MappingPages {
  const header = `${start.toString(16).padStart(8, '0')}-`;
  let inBlock = false;
  let residentKb = 0;
  let hugeKb = 0;
  let lineStart = 0;
  while (lineStart < smapsText.length) {
    let lineEnd = smapsText.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = smapsText.length;
    const line = smapsText.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    if (isHeader(line)) {
      if (inBlock) break; // the block ended
      inBlock = line.startsWith(header);
    } else if (inBlock) {
      const m = MAPPING_LINE.exec(line);
      if (!m) continue;
      const kb = Number(m[2]);
      if (m[1] === 'Rss') residentKb += kb;
      else if (m[1]!.endsWith('Hugetlb')) {
        residentKb += kb;
        hugeKb += kb;
      } else hugeKb += kb;
    }
  }
  return { residentBytes: residentKb * 1024, hugeBytes: hugeKb * 1024 };
}

/** Resident bytes of the mapping that starts at `start` (pagesOfMapping's first half). */
export function residentBytesOfMapping(smapsText: string, start: number): number {
  return pagesOfMapping(smapsText, start).residentBytes;
}

/** AnonHugePages summed over every mapping of a whole smaps file: what smaps_rollup
 * says, without walking the page tables a second time when smaps is read anyway. */
export function anonHugeBytesOfSmaps(smapsText: string): number {
  let kb = 0;
  for (const match of smapsText.matchAll(/^AnonHugePages:\s+(\d+) kB/gm)) kb += Number(match[1]);
  return kb * 1024;
}
