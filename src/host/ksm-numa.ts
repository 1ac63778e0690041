// /proc/PID/ksm_stat and /proc/PID/numa_maps. Pure.
//
// ksm_stat (6.1+):           ksm_rmap_items 0 / ksm_zero_pages 0 / ksm_merging_pages 0 / ...
//   ksm_merging_pages is how many of the process's pages KSM merged. Early versions
//   of the file have only ksm_rmap_items (KSM's bookkeeping entries, not merged
//   pages): then we report 0 and the caller may read /proc/PID/ksm_merging_pages.
// numa_maps (numa(7)), one line per mapping:
//   7f3c40000000 default anon=131072 dirty=131072 N0=65536 N1=65536 kernelpagesize_kB=4
//   N<node>=<pages> counts pages of kernelpagesize_kB (2048 for hugetlbfs mappings).
import type { NumaNodeBytes } from '../model/snapshot.js';

export function parseKsmStat(text: string): number {
  const match = /^ksm_merging_pages\s+(\d+)$/m.exec(text);
  return match?.[1] ? Number(match[1]) : 0;
}

export function parseNumaMaps(text: string, pageSizeBytes = 4096): NumaNodeBytes[] {
  const bytesByNode = new Map<number, number>();
  for (const line of text.split('\n')) {
    const pageSize = /\skernelpagesize_kB=(\d+)/.exec(line);
    const lineBytesPerPage = pageSize?.[1] ? Number(pageSize[1]) * 1024 : pageSizeBytes;
    for (const match of line.matchAll(/\sN(\d+)=(\d+)/g)) {
      const node = Number(match[1]);
      bytesByNode.set(node, (bytesByNode.get(node) ?? 0) + Number(match[2]) * lineBytesPerPage);
    }
  }
  return [...bytesByNode]
    .sort(([a], [b]) => a - b)
    .map(([node, bytes]) => ({ node, bytes }));
}
