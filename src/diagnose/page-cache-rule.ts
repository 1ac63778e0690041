// page-cache: something reads through the host page cache faster than RAM can hold it
// (a backup, a copy, a VM whose disks use cache=writeback), so the page cache fills
// RAM and kswapd evicts it as fast as it is read in: kswapd never sleeps, the reader
// and whoever else allocates stall in direct reclaim, and every other file the host
// had cached (VM images, binaries) is evicted with it. Memory is not short (page cache
// counts as available), it churns. Host-wide, naming the reader. Pure.
//
//   page-cache pressure                      memory pushed out by something else
//   Cached   ~~~~~~~~~~~~~~~~~~ (full,       Cached   ‾‾‾‾‾\______  (shrinks: anon,
//            refilled as fast as evicted)                          shmem took it)
//   kswapd   ################## reclaiming   kswapd   ######
//   reader   ||| | || direct-reclaim stalls
//
// Inputs (all in the snapshot already): /proc/vmstat's pgscan/pgsteal for kswapd and
// direct reclaim, swap-outs (pswpout, zswpout: reclaimed anonymous pages), Cached of
// /proc/meminfo, and the rows' reclaim stalls (probes/reclaim.bt).
// Fires when, over the window, both:
//   1. kswapd reclaims page cache faster than `pageCacheReclaimWarningMiBPerSec` (100):
//      pgsteal_kswapd less the swap-outs (without swap all reclaim is file pages).
//      kswapd only: a reader held by its own cgroup's limit reclaims in that cgroup,
//      in its own task (memcg reclaim; pgsteal_direct on recent kernels), which is
//      the remedy working, not host pressure.
//      Where 100 comes from: an idle host reclaims nothing; on the 2-core test host a
//      reader of a sparse file made kswapd reclaim 1.8-4.7 GiB/s (test/kernel/
//      diagnosis-page-cache.test.ts), 20-50 times that; and 100 MiB/s already
//      replaces a 10 GiB page cache in under two minutes: a host's VM images and
//      binaries do not stay cached.
//   2. more than `pageCacheRefilledPct` (50) % of the page cache reclaimed (kswapd and
//      direct) came back as new page cache: Cached at the window's end, less at its
//      start, less what the rows' shmem grew (shmem, e.g. memfd guest RAM, counts in
//      Cached), plus what was reclaimed. A page cache that is refilled as fast as it
//      is evicted is churning (about 100%); one that shrinks while kswapd reclaims it
//      is being pushed out by anonymous memory, slab or shmem (about 0%): then the
//      page cache is not the cause, whatever grew is (memory-low, leak, slab-growth).
//   Needs two snapshots (the change in Cached); with one, nothing is said.
// The reader: read() puts pages in the page cache, not in the reader's RSS (its
// rss.fileBytes counts mapped file pages only), so rows do not show who reads. Who
// allocates fastest while free memory is at the watermark stalls in direct reclaim:
// the row with the most direct-reclaim stall time in the window is named (subject),
// with its stalls; with none the subject is the host and the reader unknown.
// Severity and rank: the churn is the cause of the reclaim in the same window, so it
// takes the worst of the symptoms it explains, as their own rules judge them: the
// reader's stalls (reclaim-stall: critical past `reclaimStallCriticalMsPerSec`, 100
// ms per second), PSI memory (pressure: critical past `psiFullCriticalPct`, 5% full)
// and kswapd's run time (kswapd-busy). Warning otherwise. Score: the reclaim rate
// against its threshold (above 1 once it fires) plus the highest of those rules'
// scores, so it ranks above each symptom it explains and the first remedy is the one
// that stops them (freeing memory does not: the page cache fills it again).
//
// Example (test/kernel/diagnosis-page-cache.test.ts on a 2-core, 23.5 GiB host with
// 16.6 GiB in a hugetlb pool; a two-thread reader of a 9 GiB sparse file):
//   1. [critical] page cache churning: kswapd reclaims 4.67 GiB/s of it (above 100 MiB/s); read-file (pid 5315) stalls most in direct reclaim
//      page cache (Cached) 6.18 GiB, 26.3% of RAM: 50.8 GiB of it evicted and 50.8 GiB read in over 10 s, all of it replaced every 1.22 s
//      kswapd scanned 1.22M pages/s, reclaimed 1.22M pages/s; direct reclaim scanned 108k pages/s, reclaimed 108k pages/s, over 11 s
//      read-file (pid 5315) stalled in direct reclaim 15678 times, 473 ms in all (43 ms per second)
//      also stalled in direct reclaim: node diagnosis-page-cache.test.ts (pid 5301) 634 µs
//      tasks stalled on memory (PSI avg10): some 16%, full 10.1% (above 5%)
//      do: limit read-file (pid 5315)'s page cache: run it in a memory cgroup with a ceiling (cgroup v2 memory.high, ...
//   2. [critical] all non-idle tasks stalled on memory 10.1% of the time (PSI full, above 5%)
//   3. [warning] read-file (pid 5315) stalled in direct reclaim 43 ms per second (above 10)
import { formatBytes, formatBytesPerSec, formatCount, formatDuration } from '../format/quantities.js';
import type { Cause, VmSnapshot } from '../model/snapshot.js';
import { addDirectStalls, addKswapdRunNs, addMemcgStalls, addStallNs, hostCause, isLibvirt, MiB, pct, round1, rowCause, subjectText, vmstatSum, type RuleContext } from './rule-context.js';
import type { Thresholds } from './thresholds.js';

