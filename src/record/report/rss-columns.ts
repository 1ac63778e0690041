// Which kinds of RSS the report's tables show, one column each: a kind that is zero
// in every row (shmem and swap, most of the time) is left out. Pure.
import type { VmReport } from './build-report.js';

export type RssKind = 'anonBytes' | 'fileBytes' | 'shmemBytes' | 'swapBytes';
export type RssColumn = [kind: RssKind, heading: string];

const RSS_COLUMNS: RssColumn[] = [['anonBytes', 'anon'], ['fileBytes', 'file'], ['shmemBytes', 'shmem'], ['swapBytes', 'swap']];

/** The kinds some row has, at its peak or at the end. */
export function rssColumns(vms: readonly VmReport[]): RssColumn[] {
  return RSS_COLUMNS.filter(([kind]) => vms.some((v) => v.rss.peak[kind] > 0 || v.rss.final[kind] > 0));
}
