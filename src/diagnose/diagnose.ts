// Why is this host short of memory, because of what, and what to do: the KVM-host
// playbook (docs/diagnosis.md) applied to a window of snapshots. Pure: snapshots and
// thresholds in, a ranked diagnosis out.
import { formatBytes, formatDuration } from '../format/quantities.js';
import type { Cause, Diagnosis, HealthStatus, Snapshot, VmSnapshot } from '../model/snapshot.js';

export type { Cause, Diagnosis, HealthStatus };
import type { Thresholds } from './thresholds.js';
import { numaCauses } from './numa-rule.js';
import { slabRule } from './slab-rule.js';
import { balloonRule } from './balloon-rule.js';
import { thpCauses } from './thp-rule.js';
import { pageCacheCauses } from './page-cache-rule.js';
import { addGuestViews, guestMemoryRule } from './guest-memory-rule.js';
import { addDirectStalls, addKswapdRunNs, addMemcgStalls, addStallNs, isLibvirt, largestRows, pct, raiseLimitRemedy, round1, rowsBySubject, shrinkRemedy, subjectText, vmstatSum, type RuleContext, hostCause as hostCauseOf, rowCause as rowCauseOf } from './rule-context.js';

/** Rules kept in files of their own: each takes the window's context and the thresholds. */
const RULES: ReadonlyArray<(context: RuleContext, t: Thresholds) => Cause[]> = [numaCauses, slabRule, balloonRule, thpCauses, pageCacheCauses, guestMemoryRule];

export { isOwnTool } from './rule-context.js';

// Sums over the window and its rows, once per interval (module functions: see
// rule-context.ts, where the ones the rules share are).
const addIntervalMs = (sum: number, s: Snapshot): number => sum + s.intervalMs;
const addKswapdWakes = (sum: number, s: Snapshot): number => sum + s.host.kswapdWakes;
const addKsmdCpuMs = (sum: number, s: Snapshot): number => sum + (s.host.ksmdCpuMs ?? 0);
const addMemoryBytes = (sum: number, r: VmSnapshot): number => sum + r.memoryBytes;
const addKsmMergedPages = (sum: number, r: VmSnapshot): number => sum + r.ksmMergedPages;

