// guest-memory-low: a libvirt VM short of memory as its own guest sees it. The host
// may be fine and the VM's QEMU quiet while inside the guest the kernel reclaims,
// swaps or OOM-kills: only the guest's own figures (virtio-balloon stats, through
// `virsh domstats --balloon`: the row's guestMemory) show it. Pure.
//
//   balloon.current  |##############################|  what the host gives the guest
//   MemAvailable     |##|                              below 10% of it: warning
//   guest swap       in + out > 10 pages/s             (between two readings): warning
//
// Inputs: the row's latest reading (read every 10 intervals; the guest reports every
// <stats period> seconds). Available is the guest's MemAvailable (libvirt's
// balloon.usable), else MemFree (balloon.unused: guest kernels before 4.16 do not
// report MemAvailable; MemFree leaves out the page cache it could drop, so it is the
// stricter). Against balloon.current, not MemTotal: with the balloon's deflate-on-oom
// the guest's MemTotal stays what it booted with while the balloon holds part of it.
// A reading whose guest report is more than 5 min old (the stats period was set to 0:
// the last figures stay) is not judged.
// Thresholds (src/diagnose/thresholds.ts): guestAvailableWarningPct 10 (the host's
// memory-low is at 20% of RAM; a guest has no other guests to take from, so it is
// let go lower before it is named), guestSwapWarningPagesPerSec 10 (the host's paging
// threshold, the same in a guest).
// Remedy: give the guest memory through its balloon, `virsh setmem NAME SIZE --live`,
// SIZE what brings MemAvailable above the threshold, rounded up to 64 MiB, at most its
// maximum; at the maximum, `virsh setmaxmem NAME SIZE --config` and a restart.
import { formatBytes, formatDuration } from '../format/quantities.js';
import type { Cause, GuestMemory, VmSnapshot } from '../model/snapshot.js';
import { MiB, pct, round1, rowCause, subjectText, type RuleContext } from './rule-context.js';
import type { Thresholds } from './thresholds.js';

/** A guest report older than this (against the reading) is stale: not judged. */
const STALE_REPORT_MS = 5 * 60_000;
/** Sizes in remedies are rounded up to this. */
const SIZE_STEP_BYTES = 64 * MiB;

/** The guest's available memory: MemAvailable, else MemFree; -1 when it reports neither. */
export function guestAvailableBytes(g: GuestMemory): number {
  return g.memAvailableBytes >= 0 ? g.memAvailableBytes : g.memFreeBytes;
}

/** A reading with the guest's own figures, reported recently enough to judge. */
export function judgeable(g: GuestMemory | null | undefined): g is GuestMemory {
  return !!g && g.balloonCurrentBytes > 0 && g.guestUpdatedMs > 0 && g.readAtMs - g.guestUpdatedMs <= STALE_REPORT_MS;
}

const sizeText = (bytes: number): string => `${Math.ceil(bytes / MiB)}M`;
const roundUp = (bytes: number): number => Math.ceil(bytes / SIZE_STEP_BYTES) * SIZE_STEP_BYTES;

/** The balloon size that brings MemAvailable above `thresholdPct` of it (what the balloon
 * gives back is available to the guest), or a quarter more when it only swaps. */
export function neededBalloonBytes(g: GuestMemory, thresholdPct: number): number {
  const available = Math.max(0, guestAvailableBytes(g));
  const share = thresholdPct / 100;
  const short = pct(available, g.balloonCurrentBytes) < thresholdPct;
  // available + x > share * (current + x)  <=>  x > (share * current - available) / (1 - share)
  const more = !short ? g.balloonCurrentBytes / 4 : share >= 1 ? Infinity : (share * g.balloonCurrentBytes - available) / (1 - share) + MiB;
  return roundUp(g.balloonCurrentBytes + more);
}

function remedyOf(row: VmSnapshot, g: GuestMemory, t: Thresholds): string {
  const needed = neededBalloonBytes(g, t.guestAvailableWarningPct);
  const maximum = g.balloonMaximumBytes;
  const find = 'or find what fills the guest\'s memory (inside it: `top -o %MEM`, /proc/meminfo)';
  if (maximum > g.balloonCurrentBytes) {
    const size = Math.min(needed, maximum);
    const beyond = needed > maximum && Number.isFinite(needed) ? `; that is its maximum: for more, ${raiseMaximum(row, needed)}` : '';
    return `give the guest memory back through its balloon: \`virsh setmem ${row.name} ${sizeText(size)} --live\`${beyond} (the host gives it ${formatBytes(size - g.balloonCurrentBytes)} more); ${find}`;
  }
  const size = Number.isFinite(needed) ? needed : maximum * 2;
  return `its balloon is at its maximum (${formatBytes(maximum)}): ${raiseMaximum(row, size)}; ${find}`;
}

