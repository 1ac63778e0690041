// Which probe points this host lacks, in the words a panel shows where its data would
// be: "not on this kernel: needs filemap:mm_filemap_fault, Linux >= 6.11 (...)".
import type { PointStatus, ProbeStatus } from '../../src/model/snapshot.js';

export function pointOf(probes: ProbeStatus, point: string): PointStatus | null {
  for (const g of probes.groups) for (const p of g.points ?? []) if (p.point === point) return p;
  return null;
}

/** The note for a panel that needs `point`, or null when the point is attached (or its
 * state is not known: recordings made before points were listed). */
export function missingPointNote(probes: ProbeStatus, point: string): string | null {
  const p = pointOf(probes, point);
  if (!p || p.state === 'attached') return null;
  return `not on this kernel: needs ${p.point}${p.needs ? `, ${p.needs}` : ''}`;
}
