// THP: is each VM's guest RAM in huge pages (thp-low), and what getting them costs
// (compaction-stall). Pure.
//
//   thp-low                                        compaction-stall
//   web01 guest RAM |##########| 98% huge: fine    fault -> no free 2 MiB block -> compact,
//   db02  guest RAM |#.........|  4% huge          the faulting vCPU waits (defrag always,
//                                                  or madvise: QEMU madvises guest RAM)
//
// A guest whose RAM sits in 4 KiB host pages pays a longer two-dimensional page walk on
// every TLB miss (EPT/NPT over the guest's own tables): a speed cost, not a memory
// shortage, so a thp-low cause scores at most 1 and ranks after the memory causes of
// its severity. QEMU madvises guest RAM MADV_HUGEPAGE, so THP `madvise` (or `always`)
// gives guest RAM huge pages; `never`, QEMU run with THP disabled (prctl
// PR_SET_THP_DISABLE, inherited from its launcher), KSM (merging splits a huge page),
// swap and fragmentation take them away.
//
// Inputs: the row's guestRamBytes and guestRamHugeBytes (smaps of the guest-RAM
// mapping: AnonHugePages, or the Hugetlb lines for guest RAM on hugetlbfs), its KSM
// merged pages, the host's THP modes, and each row's compaction time (the reclaim
// probe's mm_compaction_begin/end: direct compaction in the faulting task; kcompactd's
// background work is a kernel thread's and never a row).
// Thresholds (src/diagnose/thresholds.ts):
//   thpGuestRamHugeWarningPct 50: less than half of the VM's resident guest RAM in huge
//     pages. Healthy VMs under THP madvise show 90-100% (the scenario here: 100%); a
//     VM without THP shows 0. 0 turns the cause off, for a fleet that runs without THP
//     on purpose.
//   thpMinGuestRamMiB 1024: a VM with less guest RAM resident is small, or barely used
//     since it booted: its TLB misses cost little, and it is left alone.
//   compactionStallWarningMsPerSec 10: 1% of each second stalled in compaction, as for
//     reclaim stalls.
// Not judged: a host whose THP mode is unknown (no /sys/kernel/mm/transparent_hugepage,
// or a recording made before faultline read it), and a row with huge pages outside
// guest RAM but none counted inside (a recording made before faultline read the
// guest-RAM mapping's own).
import { formatBytes, formatDuration } from '../format/quantities.js';
import type { Cause, HostStats, VmSnapshot } from '../model/snapshot.js';
import { MiB, isLibvirt, pct, round1, rowCause, subjectText, type RuleContext } from './rule-context.js';
import type { Thresholds } from './thresholds.js';

const THP_SYSFS = '/sys/kernel/mm/transparent_hugepage';
const PAGE_BYTES = 4096;

/** Why the VM's guest RAM is not in huge pages, and what to do, from the evidence. */
function thpRemedy(row: VmSnapshot, host: HostStats, ksmBytes: number, smallBytes: number): string {
  if (host.thpEnabled === 'never') {
    return `THP is off on this host: \`echo madvise > ${THP_SYSFS}/enabled\` (QEMU madvises guest RAM, so guest RAM gets huge pages and other programs only when they ask); new faults get them at once, khugepaged collapses what is resident over time (restarting or migrating ${row.name} gets them all)`;
  }
  if (ksmBytes > smallBytes / 2) {
    const keepOff = isLibvirt(row) ? `\`<memoryBacking><nosharepages/></memoryBacking>\` in ${row.name}'s domain XML` : 'QEMU `-machine mem-merge=off`';
    return `KSM merged ${formatBytes(ksmBytes)} of it, and merging splits huge pages: the memory KSM saves costs this VM speed; if its speed matters more, keep KSM off its memory (${keepOff})`;
  }
  return `THP is ${host.thpEnabled} here, yet ${row.name}'s guest RAM is in small pages: \`grep THP_enabled /proc/${row.pid}/status\` (0: QEMU runs with THP disabled, prctl PR_SET_THP_DISABLE from its launcher) and THPeligible of its guest RAM in /proc/${row.pid}/smaps; if memory is fragmented (thp_fault_fallback in /proc/vmstat rising), \`echo 1 > /proc/sys/vm/compact_memory\``;
}

const OTHER_HIGH_ORDER = 'other high-order allocations (large page-cache folios, network buffers, kernel stacks) finding memory fragmented';

/** How to stop stalls in compaction, by the defrag mode and who stalls. `thpSeen`: the
 * host allocated huge pages at fault in the window, or the row holds some; without
 * either, THP is not what compacts. */