/** /proc/vmstat counts pages: 4 KiB on x86-64 (and most arm64 kernels). */
const PAGE_BYTES = 4096;

interface Stalled {
  row: VmSnapshot;
  direct: number;
  memcg: number;
  stallNs: number;
}

/** Rows that stalled in direct reclaim in the window, the longest first. */
function directStallers(context: RuleContext): Stalled[] {
  const out: Stalled[] = [];
  for (const { last, rows } of context.bySubject.values()) {
    const direct = rows.reduce(addDirectStalls, 0);
    if (direct === 0) continue;
    out.push({
      row: last,
      direct,
      memcg: rows.reduce(addMemcgStalls, 0),
      stallNs: rows.reduce(addStallNs, 0),
    });
  }
  return out.sort((a, b) => b.stallNs - a.stallNs);
}

/** What limits the reader's page cache, in the words that fit it. */
function remedyFor(reader: VmSnapshot | undefined): string {
  if (!reader) {
    return 'find the reader (a backup, a copy, a VM with cache=writeback disks: `faultline live --pid PID` shows one process\'s direct-reclaim stalls), then limit its page cache: memory.high of its cgroup, O_DIRECT or posix_fadvise(POSIX_FADV_DONTNEED); for a VM, cache=\'none\' io=\'native\' on its disks';
  }
  if (reader.kind === 'vm') {
    const how = isLibvirt(reader)
      ? `\`virsh edit ${reader.name}\`: cache='none' io='native' in each <disk>'s <driver>, then restart it`
      : reader.vmid
        ? `\`qm set ${reader.vmid} --scsi0 STORAGE:DISK,cache=none,aio=native\` (each disk), then restart it`
        : 'QEMU `-drive ...,cache=none,aio=native` (each disk)';
    return `${subjectText(reader)}'s disk I/O goes through the host page cache (cache=writeback, QEMU's default for -drive): give its disks cache='none' io='native', ${how}; the guest keeps its own page cache`;
  }
  return `limit ${subjectText(reader)}'s page cache: run it in a memory cgroup with a ceiling (cgroup v2 memory.high, e.g. \`systemd-run --scope -p MemoryHigh=1G CMD\`; memory.limit_in_bytes on v1), whose page cache is then reclaimed in that cgroup, not host-wide; or have it read with O_DIRECT, or drop what it read with posix_fadvise(POSIX_FADV_DONTNEED)`;
}

