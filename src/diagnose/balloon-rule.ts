// balloon-no-return: the host asked a VM for memory back, the guest's balloon driver
// inflated (QEMU madvised the pages away: the growth probe saw it), yet the VM's
// resident guest RAM did not come down. The balloon detector (src/detect/balloon.ts)
// judges the inflate: `suspect` when the host got back less than half of it. This
// rule says, about the VM, why and what to do. Pure.
//
//   never resident                         came back (balloon churn)
//   guest RAM  ___________________         guest RAM ''''''|     .·'''''''
//   (M - A of its memory was never                          |__.·'
//    backed: the guest gave those)
//   balloon    ####                        balloon          ####
//
// Why, from the finding's numbers (ballooned X; resident guest RAM before the inflate
// A, lowest since L, now B) and the row (configured memory M):
//   came back       A - L >= X / 2: guest RAM did come down (by the detector's own bar,
//                   half the inflate), then rose again: the guest touched that memory
//                   again, it needs it (balloon churn). Don't balloon it further.
//   never resident  A - L < X / 2 and X <= M - A: the guest could have handed back only
//                   pages the host never backed (M - A of its memory was not resident
//                   before the inflate): ballooning this guest gains nothing; give it
//                   less memory (M - X, what it runs with now) instead.
//   not freed       A - L < X / 2 and X > M - A: at least X - (M - A) of the pages were
//                   resident, yet guest RAM never came down: the guest touched them
//                   again within an interval. Churn, as above.
// Transparent huge pages: when at least half of the resident guest RAM is in huge pages
// (rss.guestRamHugeBytes) and the memory did not stay away, the evidence says so: the
// balloon's 4 KiB DONTNEEDs split the huge pages, and khugepaged (max_ptes_none 511 by
// default) may collapse the ranges, holes and all, back into huge pages. (Guest RAM on
// hugetlbfs is another matter: QEMU discards a huge page there only once the guest has
// handed back all of its 4 KiB pieces in a row; hw/virtio/virtio-balloon.c.)
// A balloon request the guest never acts on (no balloon driver) is not seen here:
// QEMU madvises nothing, and neither QEMU nor libvirt keeps the target (docs/diagnosis.md).
import { formatBytes } from '../format/quantities.js';
import type { Cause, Finding, VmSnapshot } from '../model/snapshot.js';
import { balloonInflateOf, type BalloonInflate } from '../detect/balloon.js';
import { isLibvirt, MiB, pct, rowCause, subjectText, type RuleContext } from './rule-context.js';
import type { Thresholds } from './thresholds.js';

export type BalloonReason = 'came-back' | 'never-resident' | 'not-freed';

/** Why the inflate gave nothing back (see the header). */
export function balloonReason(inflate: BalloonInflate, memoryBytes: number): BalloonReason {
  const dipped = inflate.beforeBytes - inflate.lowestBytes;
  if (dipped >= inflate.balloonedBytes / 2) return 'came-back';
  return inflate.balloonedBytes <= memoryBytes - inflate.beforeBytes ? 'never-resident' : 'not-freed';
}

const mib = (bytes: number): number => Math.max(1, Math.floor(bytes / MiB));

/** Run the VM with less memory (MiB, or a placeholder), in its manager's words. */
function lessMemoryRemedy(row: VmSnapshot, size: number | 'SIZE'): string {
  if (isLibvirt(row)) return `\`virsh setmaxmem ${row.name} ${size}${size === 'SIZE' ? '' : 'M'} --config\` (from its next boot)`;
  if (row.vmid) return `\`qm set ${row.vmid} --memory ${size === 'SIZE' ? 'MiB' : size}\` (from its next start)`;
  return `start it with \`-m ${size === 'SIZE' ? 'MiB' : size}\``;
}

/** Give the VM its memory back and stop ballooning it, in its manager's words. */
function deflateRemedy(row: VmSnapshot): string {
  if (isLibvirt(row)) return `\`virsh setmem ${row.name} ${mib(row.memoryBytes)}M --live\` (deflate)`;
  if (row.vmid) return `\`qm set ${row.vmid} --balloon ${mib(row.memoryBytes)}\` (no ballooning below its memory)`;
  return `QMP \`balloon ${mib(row.memoryBytes) * MiB}\` (deflate)`;
}