function compactionRemedy(row: VmSnapshot, defrag: string, thpSeen: boolean): string {
  if (!thpSeen) {
    return `no huge page was allocated at fault in the window and ${row.name} holds none, so these are ${OTHER_HIGH_ORDER}: \`echo 1 > /proc/sys/vm/compact_memory\` compacts once; a higher vm.min_free_kbytes keeps more free; for a process reading files, less page cache (see page-cache) leaves more room`;
  }
  const defer = `\`echo defer > ${THP_SYSFS}/defrag\`: a THP fault then takes a 4 KiB page at once, kcompactd compacts in the background and khugepaged collapses later`;
  if (defrag === 'always') {
    return row.kind === 'vm'
      ? `set THP defrag to defer, ${defer} (madvise would not help ${row.name}: QEMU madvises guest RAM)`
      : `set THP defrag to madvise (\`echo madvise > ${THP_SYSFS}/defrag\`): only programs that ask for huge pages wait for them; or to defer, ${defer}`;
  }
  if (defrag === 'madvise' || defrag === 'defer+madvise') return `set THP defrag to defer, ${defer} (${defrag} lets ${row.kind === 'vm' ? 'guest RAM, which QEMU madvises,' : 'memory that asked for huge pages'} compact in the fault)`;
  return `THP defrag is ${defrag || 'unknown'}, so these are ${OTHER_HIGH_ORDER}: \`echo 1 > /proc/sys/vm/compact_memory\` compacts once; a higher vm.min_free_kbytes keeps more free`;
}

export function thpCauses(context: RuleContext, t: Thresholds): Cause[] {
  const { host } = context.last;
  const causes: Cause[] = [];
  const compactStalls = context.window.reduce((sum, s) => sum + s.host.vmstat.compactStall, 0);
  const thpFaults = context.window.reduce((sum, s) => sum + s.host.vmstat.thpFaultAlloc, 0);
  for (const { last: row, rows } of context.bySubject.values()) {
    if (row.exit) continue;
    // guest RAM in huge pages
    const resident = row.rss.guestRamBytes;
    const huge = Math.min(row.rss.guestRamHugeBytes, resident);
    const measured = !(huge === 0 && row.rss.anonHugeBytes > 0);
    const sharePct = pct(huge, resident);
    if (row.kind === 'vm' && host.thpEnabled !== '' && measured && resident >= t.thpMinGuestRamMiB * MiB && sharePct < t.thpGuestRamHugeWarningPct) {
      const ksmBytes = row.ksmMergedPages * PAGE_BYTES;
      causes.push(rowCause(row, {
        cause: 'thp-low',
        severity: 'warning',
        title: `${subjectText(row)} has ${round1(sharePct)}% of its guest RAM in huge pages (below ${t.thpGuestRamHugeWarningPct}%)`,
        evidence: [
          `guest RAM resident ${formatBytes(resident)}, ${formatBytes(huge)} of it in huge pages; THP enabled ${host.thpEnabled}, defrag ${host.thpDefrag}`,
          ...(ksmBytes > 0 ? [`KSM merged ${formatBytes(ksmBytes)} of its memory (merging splits huge pages)`] : []),
        ],
        remedy: thpRemedy(row, host, ksmBytes, resident - huge),
        // a speed cost: at most 1, after the memory causes of its severity
        score: (t.thpGuestRamHugeWarningPct - sharePct) / t.thpGuestRamHugeWarningPct,
      }));
    }
    // stalls in compaction (kcompactd's own work is not a stall)
    if (row.comm.startsWith('kcompactd')) continue;
    const compactionNs = rows.reduce((sum, r) => sum + r.reclaim.compactionNs, 0);
    const msPerSec = compactionNs / 1e6 / context.seconds;
    if (msPerSec > t.compactionStallWarningMsPerSec) {
      const runs = rows.reduce((sum, r) => sum + r.reclaim.compactionStalls, 0);
      causes.push(rowCause(row, {
        cause: 'compaction-stall',
        severity: 'warning',
        title: `${subjectText(row)} stalled in memory compaction ${Math.round(msPerSec)} ms per second (above ${t.compactionStallWarningMsPerSec})`,
        evidence: [
          `${runs} compaction runs, ${formatDuration(compactionNs / 1e6)} in all over ${formatDuration(context.seconds * 1000)}; host-wide ${compactStalls} compaction stalls (compact_stall) and ${thpFaults} huge pages allocated at fault (thp_fault_alloc, /proc/vmstat)`,
          ...(host.thpEnabled ? [`THP enabled ${host.thpEnabled}, defrag ${host.thpDefrag}`] : []),
        ],
        remedy: compactionRemedy(row, host.thpDefrag, thpFaults > 0 || row.rss.anonHugeBytes > 0),
        score: msPerSec / Math.max(1e-9, t.compactionStallWarningMsPerSec),
      }));
    }
  }
  return causes;
}
