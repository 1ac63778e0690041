// The human view of a Snapshot for a terminal: a host line, then one line per VM
// and busy process, then events. Pure.
import { formatBytes, formatBytesPerSec, formatDuration, formatPerSec } from '../format/quantities.js';
import type { Snapshot, VmSnapshot } from '../model/snapshot.js';

function rate(count: number, intervalMs: number): string {
  return formatPerSec((count * 1000) / intervalMs);
}

function row(v: VmSnapshot, intervalMs: number): string {
  const name = v.name.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 24);
  const guest = v.kind === 'vm' ? ` guest ${formatBytes(v.rss.guestRamBytes)}/${formatBytes(v.memoryBytes)} QEMU's own ${formatBytes(v.rss.ownAnonBytes)}` : '';
  const hot = v.hotspots[0] ? ` hot ${v.hotspots[0].region}${v.hotspots[0].mapping ? `(${v.hotspots[0].mapping.split('/').pop()})` : ''}` : '';
  const stalls = v.reclaim.stalls ? ` stalls ${v.reclaim.stalls} ${formatDuration(v.reclaim.stallNs / 1e6)}` : '';
  const ept = v.kvm.eptFaults ? ` ept ${rate(v.kvm.eptFaults, intervalMs)}` : '';
  const flagged = v.findings.filter((f) => f.verdict === 'leak' || f.verdict === 'suspect');
  const leak = flagged.length ? ` ${flagged.map((f) => `${f.verdict.toUpperCase()} ${f.detector} ${formatBytesPerSec(f.growthBytesPerSec)}`).join(', ')}` : '';
  return `  ${v.kind.padEnd(7)} ${String(v.pid).padStart(7)} ${name.padEnd(24)} rss ${formatBytes(v.rss.totalBytes).padStart(10)}${guest} faults ${rate(v.faults.minor + v.faults.major, intervalMs)}${ept}${stalls}${hot}${leak}`;
}

export function renderSnapshotText(s: Snapshot): string {
  const h = s.host;
  const lines = [
    `[${new Date(s.timeMs).toISOString().slice(11, 19)}] mem avail ${formatBytes(h.memAvailableBytes)}/${formatBytes(h.memTotalBytes)} swap ${formatBytes(h.swapUsedBytes)} psi ${h.psiMemSomeAvg10.toFixed(2)}% probes ${s.probes.attached.join(',')}${s.probes.lostEvents ? ` LOST ${s.probes.lostEvents}` : ''}`,
    ...s.vms.map((v) => row(v, s.intervalMs)),
    ...s.events.map((e) => `  ! ${e.type}: ${e.message.replace(/[\x00-\x1f\x7f]/g, '?')}`),
  ];
  return `${lines.join('\n')}\n`;
}