export function pageCacheCauses(context: RuleContext, t: Thresholds): Cause[] {
  const { window, seconds, last } = context;
  if (window.length < 2) return [];
  const host = last.host;
  const swappedOut = vmstatSum(window, 'pswpout') + vmstatSum(window, 'zswpout');
  const kswapdFileBytesPerSec = (Math.max(0, vmstatSum(window, 'pgstealKswapd') - swappedOut) * PAGE_BYTES) / seconds;
  if (kswapdFileBytesPerSec <= t.pageCacheReclaimWarningMiBPerSec * MiB) return [];

  // refilled: page cache reclaimed since the first snapshot, against what Cached did
  // meanwhile (the first snapshot's own reclaim happened before its Cached was read)
  const secondsSinceFirst = window.slice(1).reduce((total, s) => total + s.intervalMs, 0) / 1000;
  const reclaimedSinceFirst = Math.max(0, vmstatSum(window, 'pgstealKswapd', 1) + vmstatSum(window, 'pgstealDirect', 1) - vmstatSum(window, 'pswpout', 1) - vmstatSum(window, 'zswpout', 1)) * PAGE_BYTES;
  const shmemGrowth = [...context.bySubject.values()].reduce((total, { rows }) => total + rows.at(-1)!.rss.shmemBytes - rows[0]!.rss.shmemBytes, 0);
  const cacheChange = host.cachedBytes - window[0]!.host.cachedBytes - shmemGrowth;
  const refilledPct = pct(reclaimedSinceFirst + cacheChange, reclaimedSinceFirst);
  if (reclaimedSinceFirst === 0 || refilledPct <= t.pageCacheRefilledPct) return [];

  const stallers = directStallers(context);
  const top = stallers[0];
  const reader = top?.row;
  const readerMsPerSec = top ? top.stallNs / 1e6 / seconds : 0;
  const stallCritical = readerMsPerSec > t.reclaimStallCriticalMsPerSec;
  const psiCritical = host.psiMemFullAvg10 > t.psiFullCriticalPct;
  const psiWarning = host.psiMemSomeAvg10 > t.psiSomeWarningPct;
  const critical = stallCritical || psiCritical;
  const kswapdPct = (100 * window.reduce(addKswapdRunNs, 0)) / (seconds * 1e9);
  const symptomScore = Math.max(
    readerMsPerSec / Math.max(1e-9, t.reclaimStallWarningMsPerSec),
    psiCritical ? host.psiMemFullAvg10 / Math.max(1e-9, t.psiFullCriticalPct) : host.psiMemSomeAvg10 / Math.max(1e-9, t.psiSomeWarningPct),
    kswapdPct / Math.max(1e-9, t.kswapdBusyWarningPct),
  );
  const fileBytesPerSec = (Math.max(0, vmstatSum(window, 'pgstealKswapd') + vmstatSum(window, 'pgstealDirect') - swappedOut) * PAGE_BYTES) / seconds;
  const perSec = (pages: number): string => `${formatCount(Math.round(pages / seconds))} pages/s`;
  const c: Omit<Cause, 'subject' | 'subjectId' | 'pid'> = {
    cause: 'page-cache',
    severity: critical ? 'critical' : 'warning',
    title: `page cache churning: kswapd reclaims ${formatBytesPerSec(kswapdFileBytesPerSec)} of it (above ${t.pageCacheReclaimWarningMiBPerSec} MiB/s)${reader ? `; ${subjectText(reader)} stalls most in direct reclaim` : ''}`,
    evidence: [
      `page cache (Cached) ${formatBytes(host.cachedBytes)}, ${round1(pct(host.cachedBytes, host.memTotalBytes))}% of RAM: ${formatBytes(reclaimedSinceFirst)} of it evicted and ${formatBytes(Math.max(0, reclaimedSinceFirst + cacheChange))} read in over ${formatDuration(1000 * secondsSinceFirst)}, all of it replaced every ${formatDuration((1000 * host.cachedBytes) / Math.max(1, fileBytesPerSec))}`,
      `kswapd scanned ${perSec(vmstatSum(window, 'pgscanKswapd'))}, reclaimed ${perSec(vmstatSum(window, 'pgstealKswapd'))}; direct reclaim scanned ${perSec(vmstatSum(window, 'pgscanDirect'))}, reclaimed ${perSec(vmstatSum(window, 'pgstealDirect'))}${swappedOut > 0 ? `; ${perSec(swappedOut)} of it to swap` : ''}, over ${formatDuration(seconds * 1000)}`,
      ...(top
        ? [
            `${subjectText(top.row)} stalled in direct reclaim ${top.direct} times${top.memcg > 0 ? ` (and ${top.memcg} times in its cgroup's)` : ''}, ${formatDuration(top.stallNs / 1e6)} in all (${round1(readerMsPerSec)} ms per second${stallCritical ? `, above ${t.reclaimStallCriticalMsPerSec}` : ''})`,
            ...(stallers.length > 1 ? [`also stalled in direct reclaim: ${stallers.slice(1, 4).map((s) => `${subjectText(s.row)} ${formatDuration(s.stallNs / 1e6)}`).join(', ')}`] : []),
          ]
        : ['no VM or process with a row stalled in direct reclaim (kswapd keeps up): the reader is not known; its pages are not in its RSS']),
      ...(psiCritical || psiWarning ? [`tasks stalled on memory (PSI avg10): some ${round1(host.psiMemSomeAvg10)}%, full ${round1(host.psiMemFullAvg10)}%${psiCritical ? ` (above ${t.psiFullCriticalPct}%)` : ''}`] : []),
    ],
    remedy: remedyFor(reader),
    score: kswapdFileBytesPerSec / Math.max(1, t.pageCacheReclaimWarningMiBPerSec * MiB) + symptomScore,
  };
  return [reader ? rowCause(reader, c) : hostCause(c)];
}
