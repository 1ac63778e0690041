// The host's memory-management state a test compares before and after a window: what,
// when it moved, lets the kernel change a process's pages with no fault of its own
// (KSM merging; migration, huge-page collapse and split), so that a test can tell
// "faultline read nothing again" from "nothing it watches moved".
import { readFileSync } from 'node:fs';
import { PAGE_MOVER_COUNTERS } from '../../src/collect/page-walks.js';

/** KSM's run state and page counts ("run pages_shared pages_sharing"; '-' where absent). */
export const ksmCounts = (): string =>
  ['run', 'pages_shared', 'pages_sharing'].map((f) => { try { return readFileSync(`/sys/kernel/mm/ksm/${f}`, 'utf8').trim(); } catch { return '-'; } }).join(' ');

/** KSM counts that say it is off and can have merged nothing since `before`. */
export const ksmStillSince = (before: string): boolean => ksmCounts() === before && !/^[12] /.test(before);

/** /proc/vmstat's page-mover counters (src/collect/page-walks.ts), in one string. */
export const pageMoverCounts = (): string => {
  const vmstat = readFileSync('/proc/vmstat', 'utf8');
  return PAGE_MOVER_COUNTERS.map((c) => new RegExp(`^${c} (\\d+)$`, 'm').exec(vmstat)?.[1] ?? '-').join(' ');
};