/** More memory from the VM's next boot on: its maximum and what it boots with. */
function raiseMaximum(row: VmSnapshot, bytes: number): string {
  return `\`virsh setmaxmem ${row.name} ${sizeText(bytes)} --config\` and \`virsh setmem ${row.name} ${sizeText(bytes)} --config\`, then restart it`;
}

const age = (g: GuestMemory): string => formatDuration(Math.max(0, g.readAtMs - g.guestUpdatedMs));

/** One line: the guest's memory as it sees it. */
export function guestViewText(g: GuestMemory): string {
  const available = guestAvailableBytes(g);
  const parts = [
    `${g.memAvailableBytes >= 0 ? 'MemAvailable' : 'MemFree'} ${formatBytes(available)} of the ${formatBytes(g.balloonCurrentBytes)} its balloon gives it (${round1(pct(available, g.balloonCurrentBytes))}%; maximum ${formatBytes(g.balloonMaximumBytes)})`,
    ...(g.memAvailableBytes >= 0 && g.memFreeBytes >= 0 ? [`MemFree ${formatBytes(g.memFreeBytes)}`] : []),
    ...(g.memTotalBytes >= 0 ? [`MemTotal ${formatBytes(g.memTotalBytes)}`] : []),
    ...(g.diskCachesBytes >= 0 ? [`file pages ${formatBytes(g.diskCachesBytes)}`] : []),
    ...(g.swapInPagesPerSec >= 0 ? [`swapping ${Math.round(g.swapInPagesPerSec)} pages/s in, ${Math.round(g.swapOutPagesPerSec)} out`] : []),
  ];
  return `the guest's own view (virsh domstats, reported ${age(g)} before it was read): ${parts.join(', ')}`;
}

export function guestMemoryRule(context: RuleContext, t: Thresholds): Cause[] {
  const causes: Cause[] = [];
  for (const { last: row } of context.bySubject.values()) {
    const g = row.guestMemory;
    if (row.kind !== 'vm' || row.exit || !judgeable(g)) continue;
    const available = guestAvailableBytes(g);
    const availablePct = pct(available, g.balloonCurrentBytes);
    const low = available >= 0 && availablePct < t.guestAvailableWarningPct;
    const swapPagesPerSec = g.swapInPagesPerSec >= 0 ? g.swapInPagesPerSec + g.swapOutPagesPerSec : 0;
    const swapping = swapPagesPerSec > t.guestSwapWarningPagesPerSec;
    if (!low && !swapping) continue;
    const what = [
      ...(low ? [`has ${round1(availablePct)}% of its memory available (below ${t.guestAvailableWarningPct}%)`] : []),
      ...(swapping ? [`swaps ${Math.round(swapPagesPerSec)} pages/s (above ${t.guestSwapWarningPagesPerSec})`] : []),
    ];
    causes.push(rowCause(row, {
      cause: 'guest-memory-low',
      severity: 'warning',
      title: `${subjectText(row)}: the guest ${what.join(' and ')}`,
      evidence: [
        guestViewText(g),
        ...(g.swapInBytes >= 0 ? [`since the guest booted: swapped ${formatBytes(g.swapInBytes)} in, ${formatBytes(g.swapOutBytes)} out${g.majorFaults >= 0 ? `, ${g.majorFaults} major faults` : ''}`] : []),
        `on the host: resident guest RAM ${formatBytes(row.rss.guestRamBytes)} of the ${formatBytes(row.memoryBytes)} configured`,
      ],
      remedy: remedyOf(row, g, t),
      score: Math.max(
        low ? t.guestAvailableWarningPct / Math.max(0.1, availablePct) : 0,
        swapping ? swapPagesPerSec / Math.max(1e-9, t.guestSwapWarningPagesPerSec) : 0,
      ),
    }));
  }
  return causes;
}

/** Every other cause about a VM with the guest's own figures carries them in its evidence. */
export function addGuestViews(causes: Cause[], context: RuleContext): Cause[] {
  return causes.map((c) => {
    const g = c.subjectId ? context.bySubject.get(c.subjectId)?.last.guestMemory : null;
    if (c.cause === 'guest-memory-low' || !judgeable(g)) return c;
    return { ...c, evidence: [...c.evidence, guestViewText(g)] };
  });
}