function remedyOf(row: VmSnapshot, inflate: BalloonInflate | null, reason: BalloonReason | null): string {
  const name = subjectText(row);
  if (reason === 'never-resident') {
    const size = mib(row.memoryBytes - inflate!.balloonedBytes);
    return `the guest gave back memory the host never backed, so ballooning ${name} gains nothing: give it less memory instead, ` +
      `the ${size} MiB it runs with now: ${lessMemoryRemedy(row, size)}; and free host memory elsewhere`;
  }
  if (reason) {
    return `${name} touched the ballooned memory again: it needs it, don't balloon it further (${deflateRemedy(row)}); ` +
      'free host memory elsewhere, or migrate it to another host';
  }
  return `either the pages were never resident (then ballooning ${name} gains nothing: give it less memory, ${lessMemoryRemedy(row, 'SIZE')}), ` +
    `or the guest touched them again (it needs that memory: ${deflateRemedy(row)}); check the guest's balloon driver and its guest RAM in huge pages`;
}

function evidenceOf(row: VmSnapshot, finding: Finding, inflate: BalloonInflate | null, reason: BalloonReason | null): string[] {
  if (!inflate || !reason) return [`balloon: ${finding.message}`];
  const { balloonedBytes: x, beforeBytes: a, nowBytes: b, lowestBytes: l } = inflate;
  const lines = [
    `ballooned ${formatBytes(x)} (madvise DONTNEED on guest RAM); resident guest RAM ${formatBytes(a)} before, ${formatBytes(b)} now, ` +
      `lowest ${formatBytes(l)} since: ${formatBytes(Math.max(0, a - b))} returned`,
  ];
  const unbacked = Math.max(0, row.memoryBytes - a);
  if (reason === 'never-resident') {
    lines.push(`configured ${formatBytes(row.memoryBytes)}: ${formatBytes(unbacked)} of it was not resident on the host before the inflate, room for all ${formatBytes(x)} ballooned`);
  } else if (reason === 'came-back') {
    lines.push(`guest RAM came down ${formatBytes(a - l)}, then rose ${formatBytes(b - l)} again`);
  } else {
    lines.push(`configured ${formatBytes(row.memoryBytes)}: at most ${formatBytes(unbacked)} of the ${formatBytes(x)} ballooned was not resident, yet guest RAM never came down by half of it`);
  }
  const { guestRamBytes, guestRamHugeBytes } = row.rss;
  if (reason !== 'never-resident' && guestRamBytes > 0 && guestRamHugeBytes >= guestRamBytes / 2) {
    lines.push(`${formatBytes(guestRamHugeBytes)} of its ${formatBytes(guestRamBytes)} resident guest RAM (${Math.round(pct(guestRamHugeBytes, guestRamBytes))}%) is in huge pages: ` +
      'the balloon\'s 4 KiB DONTNEEDs split huge pages, and khugepaged can fill the holes again ' +
      '(`echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none` stops that)');
  }
  return lines;
}

/** A module function, not an arrow made per call: see src/collect/collector.ts. */
const isBalloonSuspect = (f: Finding): boolean => f.detector === 'balloon' && f.verdict === 'suspect';

export function balloonRule(context: RuleContext, _t: Thresholds): Cause[] {
  const causes: Cause[] = [];
  for (const { last: row } of context.bySubject.values()) {
    if (row.kind !== 'vm' || row.exit) continue;
    const finding = row.findings.find(isBalloonSuspect);
    if (!finding) continue;
    const inflate = balloonInflateOf(finding);
    const reason = inflate ? balloonReason(inflate, row.memoryBytes) : null;
    const returned = inflate ? Math.max(0, inflate.beforeBytes - inflate.nowBytes) : 0;
    causes.push(rowCause(row, {
      cause: 'balloon-no-return',
      severity: 'warning',
      title: inflate
        ? `${subjectText(row)}: a balloon inflate of ${formatBytes(inflate.balloonedBytes)} gave the host back ${formatBytes(returned)}`
        : `${subjectText(row)}: a balloon inflate gave the host back less than half of it`,
      evidence: evidenceOf(row, finding, inflate, reason),
      remedy: remedyOf(row, inflate, reason),
      // 1 to 2: more for less returned (fit is the share returned, 0..1)
      score: 2 - finding.fit,
    }));
  }
  return causes;
}