export function diagnose(window: Snapshot[], t: Thresholds): Diagnosis {
  if (window.length === 0) {
    return { status: 'healthy', headline: 'no snapshots to judge', causes: [], window: { fromMs: 0, toMs: 0, snapshots: 0 } };
  }
  const first = window[0]!;
  const last = window.at(-1)!;
  const seconds = Math.max(1e-3, window.reduce(addIntervalMs, 0) / 1000);
  const bySubject = rowsBySubject(window);
  const causes: Cause[] = [];
  const host = last.host;
  const hostCause = (c: Omit<Cause, 'subject' | 'subjectId' | 'pid'>): void => {
    causes.push(hostCauseOf(c));
  };
  const rowCause = (row: VmSnapshot, c: Omit<Cause, 'subject' | 'subjectId' | 'pid'>): void => {
    causes.push(rowCauseOf(row, c));
  };
  const context: RuleContext = { window, last, seconds, bySubject };

  // host memory: available and used
  const availablePct = pct(host.memAvailableBytes, host.memTotalBytes);
  const usedPct = 100 - availablePct;
  if (host.memTotalBytes > 0 && (usedPct > t.hostUsedCriticalPct || availablePct < t.hostAvailableWarningPct)) {
    const critical = usedPct > t.hostUsedCriticalPct;
    const largest = largestRows(bySubject, 3);
    const top = largest[0];
    const hugetlb = host.hugetlbBytes ?? 0;
    const freePages = host.hugepageSizeBytes > 0 ? Math.floor((host.hugetlbFreeBytes ?? 0) / host.hugepageSizeBytes) : 0;
    // a free part of the pool of at least 5% of RAM: the cheapest memory to give back
    const idlePool = freePages > 0 && (host.hugetlbFreeBytes ?? 0) >= 0.05 * host.memTotalBytes;
    hostCause({
      cause: 'memory-low',
      severity: critical ? 'critical' : 'warning',
      title: critical
        ? `host memory ${round1(usedPct)}% used (above ${t.hostUsedCriticalPct}%)`
        : `host memory available ${round1(availablePct)}% (below ${t.hostAvailableWarningPct}%)`,
      evidence: [
        `MemAvailable ${formatBytes(host.memAvailableBytes)} of MemTotal ${formatBytes(host.memTotalBytes)}`,
        ...(largest.length ? [`largest: ${largest.map((r) => `${subjectText(r)} ${formatBytes(r.rss.totalBytes)}`).join(', ')}`] : []),
        ...(hugetlb > 0 ? [`hugetlb pools hold ${formatBytes(hugetlb)} (${round1(pct(hugetlb, host.memTotalBytes))}% of RAM, used whether mapped or not), ${formatBytes(host.hugetlbFreeBytes ?? 0)} of it free`] : []),
      ],
      // a pool with many free pages holds memory nobody uses: give that back first
      remedy: idlePool
        ? `shrink the hugetlb pool: ${formatBytes(host.hugetlbFreeBytes)} of it is free (${freePages} pages of ${formatBytes(host.hugepageSizeBytes)}): \`echo $(( $(cat /proc/sys/vm/nr_hugepages) - ${freePages} )) > /proc/sys/vm/nr_hugepages\`${top ? `; then ${subjectText(top)}: ${shrinkRemedy(top, top.rss.totalBytes * 0.75)}` : ''}`
        : top
          ? `free memory on the host: shrink the largest, ${subjectText(top)}: ${shrinkRemedy(top, top.rss.totalBytes * 0.75)}; or keep the VMs' memory at 80% of RAM`
          : 'free memory on the host, or keep the VMs\' memory at 80% of RAM',
      score: critical ? usedPct / t.hostUsedCriticalPct : t.hostAvailableWarningPct / Math.max(0.1, availablePct),
    });
  }

  // paging: swap-ins and swap-outs per second over the window
  // swap-ins and -outs of the swap device and of the zswap pool alike: a page going
  // to zswap is paged out too, only compressed in RAM (zswap writeback to the device
  // also counts in pswpout, so zswpwb is shown, not added)
  const swapIn = vmstatSum(window, 'pswpin') + vmstatSum(window, 'zswpin');
  const swapOut = vmstatSum(window, 'pswpout') + vmstatSum(window, 'zswpout');
  const zswapPages = vmstatSum(window, 'zswpin') + vmstatSum(window, 'zswpout');
  const pagesPerSec = (swapIn + swapOut) / seconds;
  if (pagesPerSec > t.pagingWarningPagesPerSec) {
    const swapped = [...bySubject.values()].map((s) => s.last).filter((r) => r.rss.swapBytes > 0).sort((a, b) => b.rss.swapBytes - a.rss.swapBytes);
    const top = swapped[0];
    hostCause({
      cause: 'paging',
      severity: 'warning',
      title: `the host is paging: ${Math.round(pagesPerSec)} pages/s to and from swap${zswapPages > 0 ? ' and zswap' : ''} (above ${t.pagingWarningPagesPerSec})`,
      evidence: [
        `${Math.round(swapIn / seconds)} pages/s in, ${Math.round(swapOut / seconds)} pages/s out over ${formatDuration(seconds * 1000)}${zswapPages > 0 ? ` (zswap: ${Math.round(vmstatSum(window, 'zswpin') / seconds)} in, ${Math.round(vmstatSum(window, 'zswpout') / seconds)} out, ${Math.round(vmstatSum(window, 'zswpwb') / seconds)} written back per second)` : ''}`,
        `swap used ${formatBytes(host.swapUsedBytes)} of ${formatBytes(host.swapTotalBytes)}${host.zswapBytes > 0 ? `, zswap pool ${formatBytes(host.zswapBytes)}${host.zswappedBytes > 0 ? ` holding ${formatBytes(host.zswappedBytes)} (compressed ${round1(host.zswappedBytes / host.zswapBytes)}:1)` : ''}` : ''}`,
        ...(swapped.length ? [`swapped out: ${swapped.slice(0, 3).map((r) => `${subjectText(r)} ${formatBytes(r.rss.swapBytes)}${r.cgroup.swapBytes > 0 && r.cgroup.path !== '/' ? ` (its memory cgroup ${r.cgroup.path}: ${formatBytes(r.cgroup.swapBytes)})` : ''}`).join(', ')}`] : []),
      ],
      remedy: top
        ? `give memory back so ${subjectText(top)} stops swapping: ${shrinkRemedy(top, top.rss.totalBytes * 0.75)}; or enable zswap (\`echo 1 > /sys/module/zswap/parameters/enabled\`)`
        : 'free memory on the host, or enable zswap (`echo 1 > /sys/module/zswap/parameters/enabled`)',
      score: pagesPerSec / Math.max(1e-9, t.pagingWarningPagesPerSec),
    });
  }

  // kswapd reclaiming in the background most of the time
  const kswapdNs = window.reduce(addKswapdRunNs, 0);
  const kswapdPct = (100 * kswapdNs) / (seconds * 1e9);
  if (kswapdPct > t.kswapdBusyWarningPct) {
    const scanned = vmstatSum(window, 'pgscanKswapd');
    const stolen = vmstatSum(window, 'pgstealKswapd');
    hostCause({
      cause: 'kswapd-busy',
      severity: 'warning',
      title: `kswapd reclaiming ${Math.round(kswapdPct)}% of the time (above ${t.kswapdBusyWarningPct}%)`,
      evidence: [`kswapd ran ${formatDuration(kswapdNs / 1e6)} in ${formatDuration(seconds * 1000)}, woke ${window.reduce(addKswapdWakes, 0)} times; scanned ${Math.round(scanned / seconds)} pages/s, reclaimed ${Math.round(stolen / seconds)} pages/s`],
      remedy: 'the host keeps running short of free pages: free memory (see memory-low and the largest VMs), or drop page cache that is not needed',
      score: kswapdPct / Math.max(1e-9, t.kswapdBusyWarningPct),
    });
  }

  // pressure: PSI memory
  if (host.psiMemFullAvg10 > t.psiFullCriticalPct || host.psiMemSomeAvg10 > t.psiSomeWarningPct) {
    const critical = host.psiMemFullAvg10 > t.psiFullCriticalPct;
    hostCause({
      cause: 'pressure',
      severity: critical ? 'critical' : 'warning',
      title: critical
        ? `all non-idle tasks stalled on memory ${round1(host.psiMemFullAvg10)}% of the time (PSI full, above ${t.psiFullCriticalPct}%)`
        : `tasks stalled on memory ${round1(host.psiMemSomeAvg10)}% of the time (PSI some, above ${t.psiSomeWarningPct}%)`,
      evidence: [`/proc/pressure/memory avg10: some ${round1(host.psiMemSomeAvg10)}%, full ${round1(host.psiMemFullAvg10)}%`],
      remedy: 'see the reclaim stalls below for who waits; free memory on the host',
      score: critical ? host.psiMemFullAvg10 / Math.max(1e-9, t.psiFullCriticalPct) : host.psiMemSomeAvg10 / Math.max(1e-9, t.psiSomeWarningPct),
    });
  }

  // overcommit: the VMs' configured memory against RAM
  const vms: VmSnapshot[] = [];
  for (const { last: r } of bySubject.values()) if (r.kind === 'vm' && !r.exit) vms.push(r);
  const configured = vms.reduce(addMemoryBytes, 0);
  const overcommitPct = pct(configured, host.memTotalBytes);
  if (host.memTotalBytes > 0 && overcommitPct > t.overcommitWarningPct) {
    const ksmBytes = vms.reduce(addKsmMergedPages, 0) * 4096;
    const excess = configured - host.memTotalBytes;
    const ksmdPct = (100 * context.window.reduce(addKsmdCpuMs, 0)) / (seconds * 1000);
    hostCause({
      cause: 'overcommit',
      severity: 'warning',
      title: `VMs are configured with ${round1(overcommitPct)}% of RAM (above ${t.overcommitWarningPct}%)`,
      evidence: [
        `${vms.length} VMs configured ${formatBytes(configured)}, MemTotal ${formatBytes(host.memTotalBytes)}: ${formatBytes(Math.max(0, excess))} more than RAM`,
        `given back: KSM ${host.ksmState ? `${host.ksmState}, ` : ''}merged ${formatBytes(ksmBytes)}${host.ksmPagesSharing > 0 ? ` (pages_sharing ${host.ksmPagesSharing}, ${formatBytes(host.ksmPagesSharing * 4096)} saved host-wide)${excess > 0 ? `, ${round1(pct(host.ksmPagesSharing * 4096, excess))}% of the excess` : ''}` : ''}${ksmdPct > 0 ? `, ksmd using ${round1(ksmdPct)}% of a CPU` : ''}, swap used ${formatBytes(host.swapUsedBytes)}`,
        ...(host.thpEnabled ? [`THP ${host.thpEnabled}, defrag ${host.thpDefrag}`] : []),
      ],
      remedy: `bring the configured total to 80% of RAM (${formatBytes(host.memTotalBytes * 0.8)}): move a VM to another host, or lower its memory; ${host.ksmState === 'off' ? 'KSM is off: `echo 1 > /sys/kernel/mm/ksm/run` merges identical guest pages, and balloons' : 'KSM and balloons'} cover the rest only while guests are idle`,
      score: overcommitPct / Math.max(1e-9, t.overcommitWarningPct),
    });
  }

  // OOM kills in the window
  for (const s of window) {
    for (const e of s.events) {
      if (e.type !== 'oom-kill') continue;
      const row = [...bySubject.values()].find((x) => x.last.pid === e.pid)?.last;
      const limited = row && row.cgroup.limitBytes > 0 && row.cgroup.limitBytes < host.memTotalBytes;
      const name = row ? subjectText(row) : `${e.comm} (pid ${e.pid})`;
      const c: Omit<Cause, 'subject' | 'subjectId' | 'pid'> = {
        cause: 'oom-kill',
        severity: 'critical',
        title: `${name} was OOM-killed ${limited ? `at its cgroup's limit (${row!.cgroup.path})` : 'by the host running out of memory'}`,
        evidence: [e.message, ...(limited ? [`cgroup ${row!.cgroup.path}: limit ${formatBytes(row!.cgroup.limitBytes)}`] : [])],
        remedy: limited
          ? `${raiseLimitRemedy(row!.cgroup.path, row)}, or find what grew in it`
          : 'free memory on the host (see memory-low), and keep the VMs\' memory at 80% of RAM',
        score: 10,
      };
      if (row) rowCause(row, c);
      else causes.push({ subject: e.comm || `pid ${e.pid}`, subjectId: e.vmId, pid: e.pid, ...c });
    }
  }

  for (const { last: row, rows } of bySubject.values()) {
    // reclaim stalls: time stalled per second of the window
    const stallNs = rows.reduce(addStallNs, 0);
    const msPerSec = stallNs / 1e6 / seconds;
    if (msPerSec > t.reclaimStallWarningMsPerSec) {
      const critical = msPerSec > t.reclaimStallCriticalMsPerSec;
      const memcg = rows.reduce(addMemcgStalls, 0);
      const direct = rows.reduce(addDirectStalls, 0);
      const inCgroup = memcg >= direct && row.cgroup.limitBytes > 0;
      rowCause(row, {
        cause: 'reclaim-stall',
        severity: critical ? 'critical' : 'warning',
        title: `${subjectText(row)} stalled in ${inCgroup ? 'its cgroup\'s' : 'direct'} reclaim ${Math.round(msPerSec)} ms per second (above ${critical ? t.reclaimStallCriticalMsPerSec : t.reclaimStallWarningMsPerSec})`,
        evidence: [`${direct} direct and ${memcg} memcg reclaim stalls, ${formatDuration(stallNs / 1e6)} in all over ${formatDuration(seconds * 1000)}`],
        remedy: inCgroup
          ? `raise ${row.cgroup.path}'s limit (${formatBytes(row.cgroup.limitBytes)} now)${isLibvirt(row) ? ` or \`virsh memtune ${row.name} --hard-limit SIZE\`` : ''}`
          : 'the host is short of memory: see memory-low (memory in use) or page-cache (a reader churning the page cache) for what fills it',
        score: msPerSec / Math.max(1e-9, t.reclaimStallWarningMsPerSec),
      });
    }
    // a memory cgroup near its limit (a limit below RAM is a real one)
    const { cgroup } = row;
    if (!row.exit && cgroup.limitBytes > 0 && cgroup.limitBytes < host.memTotalBytes && pct(cgroup.usageBytes, cgroup.limitBytes) > t.cgroupNearLimitPct) {
      const hits = rows.at(-1)!.cgroup.limitHits - rows[0]!.cgroup.limitHits;
      rowCause(row, {
        cause: 'cgroup-near-limit',
        severity: 'warning',
        title: `${subjectText(row)}'s memory cgroup is at ${round1(pct(cgroup.usageBytes, cgroup.limitBytes))}% of its limit (above ${t.cgroupNearLimitPct}%)`,
        evidence: [`cgroup ${cgroup.path}: usage ${formatBytes(cgroup.usageBytes)} of limit ${formatBytes(cgroup.limitBytes)}${hits > 0 ? `, limit hit ${hits} times in the window` : ''}`],
        remedy: `${raiseLimitRemedy(cgroup.path, row)}, or it will reclaim, swap, then be OOM-killed`,
        score: pct(cgroup.usageBytes, cgroup.limitBytes) / Math.max(1e-9, t.cgroupNearLimitPct),
      });
    }
    // the leak detectors' current verdict
    if (!row.exit && row.leak.verdict === 'leak') {
      rowCause(row, {
        cause: 'leak',
        severity: 'warning',
        title: `${subjectText(row)} keeps growing: ${formatBytes(row.leak.growthBytesPerSec)}/s`,
        evidence: row.findings.filter((f) => f.verdict === 'leak').map((f) => `${f.detector}: ${f.message}`),
        remedy: row.kind === 'vm'
          ? `the guest or QEMU grows: check the guest's own memory, then ${shrinkRemedy(row, row.memoryBytes || row.rss.totalBytes)}`
          : `find where: \`sudo faultline leaks --pid ${row.pid}\``,
        score: 1,
      });
    }
  }

  // memory cgroups near their limits whose processes have no row here
  const rowCgroups = new Set<string>();
  for (const { last: r } of bySubject.values()) if (r.cgroup.path) rowCgroups.add(r.cgroup.path);
  for (const cgroup of host.limitedCgroups ?? []) {
    const usedPct = pct(cgroup.usageBytes, cgroup.limitBytes);
    if (rowCgroups.has(cgroup.path) || cgroup.limitBytes >= host.memTotalBytes || usedPct <= t.cgroupNearLimitPct) continue;
    causes.push({
      cause: 'cgroup-near-limit',
      severity: 'warning',
      subject: cgroup.path,
      subjectId: '',
      pid: 0,
      title: `memory cgroup ${cgroup.path} is at ${round1(usedPct)}% of its limit (above ${t.cgroupNearLimitPct}%)`,
      evidence: [`usage ${formatBytes(cgroup.usageBytes)} of limit ${formatBytes(cgroup.limitBytes)}; limit hit ${cgroup.limitHits} times, ${cgroup.oomKills} OOM kills since it was made; none of its processes is a VM or among the busiest (--pid shows one)`],
      remedy: `${raiseLimitRemedy(cgroup.path)}, or it will reclaim, swap, then be OOM-killed`,
      score: usedPct / Math.max(1e-9, t.cgroupNearLimitPct),
    });
  }

  // the rules that live in files of their own (src/diagnose/*-rule.ts)
  for (const rule of RULES) causes.push(...rule(context, t));
  // the guest's own view of its memory beside every other cause about a libvirt VM
  const ranked = addGuestViews(causes, context);

  ranked.sort((a, b) => (a.severity === b.severity ? b.score - a.score : a.severity === 'critical' ? -1 : 1));
  const status: HealthStatus = ranked.some((c) => c.severity === 'critical') ? 'critical' : ranked.length ? 'warning' : 'healthy';
  const headline = ranked.length
    ? `${status}: ${ranked[0]!.title}${ranked.length > 1 ? ` (+${ranked.length - 1} more)` : ''}`
    : `healthy: ${formatBytes(host.memAvailableBytes)} of ${formatBytes(host.memTotalBytes)} available; no OOM kill, paging, pressure and reclaim stalls under their thresholds over ${formatDuration(seconds * 1000)}`;
  return { status, headline, causes: ranked, window: { fromMs: first.timeMs - first.intervalMs, toMs: last.timeMs, snapshots: window.length } };
}
